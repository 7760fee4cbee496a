"""Write docs/coverage.md: every GET path of the vendored Swagger, with the stream that reads it or the
reason none does. Generated, so it cannot drift: a test re-runs it and requires the committed file.

Which stream reads a path comes from connector.yaml (a resource's path, its incremental search path, a
child stream's route, the check request, a dynamic template's listing); a flattened stream reads the
per-record route of its array (`/Contacts/{id}/Tags` is `contacts_tags`, from the records). The reasons
for the rest are the judgement calls below, one per kind of path, so a new path without one fails loudly.

    .venv/bin/python tools/coverage_table.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from insightly_connector.source.children import lineage  # noqa: E402
from insightly_connector.spec.loader import Spec, load_spec  # noqa: E402

SWAGGER_PATH = REPO_ROOT / "vendor" / "insightly-v3.1-swagger.json"
TABLE_PATH = REPO_ROOT / "docs" / "coverage.md"
#: The per-record route of each nested array a flattened stream reads (api-notes §4.2).
ARRAY_ROUTES = {"TAGS": "Tags", "LINKS": "Links", "DATES": "Dates", "EMAILDOMAINS": "EmailDomains"}
#: Why a GET path is read by no stream, by kind of path (the first pattern that matches).
REASONS = (
    (r"/\{id\}/Image$|/\{id\}/ImageField/\{fieldName\}$", "binary: an image download, not records"),
    (r"^/FileAttachments/\{id\}$", "binary: the file itself; its metadata is read by the *_file_attachments streams"),
    (r"^/\{objectName\}/\{id\}/Translations/\{language\}$", "a record's translation in a language named in "
                                                           "the path: no route or field lists a custom-object "
                                                           "record's languages (its records have no Language), "
                                                           "so there is none to ask for"),
    (r"^/\{objectName\}/\{id\}/", "under a custom-object record: custom objects are found live, and no "
                                  "dynamic child template is declared"),
    (r"^/CustomFields/\{objectName\}/Search$", "one custom field by name; custom_fields_* read the whole list"),
    (r"^/CustomObjects/\{customObjectName\}$", "one custom object by name; custom_objects reads the whole list"),
    (r"/SearchByTag$", "the records with one tag: the same records as the list, whose TAGS the *_tags streams "
                       "flatten"),
    (r"/Search$", "field search; the list reads every record (and the records have no DATE_UPDATED_UTC to "
                  "read incrementally by)"),
    (r"^/[A-Za-z]+/\{id\}$", "one record by id: every record comes in its collection's list"),
    (r"^/\{objectName\}/\{id\}$", "one record by id: every record comes in its custom object's list"),
)
#: What a stream that reads a path still leaves unread, by kind of path.
PARTLY = (
    (r"^/KnowledgeArticle/\{id\}/Translations/\{language\}$",
     "partly: each article in its own Language only; no route or field lists the languages an article is "
     "translated into (nor the account's), so other translations cannot be found by a read"),
)
#: Per-record lists that are the records of a top-level collection, linked to the parent (api-notes §2.3).
SAME_AS = {"Notes": "notes", "Emails": "emails", "Events": "events", "Tasks": "tasks", "Milestones": "milestones",
           "PricebookEntry": "pricebook_entries", "OpportunityLineItem": "opportunity_line_items",
           "QuotationLineItem": "quotation_line_items", "CommunityPosts": "community_posts",
           "CommunityComments": "community_comments"}


def swagger_get_paths(swagger: dict) -> list[str]:
    return sorted(path for path, operations in swagger["paths"].items() if "get" in operations)


def readers(spec: Spec, swagger_paths: list[str]) -> dict[str, list[str]]:
    """Swagger path -> how each stream reads it (`contacts`, `contacts (incremental)`, ...)."""
    found: dict[str, list[str]] = defaultdict(list)

    def add(path: str, text: str, *, required: bool = True) -> None:
        match = _swagger_path(path, swagger_paths)
        if match is None and not required:
            return  # a live-only array (a lead's LINKS) has no per-record route in the Swagger
        if match is None:
            raise SystemExit(f"{text}: {path} is no GET path of the Swagger")
        if text not in found[match]:
            found[match].append(text)

    for resource in spec.resources.values():
        name = f"`{resource.name}`"
        if resource.flatten is not None:
            parent = spec.resources[resource.flatten.parent]
            add(f"{parent.path}/{{id}}/{ARRAY_ROUTES[resource.flatten.field]}",
                f"{name} (flattened from the {resource.flatten.field} of `{parent.name}`, no request per record)",
                required=False)
            continue
        if resource.child is not None:
            chain = lineage(spec, resource)
            how = "one request per parent; opt-in" if len(chain) == 1 else \
                f"one request per record of `{chain[-1].name}`, itself read under `{chain[0].name}`; opt-in"
            add(resource.path, f"{name} ({how})")
            continue
        add(resource.path, name)
        if resource.incremental:
            add(resource.incremental["path"], f"{name} (incremental)")
        if resource.dynamic and resource.dynamic_source is None:
            add(resource.dynamic["list_path"], f"{name} (lists the objects to expand)")
    check = spec.credential["check"]
    add(check["path"], "`check` (the credential's identity)")
    return found


def _swagger_path(path: str, swagger_paths: list[str]) -> str | None:
    """The Swagger path serving a path of the YAML (`${object_name}` and `{macros}` are its parameters)."""
    shape = re.sub(r"\$\{[a-z_]+\}|\{[A-Za-z_.]+\}", "{}", path)
    shape = re.sub(r"/CustomFields/[A-Za-z_]+$", "/CustomFields/{}", shape)
    for candidate in swagger_paths:
        if re.sub(r"\{[^}]+\}", "{}", candidate) == shape:
            return candidate
    return None


def reason(path: str) -> str:
    sub = re.fullmatch(r"/([A-Za-z]+)/\{id\}/([A-Za-z]+)", path)
    if sub and sub.group(2) in SAME_AS:
        return (f"the same records as `{SAME_AS[sub.group(2)]}`, which carries the parent's key (or LINKS) at "
                "no request per parent; declare a child stream to read them per parent")
    for pattern, text in REASONS:
        if re.search(pattern, path):
            return text
    raise SystemExit(f"{path}: read by no stream, and no reason is given in tools/coverage_table.py")


def left_unread(path: str) -> str:
    return next((text for pattern, text in PARTLY if re.search(pattern, path)), "")


def render(spec: Spec, swagger: dict) -> str:
    paths = swagger_get_paths(swagger)
    found = readers(spec, paths)
    top = [p for p in paths if p.count("/") == 1]
    under = [p for p in paths if "/{id}/" in p]
    lines = [
        "# Coverage: every GET path of the Swagger",
        "",
        "Generated by `tools/coverage_table.py` from `vendor/insightly-v3.1-swagger.json` and `connector.yaml`;",
        "do not edit by hand (a test requires this file to equal a fresh run).",
        "",
        f"- GET paths: {len(paths)}, read by a stream: {sum(p in found for p in paths)}.",
        f"- Top-level collections: {len(top)}, read: {sum(p in found for p in top)}.",
        f"- Per-record GETs (`/{{Object}}/{{id}}/...`): {len(under)}, read by a stream: "
        f"{sum(p in found for p in under)}; the rest are binary, custom-object, or the same records as a "
        "top-level stream (see each row).",
        "",
        "Child streams (one request per parent) are opt-in: they are read only when named. Flattened streams",
        "read a record's nested array from the records themselves.",
        "",
        "| GET path | read by | or why not |",
        "| --- | --- | --- |",
    ]
    for path in paths:
        how = "<br>".join(found.get(path, []))
        lines.append(f"| `{path}` | {how} | {left_unread(path) if how else reason(path)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when docs/coverage.md is not current")
    args = parser.parse_args(argv)
    text = render(load_spec(load_schemas=False), json.loads(SWAGGER_PATH.read_text(encoding="utf-8")))
    if args.check:
        current = TABLE_PATH.read_text(encoding="utf-8") if TABLE_PATH.exists() else ""
        if current != text:
            print(f"{TABLE_PATH.relative_to(REPO_ROOT)} is not current: run tools/coverage_table.py")
            return 1
        return 0
    TABLE_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE_PATH.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
