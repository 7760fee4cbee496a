"""Whether an update would change nothing on the live record, so that it need not be sent.

An upsert's lookup already returns the live record (in full: the lookup asks for its arrays too). When
every value of the update's body is what the record holds, the PUT would spend a request of the rate
limit and the daily quota for nothing, so the record is reported `unchanged` instead.

Only a proof of sameness counts; anything unsure is a change and is sent:
- a field the live record does not show (a brief answer, a field the API never returns) differs;
- scalars are equal by JSON value: strings exactly, numbers by value, booleans only to booleans,
  null only to null (never to `""`: the API stores each as sent);
- the custom-field array merges by name on update: each custom field sent equals the live one's value,
  and a live record that does not list it holds null;
- any other array replaces the live one: it is equal when its items pair one to one with the live items
  in any order, each sent item's fields equal to its partner's, and the partner's other fields null
  (a field the update would leave out of an item, like an id the server gives it, is a change);
  null sent for an array equals an empty live array."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from insightly_connector.destination.validation import CustomFieldShape


def changes_nothing(body: Mapping[str, Any], live: Mapping[str, Any], shape: CustomFieldShape | None) -> bool:
    """True when sending `body` as an update of `live` would leave every value as it is."""
    for name, sent in body.items():
        if name not in live:
            return False
        if shape is not None and name == shape.array_field:
            if not _same_custom_fields(sent, live[name], shape):
                return False
        elif isinstance(sent, list) or (sent is None and isinstance(live[name], list)):
            if not _same_collection(sent or [], live[name]):
                return False
        elif not _same_value(sent, live[name]):
            return False
    return True


def _same_custom_fields(sent: Any, live: Any, shape: CustomFieldShape) -> bool:
    """Merged by name: each custom field sent holds the same value live (unlisted live means null)."""
    if not isinstance(sent, list) or not isinstance(live, list | None):
        return False
    live_values = {item.get(shape.name_field): item.get(shape.value_field)
                   for item in live or [] if isinstance(item, Mapping)}
    return all(isinstance(item, Mapping) and _same_value(item.get(shape.value_field),
                                                         live_values.get(item.get(shape.name_field)))
               for item in sent)


def _same_collection(sent: list[Any], live: Any) -> bool:
    """Replaced as a whole: the same items, paired one to one, in any order."""
    if not isinstance(live, list | None):
        return False
    unpaired = list(live or [])
    if len(sent) != len(unpaired):
        return False
    for item in sent:
        partner = next((index for index, candidate in enumerate(unpaired) if _same_item(item, candidate)), None)
        if partner is None:
            return False
        unpaired.pop(partner)
    return True


def _same_item(sent: Any, live: Any) -> bool:
    if not isinstance(sent, Mapping):
        return _same_value(sent, live)
    if not isinstance(live, Mapping):
        return False
    return all(_same_value(value, live.get(name)) for name, value in sent.items()) and \
        all(value is None for name, value in live.items() if name not in sent)


def _same_value(sent: Any, live: Any) -> bool:
    if sent is None or live is None:
        return sent is None and live is None
    if isinstance(sent, bool) or isinstance(live, bool):
        return isinstance(sent, bool) and isinstance(live, bool) and sent is live
    if isinstance(sent, int | float) and isinstance(live, int | float):
        return float(sent) == float(live)
    if isinstance(sent, Mapping):
        return _same_item(sent, live)
    if isinstance(sent, list):
        return _same_collection(sent, live)
    return type(sent) is type(live) and bool(sent == live)
