"""Seeded, lazy record generation: record i of a collection is rendered from (seed, i) when asked for.

Nothing per record is held as a dict. Per collection the factory keeps compact columns (the id, both
dates as seconds and as pre-formatted text, a dozen random bytes) and a list of *slots*, each covering
consecutive fields:

* variant slots: runs of plain fields (and references to small lists such as users or pipelines): 256
  pre-encoded variants, one picked per record by one random byte, so records combine into many
  distinct ones;
* per-record slots: the id, the dates, references into big collections (the organisation behind a
  contact, the parent of a note) and the LINKS that mirror them, e-mail addresses, AUTONUMBER values.

The slots are compiled into one Python function per collection that joins constant bytes with the
picked fragments: a record costs a few microseconds and no JSON encoding, and a million-record
collection costs about a hundred bytes a record. `values(i)` of each slot recomputes the same values
in Python for the search indexes; a test proves both paths agree.
"""

from __future__ import annotations

import random
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from itertools import accumulate

import orjson

from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness import vocab
from insightly_connector.harness.table import CollectionSpec, FieldSpec
from insightly_connector.harness.values import WINDOW_END, WINDOW_START, synthesize

VARIANTS = 256  # pre-encoded variants per run of plain fields: one random byte picks one
ALWAYS_NULL = {"VISIBLE_TEAM_ID", "CONVERTED_CONTACT_ID", "CONVERTED_OPPORTUNITY_ID", "CONVERTED_ORGANISATION_ID",
               "CONVERTED_DATE_UTC", "PARENT_TASK_ID", "EMAIL_ID", "BRAND_ID", "GRADE_PROFILE_ID", "ASSIGNED_TEAM_ID",
               "IMAGE_URL", "PRODUCT_IMAGE_URL", "LINKED_EMAIL_ADDRESS", "ARCHIVED_DATE_UTC",
               "LEAD_CONVERSION_DATE_UTC", "QUEUED_SEND_DATE_UTC", "TICKET_ID", "OPPORTUNITY_ITEM_ID"}
ALWAYS_FALSE = {"CONVERTED", "REMINDER_SENT", "SPAM"}
CATEGORY_LISTS = {"Opportunities": "OpportunityCategories", "Projects": "ProjectCategories",
                  "Tasks": "TaskCategories", "KnowledgeArticle": "KnowledgeArticleCategory"}
# The link every generated record of a collection carries: (field holding the target id | None, target).
LINKED = {"Contacts": ("ORGANISATION_ID", "Organisations"), "Opportunities": ("ORGANISATION_ID", "Organisations"),
          "Tasks": (None, "Contacts"), "Events": (None, "Contacts"), "Emails": (None, "Contacts"),
          "Projects": (None, "Organisations")}
EMAIL_FIELDS = {"EMAIL_ADDRESS", "EMAIL", "EMAIL_FROM", "TO_EMAIL_ADDRESS", "QUOTATION_EMAIL"}
RECORD_NAMES = {"Fruit__c": ("Apple", "Banana", "Cherry", "Kiwifruit", "Mango", "Pear", "Feijoa", "Lime"),
                "Shipment__c": ("Inbound pallet", "Express parcel", "Sea freight", "Returns batch")}
REFERENCE_KEYS = {
    "ORGANISATION_ID": "Organisations", "CONTACT_ID": "Contacts", "OPPORTUNITY_ID": "Opportunities",
    "PROJECT_ID": "Projects", "LEAD_ID": "Leads", "MILESTONE_ID": "Milestones", "PIPELINE_ID": "Pipelines",
    "STAGE_ID": "PipelineStages", "ACTIVITYSET_ID": "ActivitySets", "LEAD_SOURCE_ID": "LeadSources",
    "LEAD_STATUS_ID": "LeadStatuses", "TEAM_ID": "Teams", "PRODUCT_ID": "Product", "PRICEBOOK_ID": "Pricebook",
    "PRICEBOOK_ENTRY_ID": "PricebookEntry", "QUOTE_ID": "Quotation", "PROSPECT_ID": "Prospect",
    "FOLDER_ID": "KnowledgeArticleFolder", "FORUM_ID": "CommunityForums", "POST_ID": "CommunityPosts",
    "FORUM_CATEGORY_ID": "ForumCategories", "CREATED_CONTACT_ID": "Contacts", "EDITED_CONTACT_ID": "Contacts",
    "STATE_REASON_ID": "OpportunityStateReasons", "RELATIONSHIP_ID": "Relationships",
}
# Records the API only writes under a parent (`/Projects/{id}/Milestones`, ...) always have that parent: the
# Swagger marks the key read-only, not required, but a milestone without a project could not be updated.
PARENT_KEYS = {"Milestones": "PROJECT_ID", "PricebookEntry": "PRICEBOOK_ID", "OpportunityLineItem": "OPPORTUNITY_ID",
               "QuotationLineItem": "QUOTE_ID"}
