"""Realistic values for one field, chosen from its name and Swagger type.

Used to build the pre-rendered variants the record generator combines; the values always respect the
field's Swagger type and maxLength, so generated records validate against their Swagger shape.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from insightly_connector.harness import vocab
from insightly_connector.harness.datetimes import format_record_date
from insightly_connector.harness.table import FieldSpec

# Values of enumerated text fields (api-notes §4: the full sets are unknown, these are the observed ones
# plus INFERRED ones); the first value is the most common.
ENUMS = {
    "OPPORTUNITY_STATE": ("OPEN", "WON", "LOST", "ABANDONED", "SUSPENDED"),
    "BID_TYPE": ("Fixed Bid", "Per Hour", "Per Day", "Per Month", "Per Year"),
    "VISIBLE_TO": ("EVERYONE", "EVERYONE", "EVERYONE", "OWNER"),
    "TICKET_STATUS": ("Open", "Pending", "Solved", "Closed"),
    "PRIORITY": ("Low", "Medium", "High", "Urgent"),
    "TICKET_TYPE": ("Question", "Incident", "Problem", "Task"),
    "QUOTE_STATUS": ("DRAFT", "NEEDS REVIEW", "IN REVIEW", "APPROVED", "PRESENTED", "ACCEPTED"),
    "FORMAT": ("HTML", "TEXT"),
    "VISIBILITY": ("PUBLIC", "INTERNAL"),
    "FORUM_TYPE": ("DISCUSSION", "IDEA", "QUESTION"),
    "ORDER_ARTICLES": ("ALPHABETICAL", "DATE_CREATED"),
    "TEMPLATE_FILE_TYPE": ("DOCX", "PDF"),
    "RELATED_OBJECT_NAME": ("Contact", "Organisation", "Opportunity", "Quotation"),
    "RECURRENCE": ("", "FREQ=WEEKLY", "FREQ=MONTHLY"),
    "GRADE": ("A", "B", "C", "D"),
    "SOURCE": ("Email", "Web", "Phone"),
}
STATUS_BY_COLLECTION = {
    "Projects": ("IN PROGRESS", "NOT STARTED", "COMPLETED", "DEFERRED", "CANCELLED", "ABANDONED"),
    "Tasks": ("NOT STARTED", "IN PROGRESS", "COMPLETED", "WAITING", "DEFERRED"),
    "CommunityPosts": ("OPEN", "ANSWERED", "CLOSED"),
}
WINDOW_START = datetime(2018, 1, 1, tzinfo=timezone.utc)
WINDOW_END = datetime(2025, 1, 1, tzinfo=timezone.utc)
NULL_SHARE = 0.25  # optional fields left empty, as in real CRM data


DATE_ONLY = {"DATE_OF_BIRTH", "DUE_DATE", "FORECAST_CLOSE_DATE", "ACTUAL_CLOSE_DATE", "STARTED_DATE",
             "COMPLETED_DATE", "START_DATE", "SERVICE_DATE", "QUOTATION_EXPIRATION_DATE", "OCCASION_DATE"}


def synthesize(collection: str, spec: FieldSpec, rng: random.Random, row: dict, required: bool = False) -> object:
    """One value for `spec` (or None for an empty optional field). `row` carries choices shared by the
    fields of one record variant, so that a city, its postcode and its country agree, and an event ends
    after it starts."""
    if spec.type == "boolean":
        return rng.random() < 0.2
    if rng.random() < NULL_SHARE and not required and spec.name not in _NEVER_NULL:
        return None
    if spec.type == "integer":
        return _integer(spec.name, rng)
    if spec.type == "number":
        return round(rng.uniform(10, 50_000), 2)
    if spec.type == "string":
        value = _datetime(spec.name, rng, row) if spec.is_datetime else _text(collection, spec.name, rng, row)
        return value[: spec.max_length] if spec.max_length and value else value
    return None


_NEVER_NULL = {"FIRST_NAME", "LAST_NAME", "ORGANISATION_NAME", "OPPORTUNITY_NAME", "PROJECT_NAME", "TITLE",
               "STATUS", "VISIBLE_TO", "SUBJECT", "TICKET_STATUS", "PRODUCT_NAME", "NAME", "QUOTATION_NAME",
               "Title", "RECORD_NAME", "CATEGORY_NAME", "FOLDER_NAME", "FORUM_NAME", "POST_NAME",
               "TEMPLATE_NAME", "EMAIL_ADDRESS", "URL_SLUG", "OPPORTUNITY_STATE", "CURRENCY_CODE"}


def _integer(name: str, rng: random.Random) -> int:
    if name in ("PROBABILITY", "PERCENT_COMPLETE"):
        return rng.randrange(0, 101, 5)
    if name in ("PRIORITY", "LEAD_RATING"):
        return rng.randint(1, 5)
    if name == "EMPLOYEE_COUNT":
        return rng.choice((0, 5, 12, 40, 250, 1200))
    return rng.randint(1, 500)


def _datetime(name: str, rng: random.Random, row: dict) -> str:
    """Date-only fields (a birthday, a due date) come back as midnight (api-notes §4.1, INFERRED)."""
    if name.startswith("END_") and "start" in row:
        return format_record_date(row["start"] + 1800 * rng.randint(1, 6))
    if name == "DATE_OF_BIRTH":
        start, span = datetime(1950, 1, 1, tzinfo=timezone.utc), timedelta(days=365 * 55)
    else:
        start, span = WINDOW_START, WINDOW_END - WINDOW_START
    moment = int((start + span * rng.random()).timestamp())
    if name.startswith("START_"):
        row["start"] = moment
    return format_record_date(moment - moment % 86400 if name in DATE_ONLY else moment)


def _text(collection: str, name: str, rng: random.Random, row: dict) -> str:
    city, state, postcode, country = row.setdefault("city", rng.choice(vocab.CITIES))
    company = row.setdefault("company", f"{rng.choice(vocab.COMPANY_WORDS)} {rng.choice(vocab.COMPANY_SUFFIXES)}")
    if name == "STATUS" and collection in STATUS_BY_COLLECTION:
        return rng.choice(STATUS_BY_COLLECTION[collection])
    if name in ENUMS:
        return rng.choice(ENUMS[name])
    if name == "FIRST_NAME":
        return rng.choice(vocab.FIRST_NAMES)
    if name == "LAST_NAME":
        return rng.choice(vocab.LAST_NAMES)
    if name == "SALUTATION":
        return rng.choice(vocab.SALUTATIONS)
    if name in ("ORGANISATION_NAME",) or name.endswith("BILLING_NAME") or name.endswith("SHIPPING_NAME"):
        return company
    if "EMAIL" in name:
        return f"{rng.choice(vocab.FIRST_NAMES).lower()}@{rng.choice(vocab.EMAIL_DOMAINS)}"
    if "PHONE" in name or name in ("MOBILE", "FAX"):
        return f"+1 {rng.randint(200, 989)} 555 {rng.randint(1000, 9999)}"
    if "STREET" in name:
        return f"{rng.randint(1, 999)} {rng.choice(vocab.STREETS)}"
    if name.endswith("_CITY"):
        return city
    if name.endswith("_STATE"):
        return state or None
    if name.endswith("_POSTCODE"):
        return postcode
    if name.endswith("_COUNTRY"):
        return country
    if name == "WEBSITE" or name.endswith("_URL") or name == "URL_SLUG":
        slug = company.split()[0].lower()
        return slug + "-guide" if name == "URL_SLUG" else f"https://www.{slug}.example.com"
    if name.startswith("SOCIAL_"):
        return f"https://social.example.com/{rng.choice(vocab.FIRST_NAMES).lower()}{rng.randint(1, 99)}"
    if name == "INDUSTRY":
        return rng.choice(vocab.INDUSTRIES)
    if name == "TITLE" and collection in ("Contacts", "Leads", "Prospect"):
        return rng.choice(vocab.JOB_TITLES)
    if "CURRENCY" in name:
        return rng.choice(vocab.CURRENCIES)[0]
    if name == "TIMEZONE_ID":
        return rng.choice(vocab.TIMEZONES)
    if name in ("PRODUCT_NAME", "PRODUCT_FAMILY"):
        return f"{rng.choice(vocab.PRODUCTS)} {rng.choice('ABCDEFGH')}{rng.randint(1, 9)}"
    if name in ("PRODUCT_CODE", "PRODUCT_SKU"):
        return f"SKU-{rng.randint(10000, 99999)}"
    if name in ("BACKGROUND", "DETAILS", "BODY", "Body", "MESSAGE") or "DESCRIPTION" in name \
            or name.endswith("_DETAILS") or name == "TicketCommentBodyHtml":
        return " ".join(rng.sample(vocab.SENTENCES, 2))
    if name.endswith("_NAME") or name in ("TITLE", "Title", "SUBJECT", "NAME", "LOCATION"):
        return _phrase(collection, rng, company)
    return rng.choice(vocab.WORDS)


def _phrase(collection: str, rng: random.Random, company: str) -> str:
    words = rng.sample(vocab.WORDS, 2)
    if collection in ("Opportunities", "Projects", "Quotation"):
        return f"{company} — {words[0]} {words[1]}"
    return f"{words[0].capitalize()} {words[1]}"
