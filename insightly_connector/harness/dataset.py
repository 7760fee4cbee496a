"""The demo instance's data: every collection, generated from a seed, and the queries across them.

Sizes follow the number of contacts (other collections are a share of it, capped, unless given
explicitly), so `contacts=10` is a tiny instance for tests and `contacts=1_000_000` a big one for
benchmarks that still starts in seconds.
"""

from __future__ import annotations

from array import array

from insightly_connector.harness import custom_fields as cf
from insightly_connector.harness.collection import Collection, record_time
from insightly_connector.harness.generator import Context, RecordFactory
from insightly_connector.harness.reference_data import complete, reference_records
from insightly_connector.harness.selection import Selection
from insightly_connector.harness.table import CollectionSpec, Table

# Generated collections in build order (targets of references first): (records per contact, minimum).
GENERATED = {
    "Organisations": (0.25, 5), "Contacts": (1.0, 0), "Leads": (0.25, 5), "Opportunities": (0.25, 5),
    "Projects": (0.1, 3), "Milestones": (0.05, 3), "Emails": (0.2, 3), "Tasks": (0.2, 5), "Events": (0.1, 3),
    "Notes": (0.5, 10), "Ticket": (0.1, 3), "Product": (0.05, 5), "Pricebook": (0.0, 3),
    "PricebookEntry": (0.1, 5), "Quotation": (0.05, 3), "OpportunityLineItem": (0.1, 5),
    "QuotationLineItem": (0.1, 5), "Prospect": (0.2, 5), "KnowledgeArticleCategory": (0.0, 3),
    "KnowledgeArticleFolder": (0.0, 5), "KnowledgeArticle": (0.05, 3), "ForumCategories": (0.0, 2),
    "CommunityForums": (0.0, 3), "CommunityPosts": (0.02, 5), "CommunityComments": (0.05, 5),
    "DocumentTemplates": (0.0, 3), "MarketingVisits": (0.05, 3),
    **{name: (0.1, 5) for name, _singular, _plural in cf.CUSTOM_OBJECTS},
}
DERIVED_CAP = 20_000  # a derived size never exceeds this (explicit sizes may)
TAG_RECORD_TYPES = {"contacts": "Contacts", "leads": "Leads", "opportunities": "Opportunities",
                    "organisations": "Organisations", "projects": "Projects", "emails": "Emails"}


def default_sizes(contacts: int) -> dict[str, int]:
    return {name: contacts if name == "Contacts" else max(floor, min(DERIVED_CAP, int(contacts * share)))
            for name, (share, floor) in GENERATED.items()}


