"""What a create of unknown outcome did: made one record (which), made none, or cannot be told.

A POST that got no answer may or may not have been applied. Sending it again blindly can make a
duplicate; confirming whatever record looks like it can report a create that never happened (an
identical record made earlier, or by someone else). So a record is confirmed as this send's only
on evidence: it holds what was sent (or carries the upsert key's value), the server stamped it as
created at or after the send, no other write of this run claimed it, and it is the only such
record. No such record proves the POST did not land, so it may be sent again. Anything in between
is rejected as `outcome_unknown`, naming the candidates, for a person to decide."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from insightly_connector.destination.plan import PlannedWrite
from insightly_connector.destination.validation import CustomFieldShape, RecordRejected, field_value
from insightly_connector.errors import TransientError

if TYPE_CHECKING:
    from insightly_connector.http.client import Client
    from insightly_connector.spec.model import Resource

_SHOWN_CANDIDATES = 5
_MAX_FINGERPRINT_PAGES = 200
_DATE_HEADER_RESOLUTION = timedelta(seconds=1)  # HTTP `Date` headers name whole seconds


class Claims:
    """Record ids this run has confirmed, so two writes can never both claim one record."""

    def __init__(self) -> None:
        self._ids: set[Any] = set()
        self._lock = threading.Lock()

    def add(self, record_id: Any) -> None:
        with self._lock:
            self._ids.add(record_id)

    def __contains__(self, record_id: Any) -> bool:
        with self._lock:
            return record_id in self._ids

    def claim(self, record_id: Any) -> bool:
        """Take the id if nobody has; False if it was already taken."""
        with self._lock:
            if record_id in self._ids:
                return False
            self._ids.add(record_id)
            return True


class CreatedRecordFinder:
    """Resolves an unknown create against the records the API holds now.

    `candidates(since)` yields the records that could be the one sent (by upsert key, or every
    record updated since the send); `matches(record)` says whether one holds what was sent."""

    def __init__(self, *, primary_key: str, created_field: str | None, created_format: str | None,
                 claims: Claims):
        self.primary_key = primary_key
        self.created_field = created_field
        self.created_format = created_format
        self.claims = claims

    def find(self, line: int, since: datetime | None, candidates: Iterator[Mapping[str, Any]],
             matches: Callable[[Mapping[str, Any]], bool], *, existing: frozenset[Any] = frozenset()) -> Any:
        """The id of the record this send created, or None when it provably created none.

        `existing` holds ids known to have been there before the send: never this send's record."""
        fresh, undated = [], []
        for record in candidates:
            record_id = record.get(self.primary_key)
            if record_id is None or record_id in existing or record_id in self.claims or not matches(record):
                continue
            created = self._created_at(record)
            if created is None or since is None:
                undated.append(record_id)
            elif created >= since:
                fresh.append(record_id)
            # a record created before the send existed already: it is not this send's
        if undated:
            raise RecordRejected("outcome_unknown", f"input line {line}: the create got no answer and records "
                                 f"{_ids(undated)} hold what was sent, but when they were created cannot be "
                                 "told; check them, and send the record again only if none is it")
        if len(fresh) > 1:
            raise RecordRejected("outcome_unknown", f"input line {line}: the create got no answer and "
                                 f"{len(fresh)} records created since the send hold what was sent "
                                 f"({_ids(fresh)}); check them, the create may have been applied")
        if fresh and self.claims.claim(fresh[0]):
            return fresh[0]
        if fresh:
            raise RecordRejected("outcome_unknown", f"input line {line}: the only record that could be this "
                                 f"create's ({_ids(fresh)}) was claimed by another write of this run")
        return None

    def _created_at(self, record: Mapping[str, Any]) -> datetime | None:
        if not self.created_field or not self.created_format:
            return None
        value = record.get(self.created_field)
        if not isinstance(value, str):
            return None
        try:
            parsed = datetime.strptime(value, self.created_format)
        except ValueError:
            return None
        return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def holds(sent: Any, got: Any) -> bool:
    """True when `got` (as the API returns it) holds everything in `sent` (as it was sent).

    Objects match on the keys sent; arrays when each sent item is held by some returned item; dates
    when they name the same moment in either spelling; numbers by value."""
    if isinstance(sent, Mapping):
        return isinstance(got, Mapping) and all(holds(value, got.get(name)) for name, value in sent.items())
    if isinstance(sent, list):
        return isinstance(got, list) and all(any(holds(item, candidate) for candidate in got) for item in sent)
    if sent is None or sent == "":
        return got is None or got == "" or got == []
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    if isinstance(sent, (int, float)) and isinstance(got, (int, float)):
        return float(sent) == float(got)
    if isinstance(sent, str) and isinstance(got, str):
        return sent == got or _same_moment(sent, got)
    return bool(sent == got)


