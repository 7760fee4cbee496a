"""Child streams: records an API serves only under each parent record (`/{parent path}/{parent id}/...`).

A child stream costs one request per parent (plus pages), so it is opt-in: never in the default selection,
and `discover` and the start of a read say how many requests it will take. The walk:

* full read: every parent (the parent's list), then each parent's children;
* incremental read (the parent has a cursor, and a cursor was saved): only the parents changed since the
  cursor (`parents: changed`, the parent's updated-after search: k changed parents cost about k requests
  plus the search's pages), or every parent (`parents: all`); the child route's own updated-after
  parameter is sent where the YAML declares it, so only changed children come back.
  With `parents: changed`, a child change that does not move its parent's updated value is missed until
  the parent changes or a full read; `parents: all` misses nothing the route's filter reports, at the cost
  of one request per parent;
* each parent's children are fetched whole, emitted, and only then is state saved, positioned at that
  parent (the parent walk's offset and key): a stopped run (a spent quota, a kill) resumes after the last
  parent whose children were written, so nothing is lost and nothing repeated.

A child stream's parent may be a child stream itself (a comment's files, under each note's comments):
its records then come from that stream's own walk, one grandparent's worth at a time, so each record
carries every ancestor's key; the same rules hold level by level (`parents: changed` walks the changed
grandparents and, of theirs, the parents their route reports changed; `parents: all` walks every one), and
a stop part way through a grandparent's parents is saved as `within` and resumed after the last one done.

Children of several parents are fetched at once (up to the limiter's requests in flight) and emitted in
parent order. A child answer saying the parent is gone (the error policy's `already_absent` for a delete)
means the parent was deleted mid-read: it has no children to read, and the walk goes on. A parent without
a value the child path names (an article with no language) has none either: it is counted, not asked.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from insightly_connector.errors import ApiError
from insightly_connector.http.error_policy import Action, Verb
from insightly_connector.source.incremental import Window
from insightly_connector.source.pages import ListRequest, ResumePoint
from insightly_connector.spec.templating import TemplateValueError, render_runtime
from insightly_connector.wording import count_of

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.spec.model import Resource

_WHOLE_KEY = "\x00whole key"  # the key a child's version is remembered by, in the window only (never emitted)
#: Under a child stream, how many top-level parents are read before the estimate is told again, measured.
SAMPLED_PARENTS = 100
_NOTHING_UNDER: dict = {}  # stands for a grandparent with no parents under it: no request, only the state moves


@dataclass(frozen=True, eq=False)  # compiled once, compared by identity: no generated __eq__ to create
class ChildPolicy:
    """`child: {parent, parent_key_field, updated_after_param, cursor_field, parents}` compiled."""

    parent: str
    parent_key_field: str
    updated_after_param: str | None = None  # the child route filters on it (its answers are the changed children)
    cursor_field: str | None = None  # the children's own updated value, for boundary dedupe
    parents: str = "changed"  # incremental: walk the changed parents, or all
    # The keys a parent read under parents of its own carries (outermost first), set by the loader: a
    # grandchild record carries them, then its parent's key, then its own.
    ancestor_key_fields: tuple[str, ...] = ()

    @property
    def leading_key_fields(self) -> tuple[str, ...]:
        """The keys added to each record, in order: the ancestors', then the parent's."""
        return (*self.ancestor_key_fields, self.parent_key_field)

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> ChildPolicy:
        return cls(declared["parent"], declared["parent_key_field"], declared.get("updated_after_param"),
                   declared.get("cursor_field"), declared.get("parents", "changed"))


@dataclass(frozen=True, eq=False)  # a figure to tell, never compared: no generated __eq__ to create
class Estimate:
    """What reading a child stream costs: one request per parent, plus the parent list's pages. A stream
    under parents that are themselves read per parent (`levels` > 1) costs one request per root parent
    for their children, then one per child of those, which no list counts in advance: the figure is a
    floor, and the text says what multiplies it."""

    parents: int
    parent_pages: int
    requests_per_second: float
    levels: int = 1  # 1: the parents are a list of their own; 2: they are read under records themselves

    @property
    def requests(self) -> int:
        return self.parents + self.parent_pages

    def describe(self) -> str:
        pages = count_of(self.parent_pages, "page")
        if self.levels == 1:
            return (f"about {self.requests:,} requests ({self.parents:,} parents, one request each, plus "
                    f"{pages} of parents; {self._at_pace(self.requests)})")
        at_two = self.requests + 2 * self.parents
        return (f"at least {self.requests:,} requests ({self.parents:,} top-level parents, one request each "
                f"for the records under them, plus {pages} of them), then one request per record found under "
                f"each ({self.parents:,} x how many each has, which no list counts in advance: at 2 each, "
                f"{at_two:,} requests; {self._at_pace(at_two)})")

    def measured(self, walked: int, found: int) -> str:
        """The estimate once `walked` top-level parents are read: `found` records under them, so as many
        per parent across all of them (the floor's missing factor, measured)."""
        per_parent = found / walked if walked else 0
        total = self.requests + round(self.parents * per_parent)
        return (f"{per_parent:.2f} records under each of the first {walked:,} top-level parents: about "
                f"{total:,} requests in all ({self._at_pace(total)})")

    def _at_pace(self, requests: int) -> str:
        seconds = requests / self.requests_per_second if self.requests_per_second else 0
        return f"{_duration(seconds)} at {self.requests_per_second:g} a second"


def estimate(parents: int, root: Resource, requests_per_second: float, levels: int = 1) -> Estimate:
    """The cost of walking `parents` records of `root` (the top of the lineage) and what is under them."""
    page_size = getattr(root.paginator, "page_size", 0) or max(parents, 1)
    overlap = getattr(root.paginator, "overlap", 0)
    pages = 1 if parents <= page_size else 1 + -(-(parents - page_size) // max(page_size - overlap, 1))
    return Estimate(parents, pages, requests_per_second, levels)


def lineage(spec, resource: Resource) -> list[Resource]:
    """The resources a child stream is read under, the top-level list first and its own parent last."""
    chain: list[Resource] = []
    current = resource
    while current.child is not None:
        current = spec.parent_of(current)
        if any(current is seen or current.name == seen.name for seen in chain) or current.name == resource.name:
            raise ValueError(f"{resource.name}: its parents lead back to {current.name}")
        chain.insert(0, current)
    return chain


def count_parents(client: Client, parent: Resource) -> int | None:
    """The parent's record count, from one request of one record (the total the list reports), or None."""
    probe = parent.paginator.probe_params()
    total_params = getattr(parent.paginator, "total_params", {})
    header = getattr(parent.paginator, "total_header", None)
    if not header:
        return None
    response = client.request("GET", parent.path, params={**parent.params, **total_params, **probe})
    raw = response.headers.get(header, "")
    return int(raw) if raw.isdigit() else None


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


@dataclass
class ParentDone:
    """The children of one parent, ready to emit, and the state that resumes after that parent:
    `position` and `last_pk` in the top-level list, and for a stream under parents read per record,
    `within`: per level below the top, [the key of the record whose children were being walked, the key
    of the last of them done, how many were done]."""

    records: list[dict]
    parent_key: Any
    resume: dict


class ChildWalk:
    """One read of a child stream: the parents to walk, each one's children, where to resume.

    `lineage` is the resources the stream is read under (`lineage()`), the top-level list first. When the
    parent is itself a child stream, its records come from its own walk (an upper `ChildWalk` that only
    fetches, judging nothing): the upper walk yields one grandparent's children at a time, each of which
    is a parent here, so every ancestor's key is known and carried."""

    def __init__(self, client: Client, child: Resource, lineage: list[Resource], *, window: Window | None,
                 resume: dict, prefetch: int, skip_action: Callable[[ApiError], Action | None],
                 on_first_page: Callable[[int | None], None] = lambda total: None,
                 on_sampled: Callable[[int, int], None] = lambda walked, found: None,
                 judge: bool = True, changed_only: bool | None = None):
        self.client, self.child, self.parent = client, child, lineage[-1]
        self.on_first_page = on_first_page  # told the top-level parents' total (or None) once, first
        self.on_sampled = on_sampled  # under a child stream: told once how many parents the first few had
        self.policy: ChildPolicy = child.child
        self.window = window
        self.judge = judge  # choose children by the window (the stream read); an upper walk only fetches
        self.prefetch = max(1, prefetch)
        self.gone = skip_action
        self._gone = 0
        self._unaddressed = 0  # parents without a value the child path needs (e.g. no language)
        incremental = window is not None and window.incremental
        if changed_only is None:
            changed_only = incremental and self.policy.parents == "changed"
        self.child_params = dict(child.params)
        if (incremental if judge else changed_only) and self.policy.updated_after_param:
            self.child_params[self.policy.updated_after_param] = window.request_bound()
        within = list(resume.get("within") or [])
        self.skip = within.pop() if within and len(lineage) > 1 else None  # [parent key, last done, count]
        self.upper: ChildWalk | None = None
        if len(lineage) > 1:
            upper_resume = {key: value for key, value in resume.items() if key in ("position", "last_pk")}
            if within:
                upper_resume["within"] = within
            self.upper = ChildWalk(client, self.parent, lineage[:-1], window=window, resume=upper_resume,
                                   prefetch=prefetch, skip_action=skip_action, on_first_page=on_first_page,
                                   judge=False, changed_only=changed_only)
            self.started_from = upper_resume
        else:
            request = self.parent.since_request(window.request_bound()) if changed_only \
                else self.parent.list_request()
            self.pager = self.parent.paginator.walk(
                client, request, prefetch=prefetch, start=ResumePoint(resume.get("position", 0), resume.get("last_pk")))

    @property
    def resumable(self) -> bool:
        return self.upper.resumable if self.upper is not None else self.pager.resumable

    @property
    def parents_gone(self) -> int:
        """Parents (at any level) deleted during the read: they had no children to read."""
        return self._gone + (self.upper.parents_gone if self.upper is not None else 0)

    @property
    def parents_unaddressed(self) -> int:
        return self._unaddressed + (self.upper.parents_unaddressed if self.upper is not None else 0)

    def parents(self) -> Iterator[ParentDone]:
        """Parents in order, each with its children fetched; closing it early abandons work in flight."""
        groups = self._upper_groups() if self.upper is not None else self._page_groups()
        executor = ThreadPoolExecutor(max_workers=self.prefetch, thread_name_prefix="children") \
            if self.prefetch > 1 else None
        try:
            for records, resume_after in groups:
                for index, children in enumerate(self._children_in_order(executor, records)):
                    yield ParentDone(children, records[index].get(self.parent.primary_key), resume_after(index))
        finally:
            groups.close()
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

    def _page_groups(self) -> Iterator[tuple[list[dict], Callable[[int], dict]]]:
        """The top-level parents, a page at a time, each parent's resume point its place in the list."""
        pages = self.pager.pages()
        try:
            for number, page in enumerate(pages):
                if number == 0:
                    self.on_first_page(page.total)
                if self.window is not None and self.window.sync_start is None:
                    self.window.start(self.client.server_time() - timedelta(seconds=time.monotonic() - page.sent_at))
                records = page.records
                first = page.position - len(records) + 1 if self.pager.resumable else 0
                yield records, lambda index, first=first, records=records: {
                    "position": first + index if self.pager.resumable else 0,
                    "last_pk": records[index].get(self.parent.primary_key)}
        finally:
            pages.close()

    def _upper_groups(self) -> Iterator[tuple[list[dict], Callable[[int], dict]]]:
        """The parents read under a record of their own, one grandparent's worth at a time. Done with a
        grandparent, the walk resumes where the upper walk does after it; part way, where the upper walk
        resumes before it, skipping the parents already done. A grandparent with no parents still moves
        the state (a placeholder parent that costs no request)."""
        upper = self.upper.parents()
        before = self.started_from
        walked = found = 0
        try:
            for done in upper:
                parents = done.records
                walked, found = walked + 1, found + len(parents)
                if walked == SAMPLED_PARENTS:
                    self.on_sampled(walked, found)
                if self.skip is not None:
                    parents = self._after_skipped(done.parent_key, parents)
                    self.skip = None
                if not parents:
                    yield [_NOTHING_UNDER], lambda index, resume=done.resume: resume
                    before = done.resume
                    continue
                last, skipped = len(parents) - 1, len(done.records) - len(parents)
                yield parents, lambda index, done=done, parents=parents, before=before, last=last, skipped=skipped: \
                    done.resume if index == last else {**before, "within": [*(before.get("within") or []), [
                        done.parent_key, parents[index].get(self.parent.primary_key), skipped + index + 1]]}
                before = done.resume
        finally:
            upper.close()

    def _after_skipped(self, grandparent_key: Any, parents: list[dict]) -> list[dict]:
        """A resumed walk's first grandparent: the parents after the last one a stopped run finished, found
        by its key. When that one was deleted since, the parents done before it are one fewer: skip those
        (had more of them gone, some would come again, by their keys; none is lost)."""
        key, last_done, count = self.skip
        if grandparent_key != key:
            return parents
        keys = [parent.get(self.parent.primary_key) for parent in parents]
        cut = keys.index(last_done) + 1 if last_done in keys else max(count - 1, 0)
        return parents[cut:]

    def _children_in_order(self, executor: ThreadPoolExecutor | None, parents: list[dict]) -> Iterator[list[dict]]:
        """Each parent's children, in parent order, with at most `prefetch` parents fetched ahead (a stop
        wastes little, and memory holds a few parents' children, not a page's)."""
        if executor is None:
            yield from map(self._children_of, parents)
            return
        ahead: deque[Future] = deque()
        waiting = iter(parents)
        try:
            for parent in waiting:
                ahead.append(executor.submit(self._children_of, parent))
                if len(ahead) >= self.prefetch:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()
        finally:
            for future in ahead:
                future.cancel()

    def _children_of(self, parent_record: dict) -> list[dict]:
        if parent_record is _NOTHING_UNDER:
            return []
        key = parent_record.get(self.parent.primary_key)
        try:
            path = render_runtime(self.child.path, {"parent": {**parent_record, "id": key}})
        except TemplateValueError:
            self._unaddressed += 1  # no such child can exist: nothing to ask for
            return []
        request = ListRequest(path, self.child_params, self.child.records_path, None)
        try:
            walk = self.child.paginator.walk(self.client, request, prefetch=1)
            records = [record for page in walk.pages() for record in page.records]
        except ApiError as error:
            if self.gone(error) is Action.ALREADY_ABSENT:
                self._gone += 1
                return []
            raise
        leading = {field: parent_record.get(field) for field in self.policy.ancestor_key_fields}
        leading[self.policy.parent_key_field] = key
        records = [{**{f: v for f, v in leading.items() if f not in record}, **record} for record in records
                   if isinstance(record, dict)]
        if self.window is not None and self.judge:
            records = self._new_in_window(records)
        return records

    def _new_in_window(self, records: list[dict]) -> list[dict]:
        """The window's choice of one parent's children, remembered by the whole key (the ancestors' and
        the parent's, then the child's): a child's own key is unique only within its parent (two
        opportunities change state in the same second), and the boundary must not take one for the other."""
        keyed = [{**record, _WHOLE_KEY: "/".join([*(str(record.get(f)) for f in self.policy.leading_key_fields),
                                                  str(record.get(self.child.primary_key))])}
                 for record in records]
        chosen = {id(record) for record in self.window.select(keyed, _WHOLE_KEY)}
        return [record for record, wrapped in zip(records, keyed, strict=True) if id(wrapped) in chosen]


def child_window_policy(child: Resource, parent: Resource):
    """The cursor policy of a child stream: its parent's (bounds, cursor texts), judging the children by
    their own updated field when they have one (children without it are all kept)."""
    if parent.cursor is None:
        return None
    field = child.child.cursor_field or parent.cursor.cursor_field
    return replace(parent.cursor, cursor_field=field)


def gone_action(spec) -> Callable[[ApiError], Action | None]:
    """How the error policy reads a child answer as for a delete: `already_absent` means the parent is gone."""

    def action(error: ApiError) -> Action | None:
        if error.status is None:
            return None
        return spec.http.errors.resolve(error.status, Verb.DELETE).action

    return action