class Dataset:
    def __init__(self, table: Table, seed: int, contacts: int, sizes: dict[str, int] | None = None,
                 instance_name: str = "Harness Demo", plan: str = "enterprise"):
        self.table, self.seed = table, seed
        self.sizes = {**default_sizes(contacts), **(sizes or {})}
        unknown = set(self.sizes) - set(GENERATED)
        if unknown:
            raise ValueError(f"unknown collections in sizes: {sorted(unknown)}")
        self.specs: dict[str, CollectionSpec] = {
            name: spec for name, spec in table.collections.items() if "/" not in name and "{" not in name}
        for name, singular, _plural in cf.CUSTOM_OBJECTS:
            self.specs[name] = table.custom_object_template.renamed(name, singular)
        self.collections: dict[str, Collection] = {}
        self._static_ids: dict[str, list] = {}
        references = reference_records(instance_name, plan)
        for name, records in references.items():
            self.collections[name] = Collection(self.specs[name], records=[complete(self.specs[name], r)
                                                                            for r in records])
        self.note_parents = [name for name, spec in self.specs.items()
                             if "POST" in spec.subresources.get("Notes", ())]
        context = Context(self._ids_of, self._title_of, self._pipeline_pairs(), self.note_parents)
        for name in GENERATED:
            factory = RecordFactory(self.specs[name], seed, self.sizes[name], context)
            self.collections[name] = Collection(self.specs[name], factory)
        follows = self.collections["Follows"]
        for target in ("Contacts", "Organisations", "Opportunities"):  # the demo user follows a few records
            ids = self._ids_of(target)
            if len(ids):
                follows.put(complete(follows.spec, {"RECORD_TYPE": self.specs[target].title, "RECORD_ID": ids[0]}))

    # ---- wiring for the generator ----------------------------------------------------------------------

    def _ids_of(self, name: str):
        collection = self.collections.get(name)
        if collection is None:
            return []
        if collection.factory:
            return collection.base_ids
        if name not in self._static_ids:  # the lists generated records refer to, as they were at start
            self._static_ids[name] = [r[collection.pk] for r in collection.records()]
        return self._static_ids[name]

    def _title_of(self, name: str) -> str:
        return self.specs[name].title

    def _pipeline_pairs(self) -> list[tuple[int, int, bool]]:
        pipelines = {p["PIPELINE_ID"]: p for p in self.collections["Pipelines"].records()}
        return [(s["PIPELINE_ID"], s["STAGE_ID"], pipelines[s["PIPELINE_ID"]]["FOR_OPPORTUNITIES"])
                for s in self.collections["PipelineStages"].records()]

    # ---- lookups ---------------------------------------------------------------------------------------

    @property
    def custom_objects(self) -> list[str]:
        return [name for name, _s, _p in cf.CUSTOM_OBJECTS]

    def collection(self, name: str) -> Collection | None:
        return self.collections.get(name)

    def record_total(self) -> int:
        """Records counted against a plan's record limit: everything but users and settings."""
        return sum(len(self.collections[name]) for name in GENERATED)

    def is_record_collection(self, name: str) -> bool:
        return name in GENERATED

    # ---- queries ---------------------------------------------------------------------------------------

    def search(self, name: str, *, updated_after: int | None = None, inclusive: bool = False,
               field: str | None = None, value: str | None = None, tag: str | None = None,
               parent: tuple[str, int] | None = None, case_sensitive: bool = False) -> Selection:
        """Records matching every given filter, in ascending id order. `parent` (object name, id) selects
        the notes linked to that record."""
        collection = self.collections[name]
        time_field = time_field_of(collection.spec)
        norm = _normaliser(case_sensitive)
        generated = collection.factory is not None
        positions, tests, key = None if generated else array("q"), [], [name]

        def narrow(index_name, build, wanted):
            return _intersect(positions, collection.base_matches(index_name, build, wanted)) if generated \
                else positions
        if updated_after is not None:
            if generated:
                positions = _intersect(positions, collection.updated_after(updated_after, inclusive, time_field))
            tests.append(lambda r: _after(record_time(r, time_field), updated_after, inclusive))
            key.append(("after", updated_after, inclusive))
        if field is not None:
            wanted = norm(value)
            positions = narrow(("field", field, case_sensitive),
                               lambda: collection.value_index(norm, self._field_values(collection, field)), wanted)
            tests.append(lambda r: wanted in {norm(v) for v in _record_values(r, field)})
            key.append(("field", field, wanted))
        if tag is not None:
            wanted_tag = norm(tag)
            positions = narrow(("tag", case_sensitive),
                               lambda: collection.value_index(norm, self._field_values(collection, "TAGS")), wanted_tag)
            tests.append(lambda r: wanted_tag in {norm(t.get("TAG_NAME")) for t in r.get("TAGS") or []})
            key.append(("tag", wanted_tag))
        if parent is not None:
            factory = collection.factory
            positions = narrow("parent", lambda: collection.value_index(
                lambda v: v, lambda i: [factory.parent(i)] if factory.parent(i) else []), parent)
            tests.append(lambda r: _links_to(r, parent))
            key.append(("parent", parent))
        return collection.select(positions, lambda r: all(test(r) for test in tests), tuple(key))

    def _field_values(self, collection: Collection, field: str):
        factory = collection.factory
        if field == "TAGS":
            return lambda i: [t["TAG_NAME"] for t in factory.value(i, "TAGS") or []]
        if field in factory.by_field:
            return lambda i: [factory.value(i, field)]
        return lambda i: [item["FIELD_VALUE"] for item in factory.value(i, "CUSTOMFIELDS") or []
                          if item["FIELD_NAME"] == field]

    def searchable_fields(self, name: str) -> set[str]:
        spec = self.specs[name]
        return {f.name for f in spec.fields if not f.nested} | {f.name for f in cf.fields_for(name)}

    def tags(self, name: str) -> list[str]:
        """Distinct tag names in use on a collection's live records, in name order."""
        collection = self.collections[name]
        norm = _normaliser(True)
        names = set()
        if collection.factory is not None:
            index = collection.index(("tag", True),
                                      lambda: collection.value_index(norm, self._field_values(collection, "TAGS")))
            touched = collection.touched_set
            names = {tag for tag, positions in index.items() if any(p not in touched for p in positions)}
        for key in collection.keys:
            names.update(t.get("TAG_NAME") for t in collection.overlay[key].record.get("TAGS") or [])
        return sorted((n for n in names if n), key=str.casefold)


def time_field_of(spec: CollectionSpec) -> str | None:
    """What `updated_after_utc` compares: DATE_UPDATED_UTC, or DATE_CREATED_UTC where there is none
    (Emails accept the parameter but have no update date)."""
    for name in ("DATE_UPDATED_UTC", "DATE_CREATED_UTC"):
        if spec.has_field(name):
            return name
    return None


def _after(moment: int | None, instant: int, inclusive: bool) -> bool:
    return moment is not None and (moment >= instant if inclusive else moment > instant)


def _links_to(record: dict, parent: tuple[str, int]) -> bool:
    return any((link.get("LINK_OBJECT_NAME"), link.get("LINK_OBJECT_ID")) == parent
               for link in record.get("LINKS") or [])


def _intersect(current, positions) -> array:
    if current is None:
        return positions
    small, large = (current, positions) if len(current) <= len(positions) else (positions, current)
    keep = set(large)
    return array("q", (p for p in small if p in keep))


def _record_values(record: dict, field: str) -> list:
    if field in record:
        return [record[field]]
    return [item.get("FIELD_VALUE") for item in record.get("CUSTOMFIELDS") or [] if item.get("FIELD_NAME") == field]


def _normaliser(case_sensitive: bool):
    def normalise(value):
        if value is None:
            return None
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value)
        return text if case_sensitive else text.casefold()
    return normalise
