"""Custom fields: their metadata (`/CustomFields/{object}`), their values by field type, and write checks.

Value encodings follow api-notes §4.2: TEXT, MULTILINETEXT, DROPDOWN, URL -> string; MULTISELECT ->
semicolon-joined string; BIT -> boolean; NUMERIC, PERCENT -> number; DATE, DATETIME -> body date string;
AUTONUMBER -> string (server-assigned, not editable).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from insightly_connector.harness.datetimes import format_record_date, parse_record_date
from insightly_connector.harness.values import WINDOW_END, WINDOW_START

FIELD_TYPES = ("TEXT", "MULTILINETEXT", "DROPDOWN", "MULTISELECT", "BIT", "NUMERIC", "PERCENT", "DATE",
               "DATETIME", "AUTONUMBER", "URL")


@dataclass(frozen=True)
class CustomField:
    name: str
    label: str
    type: str
    options: tuple[str, ...] = ()
    prefix: str = ""  # AUTONUMBER prefix

    @property
    def editable(self) -> bool:
        return self.type != "AUTONUMBER"


# Custom objects of the demo instance: (API name, singular label, plural label).
CUSTOM_OBJECTS = (("Fruit__c", "Fruit", "Fruits"), ("Shipment__c", "Shipment", "Shipments"))

DEFINITIONS: dict[str, tuple[CustomField, ...]] = {
    "Contacts": (
        CustomField("Hobby__c", "Hobby", "TEXT"),
        CustomField("Biography__c", "Biography", "MULTILINETEXT"),
        CustomField("Preferred_Channel__c", "Preferred channel", "DROPDOWN", ("Email", "Phone", "SMS")),
        CustomField("Interests__c", "Interests", "MULTISELECT", ("Music", "Sports", "Travel", "Food")),
        CustomField("VIP__c", "VIP", "BIT"),
        CustomField("Lifetime_Orders__c", "Lifetime orders", "NUMERIC"),
        CustomField("Discount_Rate__c", "Discount rate", "PERCENT"),
        CustomField("Renewal_Date__c", "Renewal date", "DATE"),
        CustomField("Last_Survey_At__c", "Last survey at", "DATETIME"),
        CustomField("Customer_Number__c", "Customer number", "AUTONUMBER", prefix="CN-"),
        CustomField("Portfolio__c", "Portfolio", "URL"),
    ),
    "Organisations": (
        CustomField("Tier__c", "Tier", "DROPDOWN", ("Gold", "Silver", "Bronze")),
        CustomField("Annual_Revenue__c", "Annual revenue", "NUMERIC"),
        CustomField("Partner__c", "Partner", "BIT"),
        CustomField("Region__c", "Region", "TEXT"),
    ),
    "Opportunities": (
        CustomField("Competitor__c", "Competitor", "TEXT"),
        CustomField("Deal_Score__c", "Deal score", "PERCENT"),
        CustomField("Signed_On__c", "Signed on", "DATE"),
    ),
    "Leads": (
        CustomField("Campaign__c", "Campaign", "TEXT"),
        CustomField("Budget__c", "Budget", "NUMERIC"),
    ),
    "Projects": (CustomField("Billing_Code__c", "Billing code", "TEXT"),),
    "Fruit__c": (
        CustomField("Color__c", "Color", "DROPDOWN", ("Red", "Green", "Yellow", "Orange")),
        CustomField("Weight__c", "Weight", "NUMERIC"),
        CustomField("Organic__c", "Organic", "BIT"),
        CustomField("Harvested__c", "Harvested", "DATE"),
        CustomField("Tasting_Notes__c", "Tasting notes", "MULTILINETEXT"),
        CustomField("Origin__c", "Origin", "TEXT"),
    ),
    "Shipment__c": (
        CustomField("Carrier__c", "Carrier", "DROPDOWN", ("DHL", "FedEx", "UPS", "NZ Post")),
        CustomField("Shipped_At__c", "Shipped at", "DATETIME"),
        CustomField("Tracking__c", "Tracking number", "TEXT"),
        CustomField("Reference__c", "Reference", "AUTONUMBER", prefix="SHP-"),
    ),
}
FIELD_FOR = {"Contacts": "CONTACT", "Organisations": "ORGANISATION", "Opportunities": "OPPORTUNITY",
             "Leads": "LEAD", "Projects": "PROJECT"}


def fields_for(collection: str) -> tuple[CustomField, ...]:
    return DEFINITIONS.get(collection, ())


def lists_unset_fields(collection: str) -> bool:
    """Custom-object records list every custom field (null when unset); standard objects only set ones."""
    return collection.endswith("__c")


def metadata(collection: str) -> list[dict]:
    """The `/CustomFields/{collection}` answer (APICustomFieldMetadata items)."""
    result = []
    for order, field in enumerate(fields_for(collection), start=1):
        result.append({
            "FIELD_NAME": field.name,
            "FIELD_ORDER": order,
            "FIELD_FOR": FIELD_FOR.get(collection, collection.upper()),
            "FIELD_LABEL": field.label,
            "FIELD_TYPE": field.type,
            "FIELD_HELP_TEXT": None,
            "DEFAULT_VALUE": "False" if field.type == "BIT" else None,
            "EDITABLE": field.editable,
            "VISIBLE": True,
            "CUSTOM_FIELD_OPTIONS": [{"OPTION_ID": order * 100 + i, "OPTION_VALUE": option, "OPTION_DEFAULT": i == 0}
                                     for i, option in enumerate(field.options)],
            "DEPENDENCY": None,
            "JOIN_OBJECT": None,
        })
    return result


def sample_value(field: CustomField, rng: random.Random) -> object:
    """A realistic value for a generated record (AUTONUMBER values are assigned per record instead)."""
    kind = field.type
    if kind in ("TEXT", "MULTILINETEXT"):
        return rng.choice(("Sailing", "Chess", "Gardening", "Photography", "Cycling — 40 km on Sundays",
                           "Line one\nLine two"))
    if kind == "URL":
        return f"https://portfolio.example.com/{rng.randint(1, 999)}"
    if kind == "DROPDOWN":
        return rng.choice(field.options)
    if kind == "MULTISELECT":
        return ";".join(sorted(rng.sample(field.options, rng.randint(1, len(field.options))),
                               key=field.options.index))
    if kind == "BIT":
        return rng.random() < 0.5
    if kind == "NUMERIC":
        return rng.choice((0, 3, 12, 250, 3.2, 1499.99))
    if kind == "PERCENT":
        return rng.choice((0, 5, 12.5, 50, 100))
    span = WINDOW_END.timestamp() - WINDOW_START.timestamp()
    moment = WINDOW_START.timestamp() + int(rng.random() * span)
    return format_record_date(moment - moment % 86400 if kind == "DATE" else moment)


def autonumber(field: CustomField, record_id: int) -> str:
    return f"{field.prefix}{record_id:08d}"


def value_error(field: CustomField, value: object) -> str | None:
    """Why `value` cannot be written to `field`, or None when it can (None clears the field)."""
    if value is None:
        return None
    if not field.editable:
        return f"custom field {field.name} is not editable"
    kind = field.type
    if kind == "BIT":
        ok = isinstance(value, bool)
    elif kind in ("NUMERIC", "PERCENT"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind in ("DATE", "DATETIME"):
        ok = isinstance(value, str) and parse_record_date(value) is not None
    elif kind == "DROPDOWN":
        ok = value in field.options
    elif kind == "MULTISELECT":
        ok = isinstance(value, str) and all(part in field.options for part in value.split(";"))
    else:
        ok = isinstance(value, str)
    return None if ok else f"invalid value for custom field {field.name} ({kind})"
