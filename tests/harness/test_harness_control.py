"""The control surface: Python methods and the loopback admin path `/__harness`."""

from __future__ import annotations

from email.utils import parsedate_to_datetime

import pytest
import requests

TIMEOUT = 10


def test_python_controls_change_records_behind_the_clients_back(fresh, fresh_api):
    created = fresh.create("Contacts", {"FIRST_NAME": "Backdoor", "DATE_UPDATED_UTC": "2020-02-02 02:02:02"})
    key = created["CONTACT_ID"]
    assert created["DATE_UPDATED_UTC"] == "2020-02-02 02:02:02"  # the control API may set dates
    assert fresh_api.get(f"/Contacts/{key}").json()["FIRST_NAME"] == "Backdoor"
    fresh.update("Contacts", key, {"LAST_NAME": "Changed"})
    assert fresh_api.get(f"/Contacts/{key}").json()["LAST_NAME"] == "Changed"
    assert fresh.get("Contacts", key)["LAST_NAME"] == "Changed"
    assert fresh.count("Contacts") == 21 and key in fresh.ids("Contacts")
    assert fresh.delete("Contacts", key) is True and fresh.delete("Contacts", key) is False
    assert fresh.get("Contacts", key) is None
    assert fresh_api.get(f"/Contacts/{key}").status_code == 404
    with pytest.raises(KeyError):
        fresh.count("Planets")
    with pytest.raises(ValueError):
        fresh.create("Contacts", {"LAST_NAME": "no first name"})


def test_the_request_log_records_method_path_query_status_and_body(fresh, fresh_api):
    fresh.clear_requests()
    fresh_api.get("/Contacts", top=2, skip=1)
    fresh_api.post("/Contacts", {"FIRST_NAME": "Logged"})
    fresh_api.get("/Planets")
    log = fresh.requests()
    assert [(e.method, e.path, e.status) for e in log] == [
        ("GET", "/Contacts", 200), ("POST", "/Contacts", 201), ("GET", "/Planets", 404)]
    assert log[0].query == {"top": "2", "skip": "1"} and log[1].body == {"FIRST_NAME": "Logged"}
    assert log[0].at <= log[1].at <= log[2].at
    assert all(fresh.api_key not in repr(entry) for entry in log)
    fresh.clear_requests()
    assert fresh.requests() == []


def test_advancing_the_clock_moves_the_date_header_and_record_dates(fresh, fresh_api):
    before = parsedate_to_datetime(fresh_api.get("/Users/Me").headers["Date"])
    fresh.advance_clock(3 * 86400)
    after = parsedate_to_datetime(fresh_api.get("/Users/Me").headers["Date"])
    assert 3 * 86400 <= (after - before).total_seconds() < 3 * 86400 + 60
    created = fresh_api.post("/Contacts", {"FIRST_NAME": "Future"}).json()
    assert created["DATE_CREATED_UTC"][:10] == after.strftime("%Y-%m-%d")
    assert abs((fresh.now() - after).total_seconds()) < 60


def test_the_admin_path_offers_the_same_controls(fresh, fresh_api):
    admin = fresh.admin_url
    state = requests.get(admin, timeout=TIMEOUT).json()
    assert state["base_url"] == fresh.base_url and state["counts"]["Contacts"] == 20
    created = requests.post(f"{admin}/records/Contacts", json={"FIRST_NAME": "Admin"}, timeout=TIMEOUT)
    assert created.status_code == 201
    key = created.json()["CONTACT_ID"]
    assert requests.put(f"{admin}/records/Contacts/{key}", json={"LAST_NAME": "Made"},
                        timeout=TIMEOUT).json()["LAST_NAME"] == "Made"
    assert requests.get(f"{admin}/records/Contacts/{key}", timeout=TIMEOUT).json()["FIRST_NAME"] == "Admin"
    listing = requests.get(f"{admin}/records/Contacts", params={"ids": "true"}, timeout=TIMEOUT).json()
    assert listing["count"] == 21 and key in listing["ids"]
    assert requests.delete(f"{admin}/records/Contacts/{key}", timeout=TIMEOUT).json() == {"deleted": True}
    assert requests.get(f"{admin}/records/Contacts/{key}", timeout=TIMEOUT).status_code == 404

    requests.post(f"{admin}/inject", json={"status": 503, "count": 1, "path_prefix": "/Users"}, timeout=TIMEOUT)
    assert fresh_api.get("/Users/Me").status_code == 503
    requests.post(f"{admin}/faults", json={"error_rate": 1.0}, timeout=TIMEOUT)
    assert fresh_api.get("/Users/Me").status_code >= 500
    requests.delete(f"{admin}/faults", timeout=TIMEOUT)
    assert fresh_api.get("/Users/Me").status_code == 200

    requests.post(f"{admin}/quota", json={"remaining": 0}, timeout=TIMEOUT)
    assert fresh_api.get("/Users/Me").status_code == 429
    assert requests.post(f"{admin}/quota", json={"reset": True}, timeout=TIMEOUT).json()["remaining"] == 100000

    now = requests.post(f"{admin}/clock", json={"advance_seconds": 7200}, timeout=TIMEOUT).json()["now"]
    assert now.startswith(fresh.now().strftime("%Y-%m-%d"))
    requests.post(f"{admin}/options", json={"name": "search_inclusive", "value": True}, timeout=TIMEOUT)
    assert fresh.api.options.search_inclusive is True
    requests.post(f"{admin}/churn", json={"collection": "Contacts", "creates": 0, "updates": 0, "deletes": 1},
                  timeout=TIMEOUT)
    fresh_api.get("/Contacts")
    requests.delete(f"{admin}/churn", timeout=TIMEOUT)
    fresh_api.get("/Contacts")
    assert fresh.count("Contacts") == 19

    log = requests.get(f"{admin}/requests", timeout=TIMEOUT).json()
    assert log and all(entry["path"].startswith("/") for entry in log)
    assert not any(entry["path"].startswith("/__harness") for entry in log)  # admin calls are not logged
    requests.delete(f"{admin}/requests", timeout=TIMEOUT)
    assert requests.get(f"{admin}/requests", timeout=TIMEOUT).json() == []
    assert requests.post(f"{admin}/options", json={"name": "nope", "value": 1}, timeout=TIMEOUT).status_code == 400
    assert requests.get(f"{admin}/nowhere", timeout=TIMEOUT).status_code == 404


def test_set_option_rejects_unknown_names_and_values(fresh):
    with pytest.raises(ValueError):
        fresh.set_option("search_everything", True)
    with pytest.raises(ValueError):
        fresh.set_option("search_combined_filters", "or")


def test_it_listens_on_loopback_only(fresh):
    assert fresh._server.server_address[0] == "127.0.0.1"
    assert fresh.base_url.startswith("http://127.0.0.1:") and fresh.admin_url.startswith("http://127.0.0.1:")


def test_stop_is_clean_and_frees_the_port(fresh, fresh_api):
    fresh_api.get("/Users/Me")  # leave a keep-alive connection open
    port = fresh.port
    fresh.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/v3.1/Users/Me", timeout=TIMEOUT)
    fresh.stop()  # stopping twice is harmless
