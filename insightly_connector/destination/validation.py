"""Checking one record against its record schema before anything is sent.

Everything a request would be refused for, and that the schema already tells, is caught here so it
costs no request and leaves a clear reason: required fields on create, types, maxLength, read-only
fields (dropped with a warning or rejected, as the user chooses), and field names the resource does
not have. Names that are not schema properties are taken as custom fields; they are accepted only if
the account has them, and flat keys (`Hobby__c`) are moved into the resource's custom-field array.
The schema vocabulary is JSON Schema plus `readOnly`, `x-create-only` (read-only, yet sent on
create), `x-required-on-create` and `x-primary-key`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft7Validator  # imported where used, so that start-up never loads it

_MAX_VALUE_IN_MESSAGE = 60


CustomFields = Mapping[str, "str | None"] | Collection[str]  # names, or names -> JSON type


class RecordRejected(Exception):
    """The record cannot be written as it is; `category` goes to the rejects file."""

    def __init__(self, category: str, message: str):
        super().__init__(message)
        self.category = category
        self.message = message


@dataclass(frozen=True)
class CustomFieldShape:
    """Where a record keeps its custom fields: an array of {name_field: ..., value_field: ...}."""

    array_field: str
    name_field: str
    value_field: str


@dataclass
class ValidatedRecord:
    """The payload to send, with what was changed on the way and what a create would still need."""

    payload: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    missing_for_create: list[str] = field(default_factory=list)


class RecordValidator:
    """Validates records of one resource for one write mode; built once, used for every record."""

    def __init__(self, schema: Mapping[str, Any], *, mode: str, primary_key: str,
                 upsert_key: str | None = None, read_only: str = "drop", unknown_fields: str = "reject",
                 custom_fields: CustomFieldShape | None = None,
                 known_custom_fields: CustomFields | Callable[[], CustomFields] = (),
                 addressing_fields: Collection[str] = (),
                 fixed_custom_fields: Collection[str] | Callable[[], Collection[str]] = ()):
        if read_only not in ("drop", "reject"):
            raise ValueError(f"read_only must be 'drop' or 'reject', not {read_only!r}")
        if unknown_fields not in ("drop", "reject"):
            raise ValueError(f"unknown_fields must be 'drop' or 'reject', not {unknown_fields!r}")
        self.mode = mode
        self.primary_key = primary_key
        self.upsert_key = upsert_key
        self.read_only_policy = read_only
        self.unknown_fields_policy = unknown_fields
        self.custom_fields = custom_fields
        self._known_custom_fields = known_custom_fields
        self._fixed_custom_fields = fixed_custom_fields  # custom fields the API sets: read-only
        self._addressing_fields = frozenset(addressing_fields)
        self._properties: dict[str, Any] = dict(schema.get("properties", {}))
        self._required_on_create = list(schema.get("x-required-on-create", ()))
        self._read_only = {name for name, prop in self._properties.items()
                           if isinstance(prop, Mapping) and prop.get("readOnly")}
        self._create_only = {name for name, prop in self._properties.items()
                             if isinstance(prop, Mapping) and prop.get("x-create-only")}
        self._validators: dict[str, Draft7Validator] = {}

    def validate(self, record: Mapping[str, Any]) -> ValidatedRecord:
        """Return the payload to send, or raise RecordRejected with the first reason found."""
        if self.mode == "delete":
            payload = {self.primary_key: self._key_value(record, self.primary_key)}
            payload.update({name: record[name] for name in self._addressing_fields if name in record})
            return ValidatedRecord(payload)
        result = ValidatedRecord({})
        customs: dict[str, Any] = {}
        for name, value in record.items():
            if self.custom_fields and name == self.custom_fields.array_field:
                customs.update(self._custom_array(value, result))
            elif name in self._properties:
                if name in self._read_only and not self._writable_key(name):
                    self._read_only_field(name, result)
                    continue
                self._check_value(name, value)
                result.payload[name] = value
            elif self._is_known_custom(name):
                if self._is_fixed_custom(name):
                    self._read_only_field(name, result)
                    continue
                customs[name] = self._custom_value(name, value)
            elif self.unknown_fields_policy == "drop":
                result.warnings.append(f"dropped unknown field {name}")
            else:
                raise RecordRejected("unknown_field", self._unknown_message(name))
        if customs:
            shape = self.custom_fields
            assert shape is not None  # customs are only collected when the resource has a shape
            result.payload[shape.array_field] = [
                {shape.name_field: name, shape.value_field: value} for name, value in customs.items()]
        self._check_keys(record, result)
        return result

    # -- keys and required fields ----------------------------------------------------------------

    @property
    def known_custom_fields(self) -> dict[str, str | None]:
        """The account's custom fields (name -> JSON type, if known), fetched on first need."""
        known = self._known_custom_fields
        if callable(known):
            known = known()
        if not isinstance(known, dict):
            known = dict(known) if isinstance(known, Mapping) else dict.fromkeys(known)
        self._known_custom_fields = known  # kept whatever its type: asked for every field of every record
        return known

    def _writable_key(self, name: str) -> bool:
        """Read-only fields that are still sent: the primary key (update, delete), the fields a write
        path is built from (a parent's id), and fields set once at creation (`x-create-only`)."""
        if name in self._addressing_fields:
            return True
        if name in self._create_only and self.mode in ("create", "upsert"):
            return True
        if name != self.primary_key:
            return False
        return self.mode == "update" or (self.mode == "upsert" and self.upsert_key == name)

    def _check_keys(self, record: Mapping[str, Any], result: ValidatedRecord) -> None:
        if self.mode == "update":
            self._key_value(record, self.primary_key)
        if self.mode == "upsert":
            if self.upsert_key is None:
                raise RecordRejected("validation", "upsert needs an upsert key")
            if _is_empty(field_value(result.payload, self.upsert_key, self.custom_fields)):
                raise RecordRejected("validation", f"the upsert key {self.upsert_key} is missing or empty")
        if self.mode in ("create", "upsert"):
            missing = [name for name in self._required_on_create
                       if _is_empty(field_value(result.payload, name, self.custom_fields))]
            if self.mode == "create" and missing:
                raise RecordRejected("validation", f"required field(s) missing for create: {', '.join(missing)}")
            result.missing_for_create = missing

    def _key_value(self, record: Mapping[str, Any], name: str) -> Any:
        value = record.get(name)
        if _is_empty(value):
            raise RecordRejected("validation", f"{self.mode} needs the primary key {name}")
        if name in self._properties:
            self._check_value(name, value)
        return value

    # -- fields ------------------------------------------------------------------------------------

    def _read_only_field(self, name: str, result: ValidatedRecord) -> None:
        if self.read_only_policy == "reject":
            raise RecordRejected("read_only", f"{name} is read-only and cannot be written")
        result.warnings.append(f"dropped read-only field {name}")

    def _check_value(self, name: str, value: Any) -> None:
        validator = self._validators.get(name)
        if validator is None:
            from jsonschema import Draft7Validator

            validator = self._validators[name] = Draft7Validator(self._properties[name])
        error = next(iter(validator.iter_errors(value)), None)
        if error is None:
            return
        where = name + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.path)
        if error.validator == "maxLength":
            raise RecordRejected("validation", f"{where} is {len(error.instance)} characters long; "
                                               f"the maximum is {error.validator_value}")
        if error.validator == "type":
            expected = error.validator_value
            expected = " or ".join(expected) if isinstance(expected, list) else expected
            raise RecordRejected("validation", f"{where} must be {expected}, not {_describe(error.instance)}")
        raise RecordRejected("validation", f"{where}: {error.validator} {error.validator_value!r} is not met "
                                            f"by {_describe(error.instance)}")

    def _is_known_custom(self, name: str) -> bool:
        return self.custom_fields is not None and name in self.known_custom_fields

    def _is_fixed_custom(self, name: str) -> bool:
        if callable(self._fixed_custom_fields):
            self._fixed_custom_fields = frozenset(self._fixed_custom_fields())
        return name in self._fixed_custom_fields

    def _custom_array(self, value: Any, result: ValidatedRecord) -> dict[str, Any]:
        shape = self.custom_fields
        assert shape is not None
        if value is None:
            return {}
        if not isinstance(value, list):
            raise RecordRejected("validation", f"{shape.array_field} must be an array, not {_describe(value)}")
        customs: dict[str, Any] = {}
        for item in value:
            if not isinstance(item, Mapping) or not isinstance(item.get(shape.name_field), str):
                raise RecordRejected("validation", f"each {shape.array_field} item needs a {shape.name_field}")
            name = item[shape.name_field]
            if name not in self.known_custom_fields:
                if self.unknown_fields_policy == "drop":
                    result.warnings.append(f"dropped unknown custom field {name}")
                    continue
                raise RecordRejected("unknown_field", f"custom field {name} does not exist in this account")
            if self._is_fixed_custom(name):
                self._read_only_field(name, result)
                continue
            customs[name] = self._custom_value(name, item.get(shape.value_field))
        return customs

    def _custom_value(self, name: str, value: Any) -> Any:
        """A custom field's value must have its field type's JSON type (null clears it)."""
        json_type = self.known_custom_fields.get(name)
        if json_type is None or value is None:
            return value
        validator = self._validators.get(f"custom:{name}")
        if validator is None:
            from jsonschema import Draft7Validator

            validator = self._validators[f"custom:{name}"] = Draft7Validator({"type": json_type})
        if not validator.is_valid(value):
            raise RecordRejected("validation", f"custom field {name} must be {json_type}, not {_describe(value)}")
        return value

    def _unknown_message(self, name: str) -> str:
        if self.custom_fields is None:
            return f"{name} is not a field of this resource"
        return f"{name} is neither a field of this resource nor a custom field of this account"


def field_value(payload: Mapping[str, Any], name: str, shape: CustomFieldShape | None) -> Any:
    """A field's value, looked up among the standard fields and then among the custom fields."""
    if name in payload:
        return payload[name]
    if shape is not None:
        for item in payload.get(shape.array_field) or ():
            if isinstance(item, Mapping) and item.get(shape.name_field) == name:
                return item.get(shape.value_field)
    return None


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _describe(value: Any) -> str:
    kind = type(value).__name__ if value is not None else "null"
    text = repr(value)
    if len(text) > _MAX_VALUE_IN_MESSAGE:
        text = text[:_MAX_VALUE_IN_MESSAGE] + "..."
    return f"{kind} {text}"
