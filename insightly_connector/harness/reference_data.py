"""The small, hand-shaped collections of a demo instance: users, teams, pipelines and their stages,
categories, lead sources and statuses, reference lists, custom objects, the instance itself.

Returned as partial records; `complete()` fills every other field of the Swagger shape with null (or []
for nested collections), which is how the live API answers.
"""

from __future__ import annotations

from insightly_connector.harness import vocab
from insightly_connector.harness.custom_fields import CUSTOM_OBJECTS
from insightly_connector.harness.datetimes import format_record_date
from insightly_connector.harness.table import CollectionSpec

CREATED = format_record_date(1514764800)  # 2018-01-01, before every generated record
USERS = (("Ada", "Lovelace", True), ("Grace", "Hopper", False), ("Alan", "Turing", False),
         ("Katherine", "Johnson", False), ("Linus", "Pauling", False))
FIRST_USER_ID = 2240727


def complete(spec: CollectionSpec, partial: dict) -> dict:
    """A full record of `spec`'s shape: given values, null elsewhere, [] for nested collections."""
    record = {f.name: ([] if f.nested else None) for f in spec.fields}
    record.update(partial)
    return record


def user_ids() -> list[int]:
    return [FIRST_USER_ID + n for n in range(len(USERS))]


def reference_records(instance_name: str, plan: str) -> dict[str, list[dict]]:
    """Partial records per collection (and the two singleton objects under their collection name)."""
    slug = "".join(ch for ch in instance_name.lower() if ch.isalnum())
    users = []
    for n, (first, last, owner) in enumerate(USERS):
        users.append({
            "USER_ID": FIRST_USER_ID + n, "CONTACT_ID": None, "FIRST_NAME": first, "LAST_NAME": last,
            "TIMEZONE_ID": vocab.TIMEZONES[n % len(vocab.TIMEZONES)],
            "EMAIL_ADDRESS": f"{first.lower()}.{last.lower()}@{slug}.example.com",
            "EMAIL_DROPBOX_IDENTIFIER": f"dropbox-{n + 1}",
            "EMAIL_DROPBOX_ADDRESS": f"dropbox-{n + 1}@mailbox.insight.ly",
            "ADMINISTRATOR": owner, "ACCOUNT_OWNER": owner, "ACTIVE": n != len(USERS) - 1,
            "DATE_CREATED_UTC": CREATED, "DATE_UPDATED_UTC": CREATED, "USER_CURRENCY": "USD",
            "CONTACT_DISPLAY": "LastFirst", "CONTACT_ORDER": "LastFirst", "TASK_WEEK_START": 1,
            "INSTANCE_ID": 900001, "PROFILE_ID": 1, "ROLE_ID": None if owner else 2,
        })
    ids = user_ids()
    teams = [{"TEAM_ID": 501 + n, "TEAM_NAME": name, "DATE_CREATED_UTC": CREATED, "DATE_UPDATED_UTC": CREATED,
              "TEAMMEMBERS": [{"PERMISSION_ID": 7001 + 10 * n + k, "TEAM_ID": 501 + n, "MEMBER_USER_ID": member}
                              for k, member in enumerate(members)]}
             for n, (name, members) in enumerate((("Sales", ids[:3]), ("Delivery", ids[2:])))]
    pipelines = [
        {"PIPELINE_ID": 301, "PIPELINE_NAME": "Sales Pipeline", "FOR_OPPORTUNITIES": True, "FOR_PROJECTS": False},
        {"PIPELINE_ID": 302, "PIPELINE_NAME": "Enterprise Deals", "FOR_OPPORTUNITIES": True, "FOR_PROJECTS": False},
        {"PIPELINE_ID": 303, "PIPELINE_NAME": "Delivery", "FOR_OPPORTUNITIES": False, "FOR_PROJECTS": True},
    ]
    stage_names = {301: ("Qualify", "Propose", "Negotiate", "Close"), 302: ("Discovery", "Solution", "Legal"),
                   303: ("Plan", "Build", "Deliver", "Review")}
    stages = [{"STAGE_ID": pipeline * 10 + order, "PIPELINE_ID": pipeline, "STAGE_NAME": name,
               "STAGE_ORDER": order, "ACTIVITYSET_ID": 401 if order == 1 else None, "OWNER_USER_ID": ids[0]}
              for pipeline, names in stage_names.items() for order, name in enumerate(names, start=1)]
    for pipeline in pipelines:
        pipeline["OWNER_USER_ID"] = ids[0]
    activity_sets = [{"ACTIVITYSET_ID": 401, "NAME": "New customer onboarding", "FOR_CONTACTS": True,
                      "FOR_ORGANISATIONS": True, "FOR_OPPORTUNITIES": True, "FOR_PROJECTS": False,
                      "FOR_LEADS": False, "OWNER_USER_ID": ids[0],
                      "ACTIVITIES": [{"ACTIVITY_ID": 4011, "ACTIVITYSET_ID": 401, "ACTIVITY_NAME": "Welcome call",
                                      "ACTIVITY_TYPE": "TASK", "REMINDER": False, "PUBLICLY_VISIBLE": True,
                                      "OWNER_VISIBLE": True, "DUE_DAYS_AFTER_START": 2, "ALL_DAY": False}]}]
    categories = {}
    for offset, (collection, names) in enumerate((
            ("OpportunityCategories", ("New Business", "Renewal", "Upsell")),
            ("ProjectCategories", ("Implementation", "Consulting", "Internal")),
            ("TaskCategories", ("Call", "Email", "Follow-up", "Meeting")),
            ("FileCategories", ("Contracts", "Proposals", "Invoices")))):
        categories[collection] = [{"CATEGORY_ID": 1000 * (offset + 1) + n, "CATEGORY_NAME": name, "ACTIVE": True,
                                   "BACKGROUND_COLOR": ("019688", "EF5350", "5C6BC0", "FFB300")[n % 4]}
                                  for n, name in enumerate(names, start=1)]
    records = {
        "Users": users,
        "Teams": teams,
        "TeamMembers": [member for team in teams for member in team["TEAMMEMBERS"]],
        "Pipelines": pipelines,
        "PipelineStages": stages,
        "ActivitySets": activity_sets,
        **categories,
        "LeadSources": [{"LEAD_SOURCE_ID": 3794750 + n, "LEAD_SOURCE": name, "DEFAULT_VALUE": n == 0,
                         "FIELD_ORDER": n + 1}
                        for n, name in enumerate(("Web", "Referral", "Trade Show", "Cold Call", "Partner"))],
        "LeadStatuses": [{"LEAD_STATUS_ID": 3724795 + n, "LEAD_STATUS": name, "DEFAULT_STATUS": n == 0,
                          "STATUS_TYPE": kind, "FIELD_ORDER": n + 1}
                         for n, (name, kind) in enumerate((("Open - Not Contacted", 1), ("Working - Contacted", 1),
                                                           ("Qualified", 2), ("Disqualified", 3)))],
        "OpportunityStateReasons": [{"STATE_REASON_ID": 601 + n, "STATE_REASON": reason,
                                     "FOR_OPPORTUNITY_STATE": state}
                                    for n, (state, reason) in enumerate((
                                        ("Won", "Best price"), ("Won", "Relationship"), ("Lost", "Price"),
                                        ("Lost", "Competitor"), ("Abandoned", "No budget"),
                                        ("Suspended", "On hold")))],
        "Relationships": [{"RELATIONSHIP_ID": 701 + n, "FORWARD_TITLE": fwd, "FORWARD": fwd, "REVERSE_TITLE": rev,
                           "REVERSE": rev, "FOR_CONTACTS": contacts, "FOR_ORGANISATIONS": not contacts}
                          for n, (fwd, rev, contacts) in enumerate((
                              ("Colleague", "Colleague", True), ("Manager", "Reports to", True),
                              ("Partner", "Partner", False), ("Parent company", "Subsidiary", False)))],
        "Countries": [{"COUNTRY_NAME": name} for name in vocab.COUNTRIES],
        "Currencies": [{"CURRENCY_CODE": code, "CURRENCY_SYMBOL": symbol} for code, symbol in vocab.CURRENCIES],
        "CustomObjects": [{"OBJECT_NAME": name, "SINGULAR_LABEL": singular, "PLURAL_LABEL": plural,
                           "DESCRIPTION": f"{plural} tracked by the demo instance", "RECORD_NAME_LABEL": "Name",
                           "RECORD_NAME_TYPE": "TEXT", "RECORD_NAME_DISPLAY_FORMAT": None, "ENABLE_NAVBAR": True,
                           "ENABLE_WORKFLOWS": False, "CREATED_USER_ID": ids[0], "DATE_CREATED_UTC": CREATED,
                           "DATE_UPDATED_UTC": CREATED}
                          for name, singular, plural in CUSTOM_OBJECTS],
        "Follows": [],
        "Instance": [{"INSTANCE_NAME": instance_name, "INSTANCE_SUBDOMAIN": slug,
                      "PLAN_NAME": plan.capitalize(), "NEW_USER_EXPERIENCE_ENABLED": True}],
        "Permissions": [{"PERMISSIONS_STATE": "FULL", "OBJECT_PERMISSIONS": []}],
    }
    return records
