"""A page's records as the API sent them: the exact bytes of each, split by a fast scanner.

Parsing every record into Python objects and serialising it again cost most of a read's CPU, and
the output of a plain read is the input. So a page body is split once (msgspec's decoder validates
the whole body and hands back each array element as a zero-copy slice), the few fields the runner
judges (the primary key, the cursor) are decoded as columns across the page, and a record is parsed
whole only when a consumer asks for it as a dict. Output writers take `raw` and write the bytes
unaltered, so records stay byte-for-byte what the API sent."""

from __future__ import annotations

import codecs
import functools
import json
import operator
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import orjson


class MalformedPage(ValueError):
    """The body is not JSON, or not a list of objects at the records path (the message says which)."""


@functools.cache
def _msgspec() -> Any:
    import msgspec  # imported with the first page, not at start-up

    return msgspec


@functools.cache
def _list_decoder() -> Any:
    msgspec = _msgspec()
    return msgspec.json.Decoder(list[msgspec.Raw])


@functools.cache
def _object_decoder() -> Any:
    msgspec = _msgspec()
    return msgspec.json.Decoder(dict[str, msgspec.Raw])


@functools.cache
def _columns_decoder(fields: tuple[str, ...]) -> Any:
    """Decodes some top-level fields of every object in a list (absent: UNSET), skipping everything else."""
    msgspec = _msgspec()
    columns = msgspec.defstruct("Columns", [(f"c{index}", Any, msgspec.field(default=msgspec.UNSET, name=field))
                                            for index, field in enumerate(fields)])
    return msgspec.json.Decoder(list[columns])


def split_records(content: bytes, records_path: str, wanted: set[str] | None = None) -> RawRecords:
    """The records at `records_path` (`$`, or `$.a.b`) of one answer, each as its own bytes.

    `wanted` is shared by the pages of one walk: the fields any of them was asked for, decoded together
    in one pass over each later page (so a page costs one pass for its columns, not one per field)."""
    msgspec = _msgspec()
    body: Any = content
    try:
        for name in records_path.lstrip("$").split(".")[1:] if records_path != "$" else ():
            found = _object_decoder().decode(body).get(name)
            if found is None:
                raise MalformedPage(f"expected a list of records at {records_path!r}")
            body = found
        raws = _list_decoder().decode(body)
    except msgspec.ValidationError:
        raise MalformedPage(f"expected a list of records at {records_path!r}") from None
    except msgspec.DecodeError as exc:
        raise MalformedPage(f"not valid JSON ({exc})") from None
    if not content.isascii():
        _require_utf8(raws, content)
    return RawRecords(raws, _Columns(bytes(body) if not isinstance(body, bytes) else body, len(raws),
                                     wanted if wanted is not None else set()))


def _require_utf8(raws: list, content: bytes) -> None:
    """Records are written as they came, so each must be UTF-8 (the scanner does not check inside strings).

    Record by record: decoding the whole page widens all of it once one character needs two bytes of
    storage, which cost as much as splitting the page."""
    try:
        deque(map(codecs.utf_8_decode, raws), maxlen=0)
    except UnicodeDecodeError:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedPage(f"not UTF-8 (byte {exc.start})") from None
        raise MalformedPage("not UTF-8") from None


class _Columns:
    """The page-wide columns decoded so far, shared by every selection of the page's records."""

    def __init__(self, body: bytes, count: int, wanted: set[str]):
        self.body = body
        self.count = count
        self.wanted = wanted
        # JSON strings cannot hold a raw line break, so a body without one has every record on one line.
        self.single_line = b"\n" not in body and b"\r" not in body
        self._decoded: dict[str, list] = {}

    def get(self, field: str) -> list:
        """The field's value in each record: None where it is null, `msgspec.UNSET` where it is absent."""
        values = self._decoded.get(field)
        if values is None:
            self.wanted.add(field)
            self.decode(self.wanted)
            values = self._decoded[field]
        return values

    def decode(self, fields: set[str]) -> None:
        """Decode the columns of `fields` not decoded yet, in one pass over the page."""
        missing = tuple(sorted(field for field in fields if field not in self._decoded))
        if not missing:
            return
        msgspec = _msgspec()
        try:
            rows = _columns_decoder(missing).decode(self.body)
        except msgspec.ValidationError as exc:
            raise MalformedPage(f"a record is not an object, or holds a number out of range ({exc})") from None
        if len(missing) == 1 or not rows:
            for index, field in enumerate(missing):
                self._decoded[field] = list(map(operator.attrgetter(f"c{index}"), rows))
            return
        # Each row read once, its fields together (a pass per field reread every row from memory).
        getter = operator.attrgetter(*(f"c{index}" for index in range(len(missing))))
        self._decoded.update(zip(missing, map(list, zip(*map(getter, rows), strict=True)), strict=True))


