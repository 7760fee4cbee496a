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

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.spec.model import Resource

_WHOLE_KEY = "\x00whole key"  # the key a child's version is remembered by, in the window only (never emitted)


@dataclass(frozen=True)
class ChildPolicy:
    """`child: {parent, parent_key_field, updated_after_param, cursor_field, parents}` compiled."""

    parent: str
    parent_key_field: str
    updated_after_param: str | None = None  # the child route filters on it (its answers are the changed children)
    cursor_field: str | None = None  # the children's own updated value, for boundary dedupe
    parents: str = "changed"  # incremental: walk the changed parents, or all

    @classmethod
    def compile(cls, declared: Mapping[str, Any]) -> ChildPolicy:
        return cls(declared["parent"], declared["parent_key_field"], declared.get("updated_after_param"),
                   declared.get("cursor_field"), declared.get("parents", "changed"))


@dataclass(frozen=True)
class Estimate:
    """What reading a child stream costs: one request per parent, plus the parent list's pages."""

    parents: int
    parent_pages: int
    requests_per_second: float

    @property
    def requests(self) -> int:
        return self.parents + self.parent_pages

    def describe(self) -> str:
        seconds = self.requests / self.requests_per_second if self.requests_per_second else 0
        pages = f"{self.parent_pages:,} page{'' if self.parent_pages == 1 else 's'}"
        return (f"about {self.requests:,} requests ({self.parents:,} parents, one request each, plus "
                f"{pages} of parents; {_duration(seconds)} at {self.requests_per_second:g} a second)")


def estimate(parents: int, parent: Resource, requests_per_second: float) -> Estimate:
    page_size = getattr(parent.paginator, "page_size", 0) or max(parents, 1)
    overlap = getattr(parent.paginator, "overlap", 0)
    pages = 1 if parents <= page_size else 1 + -(-(parents - page_size) // max(page_size - overlap, 1))
    return Estimate(parents, pages, requests_per_second)


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
    """The children of one parent, ready to emit, and where the walk stands after that parent."""

    records: list[dict]
    parent_key: Any
    position: int


class ChildWalk:
    """One read of a child stream: the parents to walk, each one's children, where to resume."""

    def __init__(self, client: Client, child: Resource, parent: Resource, *, window: Window | None,
                 resume: dict, prefetch: int, skip_action: Callable[[ApiError], Action | None],
                 on_first_page: Callable[[int | None], None] = lambda total: None):
        self.client, self.child, self.parent = client, child, parent
        self.on_first_page = on_first_page  # told the parents' total (or None) once, before any child request
        self.policy: ChildPolicy = child.child
        self.window = window
        self.resume = resume
        self.prefetch = max(1, prefetch)
        self.gone = skip_action
        self.parents_gone = 0
        self.parents_unaddressed = 0  # parents without a value the child path needs (e.g. no language)
        incremental = window is not None and window.incremental
        self.parent_request = parent.since_request(window.request_bound()) \
            if incremental and self.policy.parents == "changed" else parent.list_request()
        self.child_params = dict(child.params)
        if incremental and self.policy.updated_after_param:
            self.child_params[self.policy.updated_after_param] = window.request_bound()
        self.pager = parent.paginator.walk(client, self.parent_request, prefetch=prefetch,
                                           start=ResumePoint(resume.get("position", 0), resume.get("last_pk")))

    @property
    def resumable(self) -> bool:
        return self.pager.resumable

    def parents(self) -> Iterator[ParentDone]:
        """Parents in order, each with its children fetched; closing it early abandons work in flight."""
        pages = self.pager.pages()
        executor = ThreadPoolExecutor(max_workers=self.prefetch, thread_name_prefix="children") \
            if self.prefetch > 1 else None
        try:
            for number, page in enumerate(pages):
                if number == 0:
                    self.on_first_page(page.total)
                if self.window is not None and self.window.sync_start is None:
                    self.window.start(self.client.server_time() - timedelta(seconds=time.monotonic() - page.sent_at))
                records = page.records
                first = page.position - len(records) + 1 if self.pager.resumable else 0
                for index, children in enumerate(self._children_in_order(executor, records)):
                    yield ParentDone(children, records[index].get(self.parent.primary_key),
                                     first + index if self.pager.resumable else 0)
        finally:
            pages.close()
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)

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
        key = parent_record.get(self.parent.primary_key)
        try:
            path = render_runtime(self.child.path, {"parent": {**parent_record, "id": key}})
        except TemplateValueError:
            self.parents_unaddressed += 1  # no such child can exist: nothing to ask for
            return []
        request = ListRequest(path, self.child_params, self.child.records_path, None)
        try:
            walk = self.child.paginator.walk(self.client, request, prefetch=1)
            records = [record for page in walk.pages() for record in page.records]
        except ApiError as error:
            if self.gone(error) is Action.ALREADY_ABSENT:
                self.parents_gone += 1
                return []
            raise
        field = self.policy.parent_key_field
        records = [record if field in record else {field: key, **record} for record in records
                   if isinstance(record, dict)]
        if self.window is not None:
            records = self._new_in_window(records, key)
        return records

    def _new_in_window(self, records: list[dict], parent_key: Any) -> list[dict]:
        """The window's choice of one parent's children, remembered by the whole key (the parent's, then
        the child's): a child's own key is unique only within its parent (two opportunities change state
        in the same second), and the boundary must not take one for the other."""
        keyed = [{**record, _WHOLE_KEY: f"{parent_key}/{record.get(self.child.primary_key)}"} for record in records]
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
