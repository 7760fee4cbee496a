"""The per-record child routes the harness emulates (harness/children.py): every GET kind of the Swagger
under `/{Collection}/{id}/...` that is not binary answers with data in its Swagger shape; paged routes page
and count; routes that take `updated_after_utc` filter on it; the plan's 403/404 and injected faults apply
as on any route; unknown parents answer 404. A comment's files (`/Comments/{id}/FileAttachments`, under a
comment read under a note, task or e-mail) likewise."""

from __future__ import annotations

import re

import pytest

from insightly_connector.harness import Harness, children

from .test_harness_shapes import check, json_schema, swagger

BINARY = ("Image", "ImageField/{fieldName}")
NOT_CHILDREN = ("Tags", "Links", "Dates", "EmailDomains", "Notes")  # served before (nested arrays, notes)
#: The Swagger's schema for this GET is a Note, against its own summary ("a list of Comments of a Note"):
#: the harness answers the note's comments, as /Notes/{id}/Comments does, and no stream reads this route.
SHAPE_CONTRADICTS_SUMMARY = ("/Notes/{id}/Comment",)
#: Under a comment, which is no collection of its own (only PUT and DELETE /Comments): reached through a
#: note's, a task's or an e-mail's comments (the tests at the end).
GRANDCHILDREN = ("/Comments/{id}/FileAttachments",)


def child_routes() -> list[tuple[str, str, str]]:
    """(Swagger path, collection, sub-route) of every non-binary per-record GET of a standard collection."""
    found = []
    for path, operations in swagger()["paths"].items():
        match = re.fullmatch(r"/([A-Za-z]+)/\{id\}/(.+)", path)
        if match and "get" in operations and match.group(2) not in BINARY and path not in GRANDCHILDREN:
            found.append((path, match.group(1), match.group(2)))
    return found


def success_schema(path: str) -> dict:
    responses = swagger()["paths"][path]["get"]["responses"]
    return next(responses[code]["schema"] for code in ("200", "201") if "schema" in responses.get(code, {}))


def concrete(api, collection: str, sub: str) -> list[str]:
    """The route under the collection's first few records (a translation in the article's own language)."""
    primary_key = {"Ticket": "TICKET_ID", "Quotation": "QUOTE_ID"}
    records = api.get(f"/{collection}", top=5).json()
    assert records, collection
    key = primary_key.get(collection) or next(iter(records[0]))
    paths = []
    for record in records:
        rest = sub.replace("{language}", str(record.get("Language") or "en"))
        paths.append(f"/{collection}/{record[key]}/{rest}")
    return paths


@pytest.mark.parametrize("swagger_path, collection, sub", child_routes(), ids=lambda value: str(value))
def test_every_child_route_answers_in_its_swagger_shape(api, swagger_path, collection, sub):
    schema = json_schema(success_schema(swagger_path))
    served = 0
    for path in concrete(api, collection, sub):
        answer = api.get(path)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:200]}"
        body = answer.json()
        if swagger_path not in SHAPE_CONTRADICTS_SUMMARY:
            check(body, schema)
        served += len(body) if isinstance(body, list) else 1
    if sub not in NOT_CHILDREN and sub not in ("Comment", "Emails", "Events", "Tasks"):
        assert served, f"{swagger_path}: no data under the first records"


def test_paged_child_routes_page_and_count(api):
    contacts = [c["CONTACT_ID"] for c in api.all("/Contacts")]
    with_many = next(c for c in contacts if len(api.get(f"/Contacts/{c}/FileAttachments").json()) >= 2)
    path = f"/Contacts/{with_many}/FileAttachments"
    everything = api.get(path).json()
    first = api.get(path, skip=0, top=1, count_total="true")
    second = api.get(path, skip=1, top=1)
    assert first.headers["X-Total-Count"] == str(len(everything))
    assert first.json() + second.json() == everything[:2]


def test_updated_after_filters_children_and_the_option_moves_the_parent(fresh, fresh_api):
    contact = fresh.ids("Contacts")[0]
    path = f"/Contacts/{contact}/FileAttachments"
    before = fresh_api.get(path).json()
    cut = fresh.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fresh_api.get(path, updated_after_utc=cut).json() == []
    fresh.advance_clock(5)
    with fresh.api.lock:
        added = fresh.api.children.add("FileAttachments", "Contacts", contact, {"FILE_NAME": "n.txt",
                                                                                "CONTENT_TYPE": "text/plain"})
    assert fresh_api.get(path, updated_after_utc=cut).json() == [added]
    assert len(fresh_api.get(path).json()) == len(before) + 1
    updated = fresh_api.get(f"/Contacts/{contact}").json()["DATE_UPDATED_UTC"]
    assert updated < added["DATE_UPDATED_UTC"], "the parent moved although the option is off"
    fresh.set_option("child_changes_touch_parent", True)
    fresh.advance_clock(5)
    with fresh.api.lock:
        fresh.api.children.add("FileAttachments", "Contacts", contact, {"FILE_NAME": "m.txt",
                                                                        "CONTENT_TYPE": "text/plain"})
    assert fresh_api.get(f"/Contacts/{contact}").json()["DATE_UPDATED_UTC"] > updated
    assert fresh_api.get(path, updated_after_utc="not a date").status_code == 400


