"""The fake Widgets API's contract, proved through real HTTP. Every loop is bounded; every server is stopped."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import orjson
import pytest
import requests

from tests.second_api.fake_api import CLOCK_START, FakeApi

TIMEOUT = 10
MAX_PAGES = 100


@pytest.fixture
def api() -> Iterator[FakeApi]:
    with FakeApi(widgets=120, gadgets=75, token="tok-abc", page_size_cap=50, seed=3) as fake:
        yield fake


@pytest.fixture
def http(api: FakeApi) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {api.token}"
        yield session


def call(session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
    return session.request(method, url, timeout=TIMEOUT, **kwargs)


def walk_widgets(session: requests.Session, url: str, params: dict, between=None) -> tuple[list[dict], list[str]]:
    """Follow links.next to the end; returns the records and every URL fetched."""
    records, urls = [], []
    response = call(session, "GET", url, params=params)
    for _ in range(MAX_PAGES):
        assert response.status_code == 200, response.text
        urls.append(response.url)
        body = response.json()
        records.extend(body["data"])
        if body["links"]["next"] is None:
            return records, urls
        if between:
            between(len(urls))
        response = call(session, "GET", body["links"]["next"])
    raise AssertionError("paging did not end")


def walk_gadgets(session: requests.Session, url: str, params: dict, between=None) -> list[dict]:
    records, cursor = [], None
    for page in range(MAX_PAGES):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = call(session, "GET", url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["data"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return records
        if between:
            between(page + 1)
    raise AssertionError("paging did not end")


def test_auth_and_check_request(api: FakeApi, http: requests.Session) -> None:
    me = call(http, "GET", f"{api.base_url}/me")
    assert me.status_code == 200 and me.json() == {"data": {"id": 1, "name": "Test User"}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": api.token},
                    {"Authorization": f"Basic {api.token}"}):
        response = requests.get(f"{api.base_url}/widgets", headers=headers, timeout=TIMEOUT)
        assert response.status_code == 401
        assert response.json() == {"error": {"message": "invalid token"}}
    logged = api.requests()
    assert [entry.status for entry in logged] == [200, 401, 401, 401, 401]
    assert logged[0].path == "/v1/me" and logged[0].header("authorization") == f"Bearer {api.token}"
    api.clear_requests()
    assert api.requests() == []


def test_records_are_seeded_deterministically(api: FakeApi) -> None:
    widgets, gadgets = api.records("widgets"), api.records("gadgets")
    assert [w["id"] for w in widgets] == list(range(1, 121))
    assert [g["gadget_id"] for g in gadgets] == [f"g-{i:04d}" for i in range(1, 76)]
    assert set(widgets[0]) == {"id", "name", "colour", "weight_grams", "created_at", "updated_at"}
    assert set(gadgets[0]) == {"gadget_id", "label", "active", "created_at", "updated_at"}
    assert len({w["updated_at"] for w in widgets}) < len(widgets)  # ties exist on purpose
    with FakeApi(seed=3) as same, FakeApi(seed=4) as other:
        assert same.records("widgets") == widgets and same.records("gadgets") == gadgets
        assert other.records("widgets") != widgets


def test_next_link_paging_walks_every_widget_once(api: FakeApi, http: requests.Session) -> None:
    records, urls = walk_widgets(http, f"{api.base_url}/widgets", {"limit": 1000})  # capped to 50
    assert [r["id"] for r in records] == list(range(1, 121))
    assert len(urls) == 3
    assert records == api.records("widgets")
    second = api.requests()[1]
    assert second.query["limit"] == "1000" and set(second.query) == {"limit", "after"}
    assert urls[1].startswith(api.base_url + "/widgets?")
    no_limit = call(http, "GET", f"{api.base_url}/widgets").json()
    assert len(no_limit["data"]) == 50


def test_cursor_paging_walks_every_gadget_once(api: FakeApi, http: requests.Session) -> None:
    records = walk_gadgets(http, f"{api.base_url}/gadgets", {"limit": 20})
    assert [r["gadget_id"] for r in records] == [f"g-{i:04d}" for i in range(1, 76)]
    assert len(call(http, "GET", f"{api.base_url}/gadgets", params={"limit": 75}).json()["data"]) == 50


def test_keyset_paging_survives_deletes_and_inserts(api: FakeApi, http: requests.Session) -> None:
    def churn(pages_done: int) -> None:
        if pages_done == 1:
            api.delete("widgets", 40)  # an unseen record goes
            api.delete("widgets", 10)  # a seen one goes: nothing may be skipped
            api.create("widgets", {"name": "late"})  # id 121 lands after the end

    records, _ = walk_widgets(http, f"{api.base_url}/widgets", {"limit": 30}, between=churn)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert ids == [i for i in range(1, 122) if i != 40]

    def churn_gadgets(pages_done: int) -> None:
        if pages_done == 1:
            api.delete("gadgets", "g-0030")
            api.delete("gadgets", "g-0005")

    gadgets = walk_gadgets(http, f"{api.base_url}/gadgets", {"limit": 25}, between=churn_gadgets)
    assert [g["gadget_id"] for g in gadgets] == [f"g-{i:04d}" for i in range(1, 76) if i != 30]


def test_updated_since_is_strictly_after_and_ordered(api: FakeApi, http: requests.Session) -> None:
    stamps = sorted({w["updated_at"] for w in api.records("widgets")})
    since = stamps[len(stamps) // 2]
    expected = sorted((w for w in api.records("widgets") if w["updated_at"] > since),
                      key=lambda w: (w["updated_at"], w["id"]))
    records, urls = walk_widgets(http, f"{api.base_url}/widgets", {"limit": 7, "updated_since": since})
    assert records == expected and len(urls) > 1
    assert all(entry.query["updated_since"] == since for entry in api.requests())
    gadget_stamps = sorted({g["updated_at"] for g in api.records("gadgets")})
    gsince = gadget_stamps[1]
    gadgets = walk_gadgets(http, f"{api.base_url}/gadgets", {"limit": 4, "updated_since": gsince})
    assert gadgets == sorted((g for g in api.records("gadgets") if g["updated_at"] > gsince),
                             key=lambda g: (g["updated_at"], g["gadget_id"]))
    api.advance_clock(60)
    changed = api.update("widgets", 3, {"colour": "teal"})
    late, _ = walk_widgets(http, f"{api.base_url}/widgets", {"updated_since": stamps[-1]})
    assert late == [changed]
    assert walk_widgets(http, f"{api.base_url}/widgets", {"updated_since": changed["updated_at"]})[0] == []


def test_updated_since_inclusive_option() -> None:
    with FakeApi(widgets=30, gadgets=5, inclusive=True) as api, requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {api.token}"
        since = api.records("widgets")[0]["updated_at"]
        records, _ = walk_widgets(http, f"{api.base_url}/widgets", {"limit": 4, "updated_since": since})
        assert records and records[0]["updated_at"] >= since
        assert {r["id"] for r in records} == {w["id"] for w in api.records("widgets") if w["updated_at"] >= since}
        assert any(r["updated_at"] == since for r in records)


def test_bad_list_queries_are_400(api: FakeApi, http: requests.Session) -> None:
    other_mode = base64.urlsafe_b64encode(orjson.dumps(["u", "2024-01-01T00:00:00Z", 5])).decode().rstrip("=")
    for resource, params in (("widgets", {"limit": "0"}), ("widgets", {"limit": "x"}),
                             ("widgets", {"updated_since": "yesterday"}), ("widgets", {"after": "!!"}),
                             ("widgets", {"after": other_mode}), ("widgets", {"cursor": "abc"}),
                             ("gadgets", {"after": "abc"}), ("gadgets", {"cursor": "bm9wZQ"})):
        response = call(http, "GET", f"{api.base_url}/{resource}", params=params)
        assert response.status_code == 400, (resource, params)
        assert "message" in response.json()["error"]


def test_writes(api: FakeApi, http: requests.Session) -> None:
    api.advance_clock(3600)
    now = api.now()
    created = call(http, "POST", f"{api.base_url}/widgets", json={"name": "New", "weight_grams": 7})
    assert created.status_code == 201
    record = created.json()["data"]
    assert record == {"id": 121, "name": "New", "colour": "grey", "weight_grams": 7,
                      "created_at": now, "updated_at": now}
    assert api.get("widgets", 121) == record
    assert call(http, "GET", f"{api.base_url}/widgets/121").json() == {"data": record}
    api.advance_clock(5)
    updated = call(http, "PUT", f"{api.base_url}/widgets/121", json={"colour": "blue"})
    assert updated.status_code == 200
    assert updated.json()["data"] == {**record, "colour": "blue", "updated_at": api.now()}
    assert call(http, "DELETE", f"{api.base_url}/widgets/121").status_code == 204
    assert api.get("widgets", 121) is None
    gadget = call(http, "POST", f"{api.base_url}/gadgets", json={"label": "G", "active": False})
    assert gadget.status_code == 201 and gadget.json()["data"]["gadget_id"] == "g-0076"
    assert call(http, "PUT", f"{api.base_url}/gadgets/g-0076", json={"active": True}).json()["data"]["active"]

    for method, path, body, message in (
        ("POST", "widgets", {"name": "x", "size": 1}, "unknown field size"),
        ("POST", "widgets", {"colour": "red"}, "missing field name"),
        ("POST", "widgets", {"name": "x", "weight_grams": "9"}, "invalid field weight_grams"),
        ("POST", "gadgets", {"active": True}, "missing field label"),
        ("PUT", "widgets/5", {"id": 5, "name": "x"}, "unknown field id"),
        ("PUT", "gadgets/g-0001", {"active": "yes"}, "invalid field active"),
    ):
        response = call(http, method, f"{api.base_url}/{path}", json=body)
        assert (response.status_code, response.json()) == (422, {"error": {"message": message}})
    for method, path in (("GET", "widgets/999"), ("PUT", "widgets/999"), ("DELETE", "widgets/121"),
                         ("GET", "widgets/abc"), ("GET", "gadgets/g-9999"), ("GET", "nothing")):
        response = call(http, method, f"{api.base_url}/{path}", json={"name": "x"} if method == "PUT" else None)
        assert (response.status_code, response.json()) == (404, {"error": {"message": "not found"}})
    assert call(http, "PATCH", f"{api.base_url}/widgets/5", json={}).status_code == 405
    assert len(api.records("widgets")) == 120


def test_date_header_follows_the_fake_clock(api: FakeApi, http: requests.Session) -> None:
    first = call(http, "GET", f"{api.base_url}/me")
    assert parsedate_to_datetime(first.headers["Date"]) == CLOCK_START
    api.advance_clock(90)
    for response in (call(http, "GET", f"{api.base_url}/widgets/1"), call(http, "DELETE", f"{api.base_url}/widgets/1"),
                     requests.get(f"{api.base_url}/me", timeout=TIMEOUT)):
        assert parsedate_to_datetime(response.headers["Date"]).isoformat() == "2024-06-01T12:01:30+00:00"


def test_fail_next(api: FakeApi, http: requests.Session) -> None:
    api.fail_next(status=500, count=2)
    statuses = [call(http, "GET", f"{api.base_url}/me").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    api.fail_next(status=429)
    limited = call(http, "GET", f"{api.base_url}/widgets")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "0"
    assert "message" in limited.json()["error"] and "Date" in limited.headers
    assert call(http, "GET", f"{api.base_url}/widgets").status_code == 200
    assert [entry.status for entry in api.requests()] == [500, 500, 200, 429, 200]
