"""docs/coverage.md is current, lists every GET path of the Swagger once, and shows what issue 12 asks:
every top-level collection read, every non-binary kind of per-record GET read by some stream (a comment's
attachments three levels down), and what a read cannot find said where a stream reads a path only partly."""

from __future__ import annotations

import importlib.util
import json
import re

import pytest

from insightly_connector.spec.loader import REPO_ROOT, load_spec

TOOL = REPO_ROOT / "tools" / "coverage_table.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("coverage_table", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table(tool) -> str:
    return tool.render(load_spec(load_schemas=False), json.loads(tool.SWAGGER_PATH.read_text(encoding="utf-8")))


def rows(text: str) -> dict[str, tuple[str, str]]:
    found = {}
    for line in text.splitlines():
        match = re.fullmatch(r"\| `([^`]+)` \| (.*) \| (.*) \|", line)
        if match:
            assert match.group(1) not in found, f"{match.group(1)} listed twice"
            found[match.group(1)] = (match.group(2).strip(), match.group(3).strip())
    return found


def test_the_committed_table_is_current(tool, table):
    assert tool.TABLE_PATH.read_text(encoding="utf-8") == table, "run tools/coverage_table.py"


def test_every_get_path_is_listed_with_a_reader_or_a_reason(tool, table):
    swagger = json.loads(tool.SWAGGER_PATH.read_text(encoding="utf-8"))
    listed = rows(table)
    assert sorted(listed) == tool.swagger_get_paths(swagger)
    for path, (reader, why) in listed.items():
        assert reader or why, f"{path}: neither a reader nor a reason"
        assert not (reader and why) or why.startswith("partly: "), f"{path}: read, yet a reason why not"


def test_every_top_level_collection_is_read(table):
    top = {path: reader for path, (reader, _) in rows(table).items() if path.count("/") == 1}
    assert len(top) == 49 and all(top.values()), [path for path, reader in top.items() if not reader]
    for path in ("/CommunityComments", "/CommunityForums", "/CommunityPosts", "/ForumCategories",
                 "/DocumentTemplates", "/Follows", "/MarketingVisits", "/Permissions"):
        assert top[path], path


def test_every_non_binary_kind_under_a_record_is_read_by_some_stream(table):
    kinds: dict[str, list[str]] = {}
    for path, (reader, _) in rows(table).items():
        match = re.fullmatch(r"/[A-Za-z{}]+/\{id\}/([A-Za-z]+).*", path)
        if match and match.group(1) not in ("Image", "ImageField"):
            kinds.setdefault(match.group(1), []).append(reader)
    unread = sorted(kind for kind, readers in kinds.items() if not any(readers))
    assert len(kinds) == 23
    assert unread == [], unread


def test_a_comments_attachments_are_read_three_levels_down_under_each_kind_of_comment(table):
    reader, why = rows(table)["/Comments/{id}/FileAttachments"]
    for parent in ("notes", "tasks", "emails"):
        assert f"`{parent}_comments_file_attachments` (one request per record of `{parent}_comments`, itself " \
               f"read under `{parent}`; opt-in)" in reader
    assert not why


def test_translations_say_what_no_read_can_find(table):
    listed = rows(table)
    reader, why = listed["/KnowledgeArticle/{id}/Translations/{language}"]
    assert reader and why.startswith("partly: ") and "no route or field lists" in why
    reader, why = listed["/{objectName}/{id}/Translations/{language}"]
    assert not reader and "no route or field lists" in why