def test_children_of_an_unknown_parent_are_not_found_and_other_methods_are_not_allowed(api):
    assert api.get("/Contacts/999999999/FileAttachments").status_code == 404
    assert api.get("/Opportunities/999999999/StateHistory").status_code == 404
    assert api.request("POST", f"/Opportunities/{api.get('/Opportunities').json()[0]['OPPORTUNITY_ID']}"
                               "/StateHistory", json={}).status_code == 405


@pytest.mark.parametrize("route, status", [("/Ticket/{}/Comments", 403), ("/Prospect/{}/StaticListMembership", 403),
                                           ("/Quotation/{}/QuotationDocument", 404)])
def test_the_plan_decides_before_any_child(client_for, route, status):
    with Harness(contacts=10, plan="professional", rate_limit_per_second=None) as harness:
        assert client_for(harness).get(route.format(1)).status_code == status


def test_faults_apply_to_child_routes(fresh, fresh_api):
    contact = fresh.ids("Contacts")[0]
    fresh.inject(status=503, count=1, path_prefix=f"/Contacts/{contact}/Follow")
    assert fresh_api.get(f"/Contacts/{contact}/Follow").status_code == 503
    follow = fresh_api.get(f"/Contacts/{contact}/Follow")
    assert follow.status_code == 200 and set(follow.json()) == {"FOLLOWING"}


def comments_with_files(api, at_least: int = 2) -> list[tuple[int, dict]]:
    """(note id, comment) of the first notes' comments, once `at_least` of them have files."""
    found, with_files = [], 0
    for note in api.get("/Notes", top=30).json():
        for comment in api.get(f"/Notes/{note['NOTE_ID']}/Comments").json():
            found.append((note["NOTE_ID"], comment))
            with_files += bool(api.get(f"/Comments/{comment['COMMENT_ID']}/FileAttachments").json())
        if with_files >= at_least:
            return found
    raise AssertionError("the harness serves no comment with files: the tests would prove nothing")


def test_a_comments_files_answer_in_their_swagger_shape_and_page(api):
    operation = swagger()["paths"]["/Comments/{id}/FileAttachments"]["get"]
    query = tuple(p["name"] for p in operation["parameters"] if p["in"] == "query")
    assert query == children.COMMENT_FILE_PARAMS, "the harness takes other parameters than the Swagger lists"
    schema = json_schema(success_schema("/Comments/{id}/FileAttachments"))
    comments = comments_with_files(api)
    for _, comment in comments:
        answer = api.get(f"/Comments/{comment['COMMENT_ID']}/FileAttachments")
        assert answer.status_code == 200
        check(answer.json(), schema)
    busiest = max((c["COMMENT_ID"] for _, c in comments),
                  key=lambda key: len(api.get(f"/Comments/{key}/FileAttachments").json()))
    path = f"/Comments/{busiest}/FileAttachments"
    everything = api.get(path).json()
    first = api.get(path, skip=0, top=1, count_total="true")
    assert first.headers["X-Total-Count"] == str(len(everything)) and first.json() == everything[:1]
    assert api.get(path, skip=1, top=500).json() == everything[1:]
    assert api.get(path, updated_after_utc="not a date").status_code == 400


def test_a_comments_new_file_is_filtered_by_date_and_moves_the_comment_and_note_on_option(fresh, fresh_api):
    note, comment = comments_with_files(fresh_api, at_least=1)[0]
    key = comment["COMMENT_ID"]
    cut = fresh.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh.advance_clock(5)
    with fresh.api.lock:
        added = fresh.api.children.add("FileAttachments", "Comments", key, {"FILE_NAME": "c.txt",
                                                                            "CONTENT_TYPE": "text/plain"})
    assert fresh_api.get(f"/Comments/{key}/FileAttachments", updated_after_utc=cut).json() == [added]
    assert fresh_api.get(f"/Notes/{note}/Comments", updated_after_utc=cut).json() == [], "option off: moved"
    note_date = fresh_api.get(f"/Notes/{note}").json()["DATE_UPDATED_UTC"]
    fresh.set_option("child_changes_touch_parent", True)
    fresh.advance_clock(5)
    with fresh.api.lock:
        fresh.api.children.add("FileAttachments", "Comments", key, {"FILE_NAME": "d.txt", "CONTENT_TYPE": "text/plain"})
    assert [c["COMMENT_ID"] for c in fresh_api.get(f"/Notes/{note}/Comments", updated_after_utc=cut).json()] == [key]
    assert fresh_api.get(f"/Notes/{note}").json()["DATE_UPDATED_UTC"] > note_date


def test_a_comment_unknown_or_gone_is_not_found_and_faults_apply(fresh, fresh_api):
    note, comment = comments_with_files(fresh_api, at_least=1)[0]
    path = f"/Comments/{comment['COMMENT_ID']}/FileAttachments"
    assert fresh_api.get("/Comments/999999999/FileAttachments").status_code == 404
    assert fresh_api.get("/Comments/abc/FileAttachments").status_code == 400
    assert fresh_api.request("POST", path, json={}).status_code == 405
    fresh.inject(status=503, count=1, path_prefix=path)
    assert fresh_api.get(path).status_code == 503 and fresh_api.get(path).status_code == 200
    fresh.set_quota_remaining(0)
    assert fresh_api.get(path).status_code == 429, "the daily quota counts a comment's files too"
    fresh.reset_quota()
    assert fresh_api.delete(f"/Notes/{note}").status_code in (200, 202)
    assert fresh_api.get(path).status_code == 404, "the note and its comments are gone"