class RawRecords(Sequence[dict]):
    """Some or all of one page's records, in order. Indexing and iteration give parsed dicts (parsed
    once, then kept), so any consumer may treat it as a list of records; the fast paths read `raw`
    and `column()` instead."""

    def __init__(self, raws: list, columns: _Columns, positions: list[int] | None = None):
        self._raws = raws
        self._columns = columns
        self._positions = positions  # indexes into the page; None: the whole page
        self._parsed: list[dict] | None = None

    @property
    def raw(self) -> list:
        """Each record's bytes exactly as the API sent them (bytes-like)."""
        if self._positions is None:
            return self._raws
        return [self._raws[index] for index in self._positions]

    @property
    def single_line(self) -> bool:
        """Every record's bytes fit on one line (the API did not pretty-print): they can be JSON lines."""
        return self._columns.single_line

    def want(self, fields: set[str]) -> None:
        """These columns will be read: decode them (with any the walk wanted before) in one pass."""
        self._columns.wanted.update(fields)
        self._columns.decode(self._columns.wanted)

    def column(self, field: str) -> list:
        """The value of a top-level field in each record (None where it is absent)."""
        unset = _msgspec().UNSET
        values = self._selected(field)
        if unset not in values:  # the common page: every record has the field (a C scan, then a copy)
            return list(values)
        return [None if value is unset else value for value in values]

    def values(self, field: str) -> list:
        """The page's own column of a top-level field, not copied: `msgspec.UNSET` where it is absent.
        Read it, never change it."""
        return self._selected(field)

    def present(self, field: str) -> int:
        """How many of the records have `field` at the top level (null included)."""
        unset = _msgspec().UNSET
        return sum(value is not unset for value in self._selected(field))

    def _selected(self, field: str) -> list:
        values = self._columns.get(field)
        return values if self._positions is None else [values[index] for index in self._positions]

    def take(self, indexes: Sequence[int]) -> RawRecords:
        """The records at `indexes` (positions in this selection), in that order."""
        positions = list(indexes) if self._positions is None else [self._positions[i] for i in indexes]
        return RawRecords(self._raws, self._columns, positions)

    def parsed(self) -> list[dict]:
        if self._parsed is None:
            self._parsed = [_parse(raw) for raw in self.raw]
        return self._parsed

    def __len__(self) -> int:
        return len(self._raws) if self._positions is None else len(self._positions)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.take(range(len(self))[index])
        if self._parsed is not None:
            return self._parsed[index]
        position = range(len(self))[index] if self._positions is None else self._positions[index]
        return _parse(self._raws[position])

    def __iter__(self) -> Iterator[dict]:
        return iter(self.parsed())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def top_level_members(raw: Any) -> dict[str, Any]:
    """One record's top-level members, each value as its own bytes (`msgspec.Raw`), the last of a repeated name."""
    return _object_decoder().decode(raw)


def _parse(raw: Any) -> Any:
    """One record as Python objects (orjson; the standard library for what orjson refuses, such as an
    integer beyond 64 bits, which the API may send and the scanner passes through)."""
    try:
        return orjson.loads(memoryview(raw))
    except orjson.JSONDecodeError:
        return json.loads(bytes(raw))


def column(records: Sequence[dict], field: str) -> list:
    """`field` of each record, from the page's column when it has one, else from the parsed dicts."""
    if isinstance(records, RawRecords):
        return records.column(field)
    return [record.get(field) for record in records]