_VARIANT_ROWS: dict[tuple, list[dict]] = {}  # see RecordFactory._variant
VARIANT_CACHE_ENTRIES = 5000
SMALL_LIST = 1000  # references into lists up to this size are picked per variant, not per record
NULL_SHARE = 38  # of 256: optional references left empty

ORIGIN = int(WINDOW_START.timestamp())  # generated dates are stored as seconds since this midnight (small ints)
DAYS = [datetime.fromtimestamp(ORIGIN + d * 86400, timezone.utc).strftime("%Y-%m-%d ").encode()
        for d in range((int(WINDOW_END.timestamp()) - ORIGIN) // 86400 + 1)]
TIMES = [b"%02d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400)]
DATE_WIDTH = 19  # len("YYYY-MM-DD HH:MM:SS")
LINK_PARTS = (b'[{"LINK_ID":', b'1,"OBJECT_NAME":', b',"OBJECT_ID":', b',"LINK_OBJECT_NAME":', b',"LINK_OBJECT_ID":',
              b',"ROLE":null,"DETAILS":null,"RELATIONSHIP_ID":null,"IS_FORWARD":true}]')


class Context:
    """What a factory needs from the rest of the data set: other collections' ids and titles."""

    def __init__(self, ids_of: Callable[[str], Sequence], title_of: Callable[[str], str],
                 pipelines: Sequence[tuple[int, int, bool]], note_parents: Sequence[str]):
        self.ids_of = ids_of  # collection -> ascending ids (base ids for generated ones)
        self.title_of = title_of  # collection -> singular object name used in LINKS ("Contact")
        self.pipelines = pipelines  # (pipeline id, stage id, for opportunities?)
        self.note_parents = note_parents  # collections notes are generated on


class Bits:
    """Hands out disjoint bytes of a record's random bytes; `expr` reads them in generated code (as small
    ints straight from a bytes object: no big-integer arithmetic on the hot path)."""

    def __init__(self):
        self.fields: list[tuple[int, int]] = []  # (offset, width in bytes)
        self.size = 0

    def take(self, width_bits: int) -> int:
        width = (width_bits + 7) // 8
        self.fields.append((self.size, width))
        self.size += width
        return len(self.fields) - 1

    def expr(self, site: int) -> str:
        offset, width = self.fields[site]
        return "(" + " | ".join(f"rnd[b + {offset + k}]" + (f" << {8 * k}" if k else "") for k in range(width)) + ")"

    def value(self, chunk: bytes, site: int) -> int:
        offset, width = self.fields[site]
        return int.from_bytes(chunk[offset:offset + width], "little")


class Expr(str):
    """A Python expression (in the generated render function) that evaluates to bytes."""


class Slot:
    """Fields rendered together. `parts` are constant bytes and `Expr`s joined into the record's bytes
    by the generated code; `values` computes the same values directly, in Python."""

    fields: tuple[str, ...] = ()
    nested = False
    prelude: tuple[str, ...] = ()

    def parts(self) -> list:
        raise NotImplementedError

    def values(self, factory: RecordFactory, i: int, chunk: bytes) -> dict:
        raise NotImplementedError


class VariantSlot(Slot):
    def __init__(self, name: str, fields: tuple[str, ...], rows: list[dict], site: int, bits: Bits,
                 nested: bool = False):
        self.name, self.fields, self.rows, self.site, self.bits, self.nested = name, fields, rows, site, bits, nested
        self.encoded = [orjson.dumps(row)[1:-1] for row in rows]

    def parts(self) -> list:
        return [Expr(f"{self.name}[{self.bits.expr(self.site)}]")]

    def row(self, chunk: bytes) -> dict:
        return self.rows[self.bits.value(chunk, self.site)]

    def values(self, factory, i, chunk) -> dict:
        return self.row(chunk)


class IdSlot(Slot):
    def __init__(self, name: str):
        self.fields = (name,)

    def parts(self) -> list:
        return [orjson.dumps(self.fields[0]) + b":", Expr("ridb")]

    def values(self, factory, i, chunk) -> dict:
        return {self.fields[0]: factory.ids[i]}


class DateSlot(Slot):
    def __init__(self, name: str, column: str):
        self.fields, self.column = (name,), column  # column: "created" | "updated"

    def parts(self) -> list:
        return [orjson.dumps(self.fields[0]) + b':"', Expr(f"{self.column}_text[t:t + {DATE_WIDTH}]"), b'"']

    def values(self, factory, i, chunk) -> dict:
        moment = ORIGIN + getattr(factory, self.column)[i]
        return {self.fields[0]: datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")}


class RefSlot(Slot):
    """The id of a record of a big collection, picked per record (None for a share of optional ones)."""

    def __init__(self, name: str, var: str, targets: Sequence[int], bits: Bits, optional: bool):
        self.fields, self.var, self.targets = (name,), var, targets
        self.null_site = bits.take(8) if optional else None
        self.site, self.bits = bits.take(24), bits
        self.prelude = (f"{var} = {self.expression()}",)

    def expression(self) -> str:
        test = f"{self.bits.expr(self.null_site)} < {NULL_SHARE} or " if self.null_site is not None else ""
        pick = f"{self.var}_T[({self.bits.expr(self.site)} * {len(self.targets)}) >> 24]"
        return f"(None if {test}not {self.var}_T else {pick})"

    def parts(self) -> list:
        return [orjson.dumps(self.fields[0]) + b":", Expr(f'(b"null" if {self.var} is None else b"%d" % {self.var})')]

    def target(self, chunk: bytes) -> int | None:
        if not self.targets or (self.null_site is not None and self.bits.value(chunk, self.null_site) < NULL_SHARE):
            return None
        return self.targets[(self.bits.value(chunk, self.site) * len(self.targets)) >> 24]

    def values(self, factory, i, chunk) -> dict:
        return {self.fields[0]: self.target(chunk)}


class EmailSlot(Slot):
    """`first.last.<id>@domain`, from the record's name variant: unique, so upserts can look it up."""

    def __init__(self, name: str, var: str, names: VariantSlot | None, bits: Bits):
        self.fields, self.var, self.names, self.bits = (name,), var, names, bits
        self.locals = [_local_part(row) for row in names.rows] if names else ["contact"] * VARIANTS
        self.encoded_locals = [orjson.dumps(text)[1:-1] for text in self.locals]
        self.site = bits.take(3)

    def parts(self) -> list:
        pick = self.bits.expr(self.names.site) if self.names else "0"
        return [orjson.dumps(self.fields[0]) + b':"', Expr(f"{self.var}_L[{pick}]"), b".", Expr("ridb"), b"@",
                Expr(f"DOMAINS[{self.bits.expr(self.site)} % {len(vocab.EMAIL_DOMAINS)}]"), b'"']

    def values(self, factory, i, chunk) -> dict:
        local = self.locals[self.bits.value(chunk, self.names.site) if self.names else 0]
        domain = vocab.EMAIL_DOMAINS[self.bits.value(chunk, self.site) % len(vocab.EMAIL_DOMAINS)]
        return {self.fields[0]: f"{local}.{factory.ids[i]}@{domain}"}


class LinksSlot(Slot):
    """LINKS mirroring one reference: to the record's organisation, contact, or a note's parent."""

    nested = True

    def __init__(self, var: str, title: str, refs: list[tuple[str, RefSlot]], bits: Bits, owns_refs: bool):
        """`owns_refs`: the references are this slot's own (else they are fields rendered before it)."""
        self.fields, self.var, self.title, self.refs, self.bits = ("LINKS",), var, title, refs, bits
        self.choice_site = bits.take(8) if len(refs) > 1 else None
        choice = f"{bits.expr(self.choice_site)} % {len(refs)}" if self.choice_site is not None else "0"
        if owns_refs:  # only the chosen reference is computed
            chosen = refs[-1][1].expression()
            for k in range(len(refs) - 2, -1, -1):
                chosen = f"({refs[k][1].expression()} if {var}_k == {k} else {chosen})"
        else:
            chosen = refs[0][1].var
        self.prelude = (f"{var}_k = {choice}", f"{var}_t = {chosen}")

    def parts(self) -> list:
        v = self.var
        link = (f'b"".join((LINK_PARTS[0], ridb, LINK_PARTS[1], {v}_O, LINK_PARTS[2], ridb, LINK_PARTS[3], '
                f'{v}_N[{v}_k], LINK_PARTS[4], b"%d" % {v}_t, LINK_PARTS[5]))')
        return [b'"LINKS":', Expr(f'(b"[]" if {v}_t is None else {link})')]

    def target(self, chunk: bytes) -> tuple[str, int] | None:
        k = self.bits.value(chunk, self.choice_site) % len(self.refs) if self.choice_site is not None else 0
        title, ref = self.refs[k]
        target = ref.target(chunk)
        return None if target is None else (title, target)

    def values(self, factory, i, chunk) -> dict:
        target = self.target(chunk)
        if target is None:
            return {"LINKS": []}
        rid = factory.ids[i]
        return {"LINKS": [{"LINK_ID": rid * 10 + 1, "OBJECT_NAME": self.title, "OBJECT_ID": rid,
                           "LINK_OBJECT_NAME": target[0], "LINK_OBJECT_ID": target[1], "ROLE": None,
                           "DETAILS": None, "RELATIONSHIP_ID": None, "IS_FORWARD": True}]}


class CustomFieldsSlot(Slot):
    """CUSTOMFIELDS: a pre-encoded variant of the settable fields, plus the record's AUTONUMBER values."""

    fields, nested = ("CUSTOMFIELDS",), True

    def __init__(self, var: str, rows: list[list[dict]], numbered: tuple, site: int, bits: Bits):
        self.var, self.rows, self.numbered, self.site, self.bits = var, rows, numbered, site, bits
        separator = b"," if numbered else b""
        self.encoded = [orjson.dumps(items)[1:-1] + (separator if items else b"") for items in rows]
    def parts(self) -> list:
        parts = [b'"CUSTOMFIELDS":[', Expr(f"{self.var}[{self.bits.expr(self.site)}]")]
        for k, f in enumerate(self.numbered):
            parts += [b"," if k else b"", b'{"FIELD_NAME":' + orjson.dumps(f.name) + b',"FIELD_VALUE":"'
                      + f.prefix.encode(), Expr('b"%08d" % rid'), b'","CUSTOM_FIELD_ID":' + orjson.dumps(f.name) + b"}"]
        return [*parts, b"]"]

    def values(self, factory, i, chunk) -> dict:
        items = list(self.rows[self.bits.value(chunk, self.site)])
        items += [{"FIELD_NAME": f.name, "FIELD_VALUE": cf.autonumber(f, factory.ids[i]), "CUSTOM_FIELD_ID": f.name}
                  for f in self.numbered]
        return {"CUSTOMFIELDS": items}


class RecordFactory:
    """Renders the `size` generated records of one collection; record i is a pure function of (seed, i)."""

    def __init__(self, spec: CollectionSpec, seed: int, size: int, context: Context):
        self.spec, self.size, self.context, self.seed = spec, size, context, seed
        rng = random.Random(f"{seed}/{spec.name}")
        first = rng.randrange(10_000_000, 400_000_000, 1000)
        self.ids = array("q", accumulate(rng.choices((1, 1, 1, 2, 3), k=size), initial=first))[1:]
        self.origin, span = ORIGIN, int(WINDOW_END.timestamp()) - ORIGIN
        self.created = array("l", sorted([int(rng.random() * span) for _ in range(size)]))  # since ORIGIN
        self.updated = array("l", self._updated_times(rng, span))
        # both dates pre-formatted, 19 bytes a record: slicing beats formatting on every page
        self.created_text = b"".join([DAYS[c // 86400] + TIMES[c % 86400] for c in self.created])
        self.updated_text = b"".join([DAYS[u // 86400] + TIMES[u % 86400] for u in self.updated])
        self.bits = Bits()
        self._names = 0
        self.slots = self._slots(rng)
        self.random = rng.randbytes(size * self.bits.size)
        self.by_field = {name: slot for slot in self.slots for name in slot.fields}
        self._render = self._compile(brief=False)
        self._render_brief = self._compile(brief=True)

    def _updated_times(self, rng: random.Random, end: int) -> list[int]:
        """After creation, spread over the years; one block in ten was mass-updated at one instant (ties)."""
        result = [c + int(rng.random() * (end - 1 - c)) for c in self.created]
        for block in range(0, self.size, 20):
            if rng.random() < 0.1:
                instant = end - 1 - int(rng.random() * (end - 1 - self.created[block]))
                for i in range(block, min(block + 20, self.size)):
                    result[i] = max(instant, self.created[i])
        return result

    # ---- reading ---------------------------------------------------------------------------------------

    def render(self, i: int, brief: bool = False) -> bytes:
        return self._render_brief(i) if brief else self._render(i)

    def renderer(self, brief: bool = False) -> Callable[[int], bytes]:
        """The compiled render function itself, for rendering a page without a call per record extra."""
        return self._render_brief if brief else self._render

    def record(self, i: int) -> dict:
        return orjson.loads(self._render(i))

    def record_random(self, i: int) -> bytes:
        n = self.bits.size
        return self.random[i * n:(i + 1) * n]

    def value(self, i: int, field: str):
        return self.by_field[field].values(self, i, self.record_random(i)).get(field)

    def index_of(self, record_id) -> int | None:
        if not isinstance(record_id, int) or isinstance(record_id, bool):
            return None
        i = bisect_left(self.ids, record_id)
        return i if i < self.size and self.ids[i] == record_id else None

    def parent(self, i: int) -> tuple[str, int] | None:
        """(object name, id) of the record a generated note hangs off; None for other records."""
        links = self.by_field.get("LINKS")
        return links.target(self.record_random(i)) if self.spec.name == "Notes" and links else None

    def sample_values(self, rng: random.Random) -> dict:
        """Writable values for a brand-new record (churn creates): a generated record's plain fields."""
        source = self.record(rng.randrange(self.size)) if self.size else {}
        return {f.name: source.get(f.name) for f in self.spec.fields
                if not f.read_only and not f.nested and f.name != self.spec.primary_key
                and f.name not in ("DATE_CREATED_UTC", "DATE_UPDATED_UTC")}

    # ---- compiling -------------------------------------------------------------------------------------

    def _compile(self, brief: bool) -> Callable[[int], bytes]:
        slots = [s for s in self.slots if not (brief and s.nested)]
        parts: list = [b"{"]
        for k, slot in enumerate(slots):
            parts += ([b","] if k else []) + slot.parts()
        parts.append(b"}")
        namespace = {"ids": self.ids, "rnd": self.random, "created_text": self.created_text,
                     "updated_text": self.updated_text, "LINK_PARTS": LINK_PARTS,
                     "DOMAINS": [d.encode() for d in vocab.EMAIL_DOMAINS]}
        for slot in self.slots:
            namespace.update(_constants(slot))
        bound = ", ".join(f"{name}={name}" for name in namespace)  # locals are faster than globals
        lines = [f"def render(i, {bound}):", "    rid = ids[i]", '    ridb = b"%d" % rid',
                 f"    t = i * {DATE_WIDTH}", f"    b = i * {self.bits.size}"]
        lines += [f"    {line}" for s in slots for line in s.prelude]
        lines.append(f"    return b''.join(({', '.join(_join_items(parts))},))")
        exec(compile("\n".join(lines), f"<render {self.spec.name}>", "exec"), namespace)
        return namespace["render"]

    # ---- slot construction ----------------------------------------------------------------------------

    def _slots(self, rng: random.Random) -> list[Slot]:
        spec, slots, run = self.spec, [], []
        covered: set[str] = set()
        for field in spec.fields:
            if field.name in covered:
                continue
            slot = self._special_slot(field, rng, slots)
            if field.name == "LINKS":
                slot = self._links_slot(rng, slots)
            if slot is None:
                run.append(field)
                continue
            if run:
                slots.append(self._variant(tuple(run), rng))
                run = []
            slots.append(slot)
            covered.update(slot.fields)
        if run:
            slots.append(self._variant(tuple(run), rng))
        return slots

    def _name(self, prefix: str) -> str:
        self._names += 1
        return f"{prefix}{self._names}"

    def _variant(self, fields: tuple[FieldSpec, ...], rng: random.Random) -> VariantSlot:
        """A run's variants depend only on the seed, the fields and the lists they reference, so harnesses
        built alike (every test's) share them instead of drawing them again."""
        names = tuple(f.name for f in fields)
        targets = [self._reference_target(f) for f in fields]
        key = (self.seed, self.spec.name, names, tuple(len(self.context.ids_of(t)) for t in targets if t))
        rows = _VARIANT_ROWS.get(key)
        if rows is None:
            run_rng = random.Random(f"{self.seed}/{self.spec.name}/{names[0]}")
            rows = []
            for _ in range(VARIANTS):
                row_context: dict = {}
                rows.append({f.name: self._plain_value(f, run_rng, row_context) for f in fields})
            if len(_VARIANT_ROWS) > VARIANT_CACHE_ENTRIES:
                _VARIANT_ROWS.clear()
            _VARIANT_ROWS[key] = rows
        return VariantSlot(self._name("V"), names, rows, self.bits.take(8), self.bits)

    def _plain_value(self, field: FieldSpec, rng: random.Random, row: dict):
        name = field.name
        if name in ALWAYS_NULL:
            return None
        if name in ALWAYS_FALSE:
            return False
        if name == "RECORD_NAME" and self.spec.name in RECORD_NAMES:
            return rng.choice(RECORD_NAMES[self.spec.name])
        if name in ("PIPELINE_ID", "STAGE_ID") and self.spec.has_field("PIPELINE_ID"):
            return self._pipeline(rng, row)[name]
        target = self._reference_target(field)
        if target is not None:
            ids = self.context.ids_of(target)
            optional = not self._always_set(name) and name not in ("OWNER_USER_ID", "CREATED_USER_ID")
            return None if not ids or (optional and rng.random() < NULL_SHARE / 256) else rng.choice(ids)
        return synthesize(self.spec.name, field, rng, row, required=self._always_set(name))

    def _always_set(self, name: str) -> bool:
        spec = self.spec
        return name in spec.required or name in spec.schema_required or PARENT_KEYS.get(spec.name) == name

    def _pipeline(self, rng: random.Random, row: dict) -> dict:
        if "pipeline" not in row:
            for_opportunities = self.spec.name == "Opportunities"
            pairs = [(p, s) for p, s, opp in self.context.pipelines if opp == for_opportunities]
            pipeline, stage = rng.choice(pairs) if pairs and rng.random() < 0.9 else (None, None)
            row["pipeline"] = {"PIPELINE_ID": pipeline, "STAGE_ID": stage}
        return row["pipeline"]

    def _special_slot(self, field: FieldSpec, rng: random.Random, slots: list[Slot]) -> Slot | None:
        name, spec = field.name, self.spec
        if name == spec.primary_key:
            return IdSlot(name)
        if name in ("DATE_CREATED_UTC", "DATE_UPDATED_UTC"):
            return DateSlot(name, "created" if name == "DATE_CREATED_UTC" else "updated")
        if field.nested:
            return self._nested_slot(field, rng)
        if name in EMAIL_FIELDS and field.type == "string":
            names = next((s for s in slots if isinstance(s, VariantSlot) and "FIRST_NAME" in s.fields), None)
            return EmailSlot(name, self._name("E"), names, self.bits)
        target = self._reference_target(field)
        linked_field = LINKED.get(spec.name, (None,))[0]
        if target is not None and (len(self.context.ids_of(target)) > SMALL_LIST or name == linked_field):
            optional = not self._always_set(name)
            return RefSlot(name, self._name("R"), self.context.ids_of(target), self.bits, optional)
        return None

    def _reference_target(self, field: FieldSpec) -> str | None:
        name = field.name
        if field.type != "integer" or name in ALWAYS_NULL:
            return None
        if name.endswith("USER_ID") or name == "RESPONSIBLE_USER":
            return "Users"
        if name == "CATEGORY_ID":
            return CATEGORY_LISTS.get(self.spec.name)
        return REFERENCE_KEYS.get(name)

    def _nested_slot(self, field: FieldSpec, rng: random.Random) -> Slot:
        name = field.name
        if name == "CUSTOMFIELDS":
            return self._custom_fields_slot(rng)
        if name == "LINKS":
            return None  # built by _slots with the slots before it, whose references it mirrors
        rows = [{name: self._nested_rows(name, rng)} for _ in range(VARIANTS)]
        return VariantSlot(self._name("N"), (name,), rows, self.bits.take(8), self.bits, nested=True)

    def _nested_rows(self, name: str, rng: random.Random) -> list[dict]:
        if name == "TAGS":
            return [{"TAG_NAME": t} for t in rng.sample(vocab.TAGS, rng.choice((0, 0, 1, 1, 2, 3)))]
        if name == "DATES" and rng.random() < 0.2:
            return [{"DATE_ID": rng.randrange(10_000_000, 99_999_999), "OCCASION_NAME": "Anniversary",
                     "OCCASION_DATE": synthesize("", FieldSpec("DATE_OF_BIRTH", "string", "date-time"), rng, {}),
                     "REPEAT_YEARLY": True, "CREATE_TASK_YEARLY": False}]
        if name == "EMAILDOMAINS" and rng.random() < 0.3:
            return [{"EMAIL_DOMAIN_ID": rng.randrange(10_000_000, 99_999_999),
                     "EMAIL_DOMAIN": rng.choice(vocab.EMAIL_DOMAINS)}]
        return []

    def _custom_fields_slot(self, rng: random.Random) -> Slot:
        defs = cf.fields_for(self.spec.name)
        listed = [f for f in defs if f.type != "AUTONUMBER"]
        keep_unset = cf.lists_unset_fields(self.spec.name)
        rows = []
        for _ in range(VARIANTS):
            items = [{"FIELD_NAME": f.name, "FIELD_VALUE": cf.sample_value(f, rng) if rng.random() < 0.6 else None,
                      "CUSTOM_FIELD_ID": f.name} for f in listed]
            rows.append([item for item in items if keep_unset or item["FIELD_VALUE"] is not None])
        numbered = tuple(f for f in defs if f.type == "AUTONUMBER")
        return CustomFieldsSlot(self._name("C"), rows, numbered, self.bits.take(8), self.bits)

    def _links_slot(self, rng: random.Random, slots: list[Slot]) -> Slot:
        context, spec = self.context, self.spec
        if spec.name == "Notes":
            targets = [(context.title_of(c), context.ids_of(c)) for c in context.note_parents]
        else:
            field, target = LINKED.get(spec.name, (None, None))
            existing = next((s for s in slots if field in s.fields), None) if field else None
            if isinstance(existing, RefSlot):
                return LinksSlot(self._name("L"), spec.title, [(context.title_of(target), existing)], self.bits,
                                 owns_refs=False)
            targets = [(context.title_of(target), context.ids_of(target))] if target else []
        refs = [(title, RefSlot("_", self._name("R"), ids, self.bits, optional=spec.name != "Notes"))
                for title, ids in targets if len(ids)]
        if not refs:
            return VariantSlot(self._name("N"), ("LINKS",), [{"LINKS": []}] * VARIANTS, self.bits.take(8), self.bits,
                               nested=True)
        return LinksSlot(self._name("L"), spec.title, refs, self.bits, owns_refs=True)


def _join_items(parts: list) -> list[str]:
    """Source of the items to join: adjacent constants merged into one bytes literal."""
    items, constant = [], b""
    for part in parts:
        if isinstance(part, Expr):
            if constant:
                items.append(repr(constant))
            items.append(part)
            constant = b""
        else:
            constant += part
    return [*items, repr(constant)] if constant else items


def _constants(slot: Slot) -> dict:
    """The objects a slot's generated expressions refer to, by the names they use."""
    if isinstance(slot, VariantSlot):
        return {slot.name: slot.encoded}
    if isinstance(slot, CustomFieldsSlot):
        return {slot.var: slot.encoded}
    if isinstance(slot, RefSlot):
        return {f"{slot.var}_T": slot.targets}
    if isinstance(slot, EmailSlot):
        return {f"{slot.var}_L": slot.encoded_locals}
    if isinstance(slot, LinksSlot):
        names = {f"{slot.var}_O": orjson.dumps(slot.title), f"{slot.var}_N": [orjson.dumps(t) for t, _ in slot.refs]}
        for _, ref in slot.refs:
            names.update(_constants(ref))
        return names
    return {}


def _local_part(row: dict) -> str:
    text = f"{row.get('FIRST_NAME') or ''}.{row.get('LAST_NAME') or ''}"
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum() or ch == ".").strip(".") or "contact"
