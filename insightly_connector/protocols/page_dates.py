"""A page as a typed output writes it: each record's own bytes between an envelope's head and tail, its
top-level API-format dates made RFC 3339 in place (`typed_dates.py`), every other byte as the API sent it.

Parsing and re-serialising each record would cost several times the rest of a read, and would respell
what the API sent (escapes, a float's trailing zero, integers beyond 64 bits). So the page is joined
once and each date is found by a C search, in each record, for the whole member the page's column
(`RawRecords.column`) says it holds: `,"NAME":"2024-03-02 10:11:12"` (or `{"NAME":...` as the first
member). Found before the record's first `{` after its own, that is provably the record's top-level
member with that value:

- a quote after `,` or `{` is not escaped, and it cannot close a string (a closing quote is followed by
  `:`, `,`, `}` or `]`, never a name), so it opens the key NAME, and the `,` or `{` is outside strings;
- with no `{` before it in the record, no nested object is open there, so the key is at the top level.

(Were a name repeated at the top level, which JSON leaves without a meaning, the occurrence found first
that holds the value a parser keeps is the one converted.) A search runs from the previous name's
member, so a record is read about once, and all of a page's searches are one `map`: no Python per
record. A record whose dates cannot be found so (a nested object or a `{` in text before them, a date
written with an escape, or one `rfc3339_from` converts other than by slicing) is rewritten alone: in
place when its top-level members, written compactly, are its own bytes, otherwise parsed, converted
and serialised again.

Each date is then two single-byte writes into the joined page: `'T'` over its separator, and a NUL
over its closing quote, which one `replace` makes `Z"` (a JSON text holds no raw NUL: the scanner
refuses control characters in strings, and nothing else may hold one)."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from itertools import accumulate, compress, repeat
from operator import add, mod
from typing import Any

import orjson

from insightly_connector.protocols.typed_dates import SPACE_SEPARATED, DateConverter, rfc3339_from
from insightly_connector.source.raw_records import RawRecords, top_level_members

_T_AT, _END_AT = 10, 19  # in `2024-03-02 10:11:12`: 'T' replaces the space; 'Z' goes before the closing quote
_WIDTH = _END_AT + 1  # a text and the separator after it, in a column joined for judging
_MARK = b"\0"


def framed(raws: Sequence[Any], head: bytes, tail: bytes) -> list[Any]:
    """The pieces of `head + raw + tail` for every record, to be joined in one copy."""
    if not raws:
        return []
    pieces: list[Any] = [tail + head] * (2 * len(raws) + 1)
    pieces[1::2] = raws
    pieces[0], pieces[-1] = head, tail
    return pieces


class TypedPages:
    """Writes the pages of one output. It keeps each page's working copy until the next page is written:
    freed together with the page it was copied into, the two 1 MB blocks made glibc hand the top of its
    heap back to the system every page, and faulting it in again cost a tenth or more of a typed read's
    CPU in trials on this machine (the next page reuses the blocks instead)."""

    def __init__(self) -> None:
        self._previous: bytearray | None = None

    def rfc3339(self, records: RawRecords, converter: DateConverter, head: bytes, tail: bytes) -> bytearray:
        """Every record of a single-line page between `head` and `tail`, its top-level dates as
        `converter.to_rfc3339` gives them, every other byte unchanged."""
        records.want(set(converter.fields))
        raws = records.raw
        if not raws:
            return bytearray()
        page, starts, ends = _joined(raws, head, tail)
        dates, alone = _dates(page, records, converter, starts, ends, set())
        if alone:
            raws = [_record_alone(raw, converter) if index in alone else raw for index, raw in enumerate(raws)]
            page, starts, ends = _joined(raws, head, tail)
            dates, _ = _dates(page, records, converter, starts, ends, alone)
        deque(map(page.__setitem__, map(add, dates, repeat(_T_AT)), repeat(ord("T"))), maxlen=0)
        deque(map(page.__setitem__, map(add, dates, repeat(_END_AT)), repeat(_MARK[0])), maxlen=0)
        self._previous = page
        return page.replace(_MARK, b'Z"')


def _joined(raws: Sequence[Any], head: bytes, tail: bytes) -> tuple[bytearray, list[int], list[int]]:
    """The framed page, and where each record starts and ends in it."""
    lengths = list(map(len, raws))
    starts = list(accumulate(map(add, lengths[:-1], repeat(len(head) + len(tail))), initial=len(head)))
    return bytearray().join(framed(raws, head, tail)), starts, list(map(add, starts, lengths))


def _dates(page: bytearray, records: RawRecords, converter: DateConverter, starts: list[int], ends: list[int],
           skip: set[int]) -> tuple[list[int], set[int]]:
    """Where each top-level date value to convert starts in `page` (after its opening quote), and the
    records to rewrite alone (records in `skip` were rewritten alone already)."""
    braces = map(page.find, repeat(b"{"), map(add, starts, repeat(1)), ends)
    nested = list(map(mod, braces, map(add, ends, repeat(1))))  # a record's first `{` after its own; -1 -> its end
    after = starts  # where to look for each record's next name: at the member found before it (never written to)
    dates: list[int] = []
    alone: set[int] = set()
    for name in _in_record_order(page, converter.fields, starts[0], ends[0]):
        values = records.values(name)
        shaped, texts, others = _by_shape(values, converter.fields[name], skip)
        alone.update(others)
        if not shaped:
            continue
        everyone = len(shaped) == len(after)
        found, prefix = _members(page, name, texts, shaped, after, starts, nested)
        if -1 in found:
            alone.update(record for record, at in zip(shaped, found, strict=True) if at < 0)
            dates += [at + prefix for at in found if at >= 0]
        else:
            dates += map(add, found, repeat(prefix))
        if everyone and -1 not in found:
            after = found  # each search started at `after`, so what it found is at or past it
        else:
            after = after.copy() if after is starts else after
            deque(map(after.__setitem__, shaped, map(max, map(after.__getitem__, shaped), found)), maxlen=0)
    return dates, alone


def _in_record_order(page: bytearray, fields: dict[str, str], start: int, end: int) -> list[str]:
    """The declared names in the order the first record holds them (absent ones last), so each can be
    looked for from the member of the one before it."""
    where = {name: page.find(orjson.dumps(name) + b":", start, end) for name in fields}
    return sorted(fields, key=lambda name: (where[name] < 0, where[name]))


def _by_shape(values: list, api_format: str, skip: set[int]) -> tuple[list[int], list[str], list[int]]:
    """The records whose value `rfc3339_from` converts by slicing (19 printable ASCII characters, the 11th a
    space: rewritten in place) with those values, and the records whose value it changes otherwise
    (rewritten alone); any other value stays as it is."""
    try:
        joined = '"'.join(values)  # the common column: a text in every record
        texts_at: Any = range(len(values))
        texts = values
    except TypeError:
        texts_at = list(compress(range(len(values)), map(isinstance, values, repeat(str))))
        texts = list(map(values.__getitem__, texts_at))
        joined = '"'.join(texts)
    if skip:
        texts_at = [index for index in texts_at if index not in skip]
        texts = list(map(values.__getitem__, texts_at))
        joined = '"'.join(texts)
    count = len(texts)
    # Every text 19 characters long: the joined length is right and each '"' is a separator on its grid.
    if api_format == SPACE_SEPARATED and len(joined) == _WIDTH * count - 1 and joined.count('"') == count - 1 \
            and joined[_END_AT::_WIDTH] == '"' * (count - 1) and joined[_T_AT::_WIDTH] == " " * count \
            and joined.isascii() and joined.isprintable():
        return list(texts_at), texts, []  # the common case, judged for the whole page at once
    shaped = [index for index, text in zip(texts_at, texts, strict=True)
              if api_format == SPACE_SEPARATED and len(text) == _END_AT and text.isascii() and text.isprintable()
              and text[_T_AT] == " "]
    in_place = set(shaped)
    others = [index for index, text in zip(texts_at, texts, strict=True)
              if index not in in_place and rfc3339_from(text, api_format) != text]
    return shaped, list(map(values.__getitem__, shaped)), others


def _members(page: bytearray, name: str, texts: list[str], records: list[int], after: list[int],
             starts: list[int], nested: list[int]) -> tuple[list[int], int]:
    """Where each record's top-level member `"name":"text"` is (the offset of the `,` before it, or of the
    record's `{` when it comes first; -1: not found before the record's first nested object), and how far
    past that its value starts."""
    spelt = orjson.dumps(name).decode()
    members = (f',{spelt}:"' + f'"\n,{spelt}:"'.join(texts) + '"').encode().split(b"\n")
    if len(records) == len(after):  # every record: the lists are already in record order
        froms, limits = after, nested
    else:
        froms, limits = list(map(after.__getitem__, records)), list(map(nested.__getitem__, records))
    found = list(map(page.find, members, froms, limits))
    if -1 in found:  # from the record's start, then as its first member
        for index in [index for index, at in enumerate(found) if at < 0]:
            start, member = starts[records[index]], members[index]
            found[index] = page.find(member, start, limits[index])
            if found[index] < 0 and page.startswith(b"{" + member[1:], start) \
                    and start + len(member) <= limits[index]:
                found[index] = start
    return found, len(spelt) + 3


def _record_alone(raw: Any, converter: DateConverter) -> bytes:
    """One record whose dates could not be found by their member: rewritten in place when its top-level
    members, written back compactly, are its own bytes (so each member's bytes are known); otherwise
    parsed, converted and serialised again."""
    members = top_level_members(raw)
    spelt = [orjson.dumps(name) + b":" + bytes(value) for name, value in members.items()]
    if b"{" + b",".join(spelt) + b"}" != bytes(raw):
        return _dumps(converter.to_rfc3339(json.loads(bytes(raw))))  # exact: orjson reads a huge integer as a float
    for index, (name, value) in enumerate(members.items()):
        api_format = converter.fields.get(name)
        text = json.loads(bytes(value)) if api_format is not None else None
        if isinstance(text, str) and api_format is not None and (typed := rfc3339_from(text, api_format)) != text:
            spelt[index] = orjson.dumps(name) + b":" + orjson.dumps(typed)
    return b"{" + b",".join(spelt) + b"}"


def _dumps(record: dict) -> bytes:
    """orjson, or the standard library for what orjson cannot write (an integer beyond 64 bits)."""
    try:
        return orjson.dumps(record)
    except TypeError:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