def before_send(server_now: datetime, granularity: timedelta) -> datetime:
    """A lower bound of the server clock at the send: the `Date` header is rounded down."""
    return server_now.replace(microsecond=0) - granularity


def _same_moment(first: str, second: str) -> bool:
    try:
        one, two = datetime.fromisoformat(first), datetime.fromisoformat(second)
    except ValueError:
        return False
    if (one.tzinfo is None) != (two.tzinfo is None):
        one, two = one.replace(tzinfo=None), two.replace(tzinfo=None)
    return one == two


def _ids(ids: list[Any]) -> str:
    shown = ", ".join(str(record_id) for record_id in ids[:_SHOWN_CANDIDATES])
    return shown + (f" and {len(ids) - _SHOWN_CANDIDATES} more" if len(ids) > _SHOWN_CANDIDATES else "")


class UnknownCreates:
    """Resolves one resource's creates of unknown outcome against the records the API holds now:
    by the upsert key when one is in force (the lookup), otherwise by every record updated since the
    send (the incremental list, walked with the resource's paginator).

    Creation stamps name whole seconds, so a twin made in the same second as a send could pass for
    the send's record. Before this run's first create is sent, the records updated lately (the same
    list) are noted once: a candidate among them existed before every send of this run. Its response
    also gives the server clock that the sends' lower bounds come from. An upsert needs no such note:
    it looks its key up right before each create."""

    def __init__(self, client: Client, resource: Resource, *, upsert_key: str | None,
                 shape: CustomFieldShape | None, claims: Claims,
                 lookup: Callable[[str, Any], list[dict[str, Any]]], note_existing: bool):
        self.client = client
        self.resource = resource
        self.upsert_key = upsert_key
        self.shape = shape
        self.lookup = lookup
        create = resource.writes.modes.get("create")
        self.finder = CreatedRecordFinder(primary_key=resource.primary_key,
                                          created_field=create.created_field if create else None,
                                          created_format=create.created_format if create else None, claims=claims)
        self._existing: frozenset[Any] = frozenset()  # ids seen before this run's first send
        self._noted = not note_existing
        self._note_lock = threading.Lock()

    def find(self, write: PlannedWrite, since: datetime | None, *, sent_this_run: bool) -> Any:
        """The id of the record the create made, None if it made none; RecordRejected when it cannot tell.

        `sent_this_run` is False for a send a killed run journaled: the records noted at this run's
        start may hold its record, so they are no evidence against it."""
        templates = self.resource.writes
        body = templates.request("create", write.payload).body or {}
        existing = self._existing if sent_this_run else frozenset()
        key_value = field_value(write.payload, self.upsert_key, self.shape) if self.upsert_key else None
        if key_value not in (None, "") and templates.lookup_template is not None:
            # The upsert key names one record by itself (and a lookup may answer in brief).
            assert self.upsert_key is not None
            return self.finder.find(write.line, since, iter(self.lookup(self.upsert_key, key_value)),
                                    lambda record: True, existing=existing)
        return self.finder.find(write.line, since, self._recently_updated(since),
                                lambda record: holds(body, record), existing=existing)

    def server_time_before_send(self) -> datetime:
        """A lower bound of the server clock at the send, from a `Date` the server really sent."""
        self._note_existing()
        cursor = self.resource.cursor
        granularity = cursor.granularity if cursor else _DATE_HEADER_RESOLUTION
        return before_send(self.client.server_time(probe=True), granularity)

    def _note_existing(self) -> None:
        """Once per run, before the first send: the ids of the records updated lately."""
        with self._note_lock:
            if self._noted:
                return
            self._noted = True
            try:
                self._existing = frozenset(record.get(self.resource.primary_key)
                                           for record in self._recently_updated(self.client.server_time()))
            except TransientError:
                self._existing = frozenset()  # too many to note: the creation stamps alone are the evidence

    def _recently_updated(self, since: datetime | None) -> Iterator[dict[str, Any]]:
        """Records updated since `since` (the incremental list), else the whole collection."""
        cursor = self.resource.cursor
        request = self.resource.list_request()
        if cursor is not None and since is not None:
            request = self.resource.since_request((since - cursor.granularity).strftime(cursor.param_format))
        walk = self.resource.paginator.walk(self.client, request)
        for number, page in enumerate(walk.pages(), start=1):
            yield from page.records
            if number >= _MAX_FINGERPRINT_PAGES:
                raise TransientError(f"{request.path}: too many recently updated records to resolve an unknown create")
