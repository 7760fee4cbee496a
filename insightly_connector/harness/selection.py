"""A page of an ascending-id result set without materialising the set.

A result is: generated ("base") records at some positions, minus the base records that were touched
(deleted, or updated and so living in the overlay), plus overlay records that match. Base positions can
be a `range` (a plain list) or a cached array (a search); touched and overlay lists are small. Finding
the record at offset `skip` is a binary search over ids, so the cost of a page does not grow with the
size of the collection or with how far into it the page is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

BASE, OVERLAY = 0, 1


class Selection:
    def __init__(self, base_ids: Sequence[int], positions: Sequence[int], excluded: list[int],
                 extras: list, excluded_set: set[int] | frozenset = frozenset()):
        """`positions`: ascending base indexes; `excluded`: ascending base indexes among them to drop;
        `extras`: ascending overlay ids (keys) to merge in."""
        self.base_ids, self.positions, self.excluded, self.extras = base_ids, positions, excluded, extras
        self.excluded_set = excluded_set or set(excluded)

    def __len__(self) -> int:
        return len(self.positions) - len(self.excluded) + len(self.extras)

    def base_positions(self, skip: int, top: int) -> Sequence[int] | None:
        """The page as a slice of base positions when no touched or overlay record falls inside it (the
        common, fast case: changes are sparse), else None."""
        if top <= 0 or skip >= len(self):
            return ()
        if not self.excluded and not self.extras:
            return self.positions[skip:skip + top]
        if not self.positions:
            return None
        start_id = self._id_at(skip)
        start = bisect_left(self.positions, bisect_left(self.base_ids, start_id))
        candidate = self.positions[start:start + top]
        if not candidate or self.base_ids[candidate[0]] != start_id or len(candidate) < min(top, len(self) - skip):
            return None
        first, last = candidate[0], candidate[-1]
        if bisect_right(self.excluded, last) > bisect_left(self.excluded, first):
            return None
        if bisect_right(self.extras, self.base_ids[last]) > bisect_left(self.extras, self.base_ids[first]):
            return None
        return candidate

    def page(self, skip: int, top: int) -> list[tuple[int, object]]:
        """[(BASE, base index) | (OVERLAY, key)] for the records at offsets skip .. skip+top-1."""
        if top <= 0 or skip >= len(self):
            return []
        if not self.positions:
            return [(OVERLAY, key) for key in self.extras[skip:skip + top]]
        if not self.excluded and not self.extras:
            return [(BASE, p) for p in self.positions[skip:skip + top]]
        start = self._id_at(skip)
        return self._walk(start, top)

    def _rank(self, value: int) -> int:
        """How many selected records have an id <= value."""
        bound = bisect_right(self.base_ids, value) - 1
        base = bisect_right(self.positions, bound) - bisect_right(self.excluded, bound)
        return base + bisect_right(self.extras, value)

    def _id_at(self, offset: int) -> int:
        """The id of the record at `offset`: the smallest id whose rank exceeds the offset."""
        low = min(self.base_ids[self.positions[0]], self.extras[0] if self.extras else self.base_ids[-1])
        high = max(self.base_ids[self.positions[-1]], self.extras[-1] if self.extras else self.base_ids[0])
        while low < high:
            middle = (low + high) // 2
            if self._rank(middle) > offset:
                high = middle
            else:
                low = middle + 1
        return low

    def _walk(self, start: int, count: int) -> list[tuple[int, object]]:
        base_ids, positions, excluded = self.base_ids, self.positions, self.excluded_set
        p = bisect_left(positions, bisect_left(base_ids, start))
        e = bisect_left(self.extras, start)
        result = []
        while len(result) < count:
            while p < len(positions) and positions[p] in excluded:
                p += 1
            base_id = base_ids[positions[p]] if p < len(positions) else None
            extra = self.extras[e] if e < len(self.extras) else None
            if base_id is None and extra is None:
                break
            if extra is None or (base_id is not None and base_id < extra):
                result.append((BASE, positions[p]))
                p += 1
            else:
                result.append((OVERLAY, extra))
                e += 1
        return result
