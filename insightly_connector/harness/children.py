"""Records that live under a record and are served only per record (`GET /{Collection}/{id}/{Kind}`).

File-attachment metadata, comments, an opportunity's state history, follow states, prospect static-list
membership, quotation documents, the mail-drop address and knowledge-article translations. None of them
is a collection of its own in the API, so the harness keeps them here, per (kind, collection, parent id).

Generated lazily and deterministically: the children of a parent are made from the seed the first time
anything asks for them, so a harness of a million contacts starts as fast as before and two harnesses of
one seed serve the same children. After that they are plain stored records that writes change.

The interface, for reads (`api.py`) and for writes of sub-records (tags, links, uploads, comments):

    store = ChildStore(dataset, seed, now)        # now: the harness clock's epoch seconds
    store.kinds_of(collection)                    # the child kinds a collection's records carry
    store.records(kind, collection, parent_id)    # list of dicts in key order (or one dict: Follow, ...)
    store.add(kind, collection, parent_id, values)            -> the stored record (key and dates set)
    store.update(kind, collection, parent_id, key, changes)   -> the stored record, or None when absent
    store.remove(kind, collection, parent_id, key)            -> whether it was there
    store.updated_at(kind, collection, parent_id, key)        -> epoch seconds of its last change
    store.set_following(collection, parent_id, following)
    store.comment_parent(comment_id)              -> (collection, parent id) of a comment, or None

A comment's own children (`/Comments/{id}/FileAttachments`, three levels down) are stored under the
collection name `Comments` and the comment's id, like any parent's.

Every change stamps the child's change time (what `updated_after_utc` on the child route compares); when
`touch_parent()` says so (the harness option `child_changes_touch_parent`), it also moves the parent's
DATE_UPDATED_UTC, since the notes do not say whether Insightly does (api-notes §3 lists the parameter
on the sub-collection GETs but not what a child change does to its parent).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass

from insightly_connector.harness.datetimes import format_record_date
from insightly_connector.harness.reference_data import user_ids

DAY = 86400
NEW_KEYS_FROM = 1 << 48  # keys of children added after start: above every generated one


@dataclass(frozen=True)
class ChildKind:
    """One kind of per-record child: its key, and whether the route answers one object or a list (its
    paging and `updated_after_utc` are the route's, as the Swagger lists them: see the resource table)."""

    name: str
    primary_key: str | None
    shape: str  # "list" | "object"
    per_parent: tuple[int, int]  # generated children per parent: (min, max)


KINDS = {kind.name: kind for kind in (
    ChildKind("FileAttachments", "FILE_ID", "list", (0, 3)),
    ChildKind("Comments", "COMMENT_ID", "list", (0, 3)),
    ChildKind("StateHistory", None, "list", (1, 3)),
    ChildKind("Follow", None, "object", (1, 1)),
    ChildKind("StaticListMembership", "LIST_ID", "list", (0, 2)),
    ChildKind("QuotationDocument", "QUOTE_DOCUMENT_ID", "list", (0, 2)),
    ChildKind("LinkEmailAddress", None, "object", (1, 1)),
    ChildKind("Translations", "ARTICLE_ID", "list", (1, 1)),
)}
#: `GET /Comments/{id}/FileAttachments`'s query parameters, as the Swagger lists them.
COMMENT_FILE_PARAMS = ("updated_after_utc", "skip", "top", "count_total")
#: The singular `/Notes/{id}/Comment` GET answers the note's comments too.
ALIASES = {"Comment": "Comments"}
#: Lists of other collections served under a record: the records linked to it through LINKS.
LINKED_LISTS = ("Emails", "Events", "Tasks")
STATES = ("OPEN", "WON", "LOST", "SUSPENDED", "ABANDONED")
FILE_TYPES = (("proposal.pdf", "application/pdf"), ("photo.jpg", "image/jpeg"), ("notes.txt", "text/plain"),
              ("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
CHANNELS = ("Email", "Portal", "Phone")


@dataclass
class _Stored:
    record: dict
    updated: int  # epoch seconds of the last change (what updated_after_utc compares)


class ChildStore:
    def __init__(self, dataset, seed: int, now: Callable[[], float], *,
                 touch_parent: Callable[[], bool] = lambda: False,
                 update_parent: Callable[[str, object], None] = lambda collection, parent_id: None):
        self.dataset, self.seed, self.now = dataset, seed, now
        self.touch_parent, self.update_parent = touch_parent, update_parent
        self._start = int(now())
        self._children: dict[tuple[str, str, object], dict] = {}  # (kind, collection, parent) -> key -> _Stored
        self._next_key = NEW_KEYS_FROM
        self._follow_states: dict[tuple[str, object], bool] = {}
        self._comment_parents: dict[int, tuple[str, object]] = {}  # COMMENT_ID -> (collection, parent id)

    # ---- which kinds ------------------------------------------------------------------------------------

    def kinds_of(self, collection: str) -> list[str]:
        spec = self.dataset.specs[collection]
        return sorted({ALIASES.get(route.split("/")[0], route.split("/")[0]) for route, methods
                       in spec.subresources.items() if "GET" in methods} & set(KINDS))

    # ---- reading ----------------------------------------------------------------------------------------

    def records(self, kind: str, collection: str, parent_id, *, updated_after: int | None = None,
                inclusive: bool = False, language: str | None = None) -> list[dict] | dict:
        """The children of one parent in key order (a single object for Follow and LinkEmailAddress)."""
        kind = ALIASES.get(kind, kind)
        if kind == "Follow":
            return {"FOLLOWING": self._following(collection, parent_id)}
        stored = self._stored(kind, collection, parent_id)
        if KINDS[kind].shape == "object":
            return dict(next(iter(stored.values())).record)
        chosen = [item for item in stored.values()
                  if updated_after is None or (item.updated >= updated_after if inclusive
                                               else item.updated > updated_after)]
        if language is not None:
            chosen = [item for item in chosen if str(item.record.get("Language", "")).lower() == language.lower()]
        return [dict(item.record) for item in chosen]

    def comment_parent(self, comment_id: int) -> tuple[str, object] | None:
        """Where a comment lives (`/Comments/{id}/...` names it alone): a comment is known once its
        parent's comments were served or written; a ticket's comments are another entity."""
        found = self._comment_parents.get(comment_id)
        if found is None:
            return None
        collection, parent_id = found
        if self.dataset.collection(collection).get(parent_id) is None or \
                comment_id not in self._stored("Comments", collection, parent_id):
            return None  # the parent or the comment was deleted
        return found

    def updated_at(self, kind: str, collection: str, parent_id, key) -> int | None:
        item = self._stored(ALIASES.get(kind, kind), collection, parent_id).get(key)
        return None if item is None else item.updated

    # ---- writing ----------------------------------------------------------------------------------------

    def add(self, kind: str, collection: str, parent_id, values: dict) -> dict:
        kind = ALIASES.get(kind, kind)
        stored = self._stored(kind, collection, parent_id)
        field = key_field(kind, collection)
        now = int(self.now())
        record = dict(values)
        if field is not None and record.get(field) is None:
            record[field] = self._next_key
            self._next_key += 1
        for date_field in ("DATE_CREATED_UTC", "DATE_UPDATED_UTC"):
            if date_field in self._template(kind, collection, parent_id) and date_field not in values:
                record[date_field] = format_record_date(now)
        key = record.get(field) if field else len(stored)
        stored[key] = _Stored(record, now)
        self._know_comments(kind, collection, parent_id, [key])
        self._children[kind, collection, parent_id] = dict(sorted(stored.items(), key=lambda kv: _order(kv[0])))
        self._touch(collection, parent_id)
        return dict(record)

    def update(self, kind: str, collection: str, parent_id, key, changes: dict) -> dict | None:
        kind = ALIASES.get(kind, kind)
        item = self._stored(kind, collection, parent_id).get(key)
        if item is None:
            return None
        now = int(self.now())
        item.record.update(changes)
        if "DATE_UPDATED_UTC" in item.record and "DATE_UPDATED_UTC" not in changes:
            item.record["DATE_UPDATED_UTC"] = format_record_date(now)
        item.updated = now
        self._touch(collection, parent_id)
        return dict(item.record)

    def remove(self, kind: str, collection: str, parent_id, key) -> bool:
        kind = ALIASES.get(kind, kind)
        removed = self._stored(kind, collection, parent_id).pop(key, None) is not None
        if removed:
            self._touch(collection, parent_id)
        return removed

    def set_following(self, collection: str, parent_id, following: bool) -> None:
        """Follow or unfollow a record as the demo user (the `/Follows` list is not rewritten)."""
        self._follow_states[collection, parent_id] = following
        self._touch(collection, parent_id)

    # ---- generation -------------------------------------------------------------------------------------

    def _stored(self, kind: str, collection: str, parent_id) -> dict:
        slot = (kind, collection, parent_id)
        if slot not in self._children:
            rng = random.Random(hashlib.blake2b(f"{self.seed}/{kind}/{collection}/{parent_id}".encode(),
                                                digest_size=8).digest())
            low, high = KINDS[kind].per_parent
            made = [self._generate(kind, collection, parent_id, n, rng) for n in range(rng.randint(low, high))]
            made = [m for m in made if m is not None]
            key = key_field(kind, collection)
            self._children[slot] = {(record[key] if key else n): _Stored(record, updated)
                                    for n, (record, updated) in enumerate(made)}
            self._children[slot] = dict(sorted(self._children[slot].items(), key=lambda kv: _order(kv[0])))
            self._know_comments(kind, collection, parent_id, self._children[slot])
        return self._children[slot]

    def _know_comments(self, kind: str, collection: str, parent_id, keys) -> None:
        if kind == "Comments" and collection != "Ticket":
            self._comment_parents.update((key, (collection, parent_id)) for key in keys)

    def _template(self, kind: str, collection: str, parent_id) -> dict:
        made = self._generate(kind, collection, parent_id, 0, random.Random(0))
        return made[0] if made else {}

    def _generate(self, kind: str, collection: str, parent_id, n: int,
                  rng: random.Random) -> tuple[dict, int] | None:
        """One generated child and its change time (days before the harness started, whole seconds)."""
        updated = self._start - rng.randrange(1, 400) * DAY - rng.randrange(DAY)
        created = updated - rng.randrange(0, 30) * DAY
        users = user_ids()
        key = int.from_bytes(hashlib.blake2b(f"{self.seed}/{kind}/{collection}/{parent_id}/{n}".encode(),
                                             digest_size=5).digest(), "big") + 1
        if kind == "FileAttachments":
            name, content_type = FILE_TYPES[rng.randrange(len(FILE_TYPES))]
            return {"FILE_ID": key, "FILE_NAME": f"{n + 1}-{name}", "CONTENT_TYPE": content_type,
                    "FILE_SIZE": rng.randrange(1_000, 5_000_000), "FILE_CATEGORY_ID": None,
                    "OWNER_USER_ID": rng.choice(users), "DATE_CREATED_UTC": format_record_date(created),
                    "DATE_UPDATED_UTC": format_record_date(updated),
                    "URL": f"https://files.insightly.example/{key}/{n + 1}-{name}"}, updated
        if kind == "Comments" and collection == "Ticket":
            return {"TICKET_COMMENT_ID": key, "TICKET_ID": parent_id, "BODY_HTML": f"<p>Comment {n + 1}</p>",
                    "PUBLIC_COMMENT": rng.random() < 0.5, "CHANNEL": rng.choice(CHANNELS),
                    "AUTHOR_CONTACT_ID": None, "CREATED_USER_ID": rng.choice(users),
                    "DATE_CREATED_UTC": format_record_date(created)}, created
        if kind == "Comments":
            return {"COMMENT_ID": key, "OWNER_USER_ID": rng.choice(users)}, updated
        if kind == "StateHistory":
            return {"OPPORTUNITY_ID": parent_id, "DATE_CHANGED_UTC": format_record_date(updated - (3 - n) * DAY),
                    "FOR_OPPORTUNITY_STATE": STATES[min(n, len(STATES) - 1)] if n else "OPEN",
                    "STATE_REASON_ID": None, "STATE_REASON": None}, updated - (3 - n) * DAY
        if kind == "StaticListMembership":
            return {"LIST_ID": 1000 + rng.randrange(20) * 10 + n}, updated
        if kind == "QuotationDocument":
            return {"QUOTE_DOCUMENT_ID": key, "QUOTATION_NAME": f"Quote {parent_id} v{n + 1}",
                    "FILE_NAME": f"quote-{parent_id}-v{n + 1}.pdf", "OWNER_USER_ID": rng.choice(users),
                    "DATE_CREATED_UTC": format_record_date(created), "QUOTE_ID": str(parent_id),
                    "FILE_ID": str(key), "CURRENCY_CODE": "USD"}, created
        if kind == "LinkEmailAddress":
            token = hashlib.blake2b(f"{self.seed}/{collection}/{parent_id}".encode(), digest_size=4).hexdigest()
            return {"EMAIL": f"{collection.lower()}-{parent_id}-{token}@mailbox.insightly.example"}, created
        if kind == "Translations":
            article = self.dataset.collection(collection).get(parent_id) or {}
            return (dict(article), updated) if article else None
        return None

    def _following(self, collection: str, parent_id) -> bool:
        if (collection, parent_id) in self._follow_states:
            return self._follow_states[collection, parent_id]
        follows = self.dataset.collection("Follows")
        title = self.dataset.specs[collection].title
        return any((r.get("RECORD_TYPE"), r.get("RECORD_ID")) == (title, parent_id) for r in follows.records())

    def _touch(self, collection: str, parent_id) -> None:
        """Move the parent's DATE_UPDATED_UTC, when the option says a child change does (a comment has no
        date field: a change to its files moves its change time and the record the comment is under)."""
        if collection == "Comments":
            found = self._comment_parents.get(parent_id)
            if found is not None and self.touch_parent():
                comment = self._stored("Comments", *found).get(parent_id)
                if comment is not None:
                    comment.updated = int(self.now())  # what the comments route's updated_after_utc compares
                self._touch(*found)
            return
        store = self.dataset.collection(collection)
        if self.touch_parent() and store is not None and store.spec.has_field("DATE_UPDATED_UTC") \
                and store.get(parent_id) is not None:
            self.update_parent(collection, parent_id)


def key_field(kind: str, collection: str) -> str | None:
    """The key of a child kind; a ticket's comments are a shape of their own (APITicketComment)."""
    kind = ALIASES.get(kind, kind)
    return "TICKET_COMMENT_ID" if (kind, collection) == ("Comments", "Ticket") else KINDS[kind].primary_key


def linked_records(dataset, child_collection: str, parent_title: str, parent_id) -> list[dict]:
    """Records of `child_collection` (e.g. Emails) linked to one record through LINKS, in id order."""
    return [record for record in dataset.collection(child_collection).records()
            if any((link.get("LINK_OBJECT_NAME"), link.get("LINK_OBJECT_ID")) == (parent_title, parent_id)
                   or (link.get("OBJECT_NAME"), link.get("OBJECT_ID")) == (parent_title, parent_id)
                   for link in record.get("LINKS") or [])]


def _order(key):
    return (0, key, "") if isinstance(key, int) else (1, 0, str(key))
