"""Dates in the API's own spelling become RFC 3339 for typed outputs, and come back unchanged."""

from __future__ import annotations

import pytest
from jsonschema import Draft7Validator, FormatChecker

from insightly_connector.protocols.typed_dates import DateConverter, api_from, rfc3339_from, typed_schema
from insightly_connector.spec.loader import load_spec


@pytest.fixture(scope="module")
def contacts():
    return load_spec().resources["contacts"]


def test_every_declared_date_is_typed_and_round_trips(contacts):
    converter = DateConverter.for_schema(contacts.schema)
    assert {"DATE_CREATED_UTC", "DATE_UPDATED_UTC", "DATE_OF_BIRTH"} <= set(converter.fields)
    record = {"CONTACT_ID": 7, "DATE_UPDATED_UTC": "2024-03-02 10:11:12", "DATE_OF_BIRTH": None,
              "DATE_CREATED_UTC": "not a date", "FIRST_NAME": "2024-03-02 10:11:12"}
    typed = converter.to_rfc3339(record)
    assert typed == {**record, "DATE_UPDATED_UTC": "2024-03-02T10:11:12Z"}
    assert converter.to_api(typed) == record
    schema = typed_schema(contacts.schema, airbyte=True)
    prop = schema["properties"]["DATE_UPDATED_UTC"]
    assert prop["format"] == "date-time" and prop["airbyte_type"] == "timestamp_with_timezone"
    assert "pattern" not in prop and "x-format" in contacts.schema["properties"]["DATE_UPDATED_UTC"]
    errors = list(Draft7Validator(schema, format_checker=FormatChecker()).iter_errors(
        {"DATE_UPDATED_UTC": typed["DATE_UPDATED_UTC"]}))
    assert errors == []


@pytest.mark.parametrize(("value", "fmt", "expected"), [
    ("2024-03-02 10:11:12", "%Y-%m-%d %H:%M:%S", "2024-03-02T10:11:12Z"),
    ("02/03/2024 10:11", "%d/%m/%Y %H:%M", "2024-03-02T10:11:00Z"),
    ("2024-03-02", "%Y-%m-%d %H:%M:%S", "2024-03-02"),
])
def test_rfc3339_from_the_api_format(value, fmt, expected):
    assert rfc3339_from(value, fmt) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-03-02T10:11:12Z", "2024-03-02 10:11:12"),
    ("2024-03-02T12:11:12+02:00", "2024-03-02 10:11:12"),
    ("2024-03-02T10:11:12.500Z", "2024-03-02 10:11:12"),
    ("2024-03-02 10:11:12", "2024-03-02 10:11:12"),
    ("Tuesday", "Tuesday"),
])
def test_api_form_from_rfc3339(value, expected):
    assert api_from(value, "%Y-%m-%d %H:%M:%S") == expected
