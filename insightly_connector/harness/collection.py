"""One collection's records: generated base records (lazy) plus an overlay of created and changed ones.

Base record i lives only as columns in its `RecordFactory`. Creating a record, or updating or deleting a
base record, moves it into the overlay (a dict keyed by id, with its encoded bytes cached) and marks the
base index as *touched*. Listing and searching combine both through a `Selection`; the indexes a search
needs (on DATE_UPDATED_UTC, on a field, on a tag, on a note's parent) are built on first use and reused,
since base records never change.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right, insort
from collections import OrderedDict
from collections.abc import Callable, Iterable

import orjson

from insightly_connector.harness.datetimes import parse_record_date
from insightly_connector.harness.generator import RecordFactory
from insightly_connector.harness.selection import BASE, Selection
from insightly_connector.harness.table import CollectionSpec

CACHE_ENTRIES = 16


class Stored:
    """An overlay record with its encodings, computed once per version of the record."""

    __slots__ = ("_brief", "_full", "record")

    def __init__(self, record: dict):
        self.record, self._full, self._brief = record, None, None

    def full(self) -> bytes:
        if self._full is None:
            self._full = orjson.dumps(self.record)
        return self._full

    def brief(self, nested: frozenset[str]) -> bytes:
        if self._brief is None:
            self._brief = orjson.dumps({k: v for k, v in self.record.items() if k not in nested})
        return self._brief


class Collection:
    def __init__(self, spec: CollectionSpec, factory: RecordFactory | None = None,
                 records: Iterable[dict] = ()):
        self.spec, self.factory = spec, factory
        self.pk = spec.primary_key
        self.nested = frozenset(f.name for f in spec.fields if f.nested)
        self.base_ids = factory.ids if factory else array("q")
        self.size = len(self.base_ids)
        self.touched: list[int] = []  # ascending base indexes deleted or moved into the overlay
        self.touched_set: set[int] = set()
        self.overlay: dict = {}
        self.keys: list = []  # ascending overlay keys
        self.version = 0  # bumped by every change; caches of derived selections key on it
        self._indexes: dict = {}  # immutable indexes over base records
        self._cache: OrderedDict = OrderedDict()
        for record in records:
            self._put(record[self.pk], record)

    # ---- reading ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self.size - len(self.touched) + len(self.overlay)

    def base_index(self, key) -> int | None:
        if self.factory is None or key in self.overlay:
            return None
        i = self.factory.index_of(key)
        return None if i is None or i in self.touched_set else i

    def get(self, key) -> dict | None:
        if key in self.overlay:
            return self.overlay[key].record
        i = self.base_index(key)
        return None if i is None else self.factory.record(i)

    def render(self, key, brief: bool = False) -> bytes | None:
        if key in self.overlay:
            stored = self.overlay[key]
            return stored.brief(self.nested) if brief else stored.full()
        i = self.base_index(key)
        return None if i is None else self.factory.render(i, brief)

    def render_page(self, selection: Selection, skip: int, top: int, brief: bool) -> list[bytes]:
        render = self.factory.renderer(brief) if self.factory else None
        positions = selection.base_positions(skip, top) if render else None
        if positions is not None:
            return list(map(render, positions))
        out = []
        for kind, item in selection.page(skip, top):
            if kind == BASE:
                out.append(render(item))
            else:
                stored = self.overlay[item]
                out.append(stored.brief(self.nested) if brief else stored.full())
        return out

    def ids(self) -> list:
        return [self._key_of(kind, item) for kind, item in self.everything().page(0, len(self))]

    def key_at(self, offset: int):
        """The id of the live record at `offset` in id order."""
        kind, item = self.everything().page(offset, 1)[0]
        return self._key_of(kind, item)

    def _key_of(self, kind: int, item):
        return self.base_ids[item] if kind == BASE else item

    def records(self) -> Iterable[dict]:
        """Every live record as a dict (small collections and tests only)."""
        for key in self.ids():
            yield self.get(key)

    # ---- selections ------------------------------------------------------------------------------------

    def everything(self) -> Selection:
        return Selection(self.base_ids, range(self.size), self.touched, self.keys, self.touched_set)

    def select(self, base_positions, overlay_match: Callable[[dict], bool], cache_key) -> Selection:
        """Base positions (ascending array; None = all) that still hold, plus overlay records matching."""
        key = (cache_key, self.version)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        positions = range(self.size) if base_positions is None else base_positions
        if isinstance(positions, range):
            excluded = self.touched
        else:
            excluded = [t for t in self.touched if _contains(positions, t)]
        extras = [k for k in self.keys if overlay_match(self.overlay[k].record)]
        selection = Selection(self.base_ids, positions, excluded, extras)
        self._cache[key] = selection
        if len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return selection

    def updated_after(self, instant: int, inclusive: bool, field: str) -> array:
        """Base positions with `field` (a date) after `instant` (at or after when inclusive), ascending.
        Cached: a client pages through the same search many times, and base records never change."""
        if self.factory is None:
            return array("q")
        key = ("after", field, instant, inclusive)
        if key not in self._cache:
            order, values = self.index(("by_time", field), lambda: self._time_index(field))
            cut = (bisect_left if inclusive else bisect_right)(values, instant - self.factory.origin)
            self._cache[key] = array("q", sorted(order[cut:]))
            if len(self._cache) > CACHE_ENTRIES:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        return self._cache[key]

    def _time_index(self, field: str) -> tuple[array, array]:
        """Base positions in date order, with their dates (seconds since the factory's origin)."""
        column = self.factory.updated if field == "DATE_UPDATED_UTC" else self.factory.created
        order = array("q", sorted(range(self.size), key=column.__getitem__))
        return order, array("q", (column[i] for i in order))

    def base_matches(self, index_name: str, build: Callable[[], dict], value) -> array:
        """Base positions whose value (per a lazily built value -> positions index) equals `value`."""
        return self.index(index_name, build).get(value, array("q"))

    def value_index(self, normalise: Callable[[object], object], values_of: Callable[[int], Iterable]) -> dict:
        """value -> ascending base positions, for every value `values_of(i)` yields for base record i."""
        index: dict = {}
        for i in range(self.size):
            for value in values_of(i):
                index.setdefault(normalise(value), array("q")).append(i)
        return index

    def index(self, name, build: Callable):
        """A named index over the base records, built on first use (base records never change)."""
        if name not in self._indexes:
            self._indexes[name] = build()
        return self._indexes[name]

    # ---- changing --------------------------------------------------------------------------------------

    def next_key(self) -> int:
        last = max(self.base_ids[-1] if self.size else 0, self.keys[-1] if self.keys else 0)
        return last + 1

    def put(self, record: dict) -> None:
        """Create or replace the record with the record's primary key."""
        key = record[self.pk]
        i = self.factory.index_of(key) if self.factory else None
        if i is not None and i not in self.touched_set:
            self.touched_set.add(i)
            insort(self.touched, i)
        self._put(key, record)
        self.version += 1

    def _put(self, key, record: dict) -> None:
        if key not in self.overlay:
            insort(self.keys, key)
        self.overlay[key] = Stored(record)

    def delete(self, key) -> bool:
        if key in self.overlay:
            del self.overlay[key]
            del self.keys[bisect_left(self.keys, key)]
        else:
            i = self.base_index(key)
            if i is None:
                return False
            self.touched_set.add(i)
            insort(self.touched, i)
        self.version += 1
        return True


def _contains(positions, value: int) -> bool:
    i = bisect_left(positions, value)
    return i < len(positions) and positions[i] == value


def record_time(record: dict, field: str) -> int | None:
    value = record.get(field)
    return parse_record_date(value) if isinstance(value, str) else None
