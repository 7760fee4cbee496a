"""Authentication: Basic with the key as user name, any password, both encodings; one pod per key."""

from __future__ import annotations

import base64

import requests

from insightly_connector.harness import Harness, demo_key

TIMEOUT = 10


def _get(harness: Harness, authorization: str | None) -> requests.Response:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return requests.get(harness.base_url + "/Users/Me", headers=headers, timeout=TIMEOUT)


def test_key_with_colon_and_bare_key_encodings_both_work(shared):
    key = shared.api_key
    for raw in (f"{key}:", key, f"{key}:any password at all"):
        response = _get(shared, "Basic " + base64.b64encode(raw.encode()).decode())
        assert response.status_code == 200, raw
        assert response.json()["USER_ID"]


def test_unknown_key_missing_header_and_garbage_answer_401(shared):
    unknown = "Basic " + base64.b64encode(b"00000000-0000-0000-0000-000000000000:").decode()
    for header in (unknown, None, "Bearer abc", "Basic !!!not-base64!!!", "Basic "):
        response = _get(shared, header)
        assert response.status_code == 401, header
        assert response.json() == {"Message": "Authentication failed."}


def test_a_key_belongs_to_one_pod():
    with Harness(pod="na1", contacts=5, rate_limit_per_second=None) as na1, \
            Harness(pod="eu1", contacts=5, rate_limit_per_second=None) as eu1:
        assert na1.api_key == demo_key(7, "na1") != eu1.api_key == demo_key(7, "eu1")
        assert requests.get(na1.base_url + "/Users/Me", auth=(na1.api_key, ""), timeout=TIMEOUT).status_code == 200
        assert requests.get(eu1.base_url + "/Users/Me", auth=(na1.api_key, ""), timeout=TIMEOUT).status_code == 401
        assert requests.get(na1.base_url + "/Users/Me", auth=(eu1.api_key, ""), timeout=TIMEOUT).status_code == 401


def test_disabled_key_answers_403_on_every_request_and_extra_keys_act_as_other_users():
    with Harness(contacts=5, rate_limit_per_second=None, extra_keys=["second-key"],
                 disabled_keys=["switched-off"]) as harness:
        for path in ("/Users/Me", "/Contacts", "/Planets"):
            response = requests.get(harness.base_url + path, auth=("switched-off", ""), timeout=TIMEOUT)
            assert response.status_code == 403
            assert response.json() == {"Message": "API access is disabled for this user."}
        me = requests.get(harness.base_url + "/Users/Me", auth=(harness.api_key, ""), timeout=TIMEOUT).json()
        other = requests.get(harness.base_url + "/Users/Me", auth=("second-key", ""), timeout=TIMEOUT).json()
        assert me["USER_ID"] != other["USER_ID"]
        created = requests.post(harness.base_url + "/Contacts", json={"FIRST_NAME": "By second"},
                                auth=("second-key", ""), timeout=TIMEOUT).json()
        assert created["CREATED_USER_ID"] == created["OWNER_USER_ID"] == other["USER_ID"]


def test_the_demo_key_is_deterministic_and_can_be_replaced():
    assert demo_key(7, "na1") == demo_key(7, "na1") != demo_key(8, "na1")
    with Harness(contacts=5, rate_limit_per_second=None, api_key="my-own-key") as harness:
        assert harness.api_key == "my-own-key"
        assert requests.get(harness.base_url + "/Users/Me", auth=("my-own-key", ""), timeout=TIMEOUT).ok
        assert requests.get(harness.base_url + "/Users/Me", auth=(demo_key(7, "na1"), ""),
                            timeout=TIMEOUT).status_code == 401
