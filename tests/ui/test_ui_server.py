"""The pages' server over real HTTP: every outcome of Test in plain words, Save never answering with the key,
and the guards of a server that holds a credential (its own Host and Origin only, JSON posts only, no file
outside its assets)."""

from __future__ import annotations

import http.client
import json
import socket
import stat

import pytest
import requests

from insightly_connector.harness import Harness

TIMEOUT = 30


def post(server, path: str, fields: dict) -> requests.Response:
    return requests.post(server.url + path.lstrip("/"), json={"fields": fields}, timeout=TIMEOUT)


def fields_for(harness: Harness, **overrides) -> dict:
    return {"name": "n", "api_key": harness.api_key, "pod": harness.pod, "base_url": harness.base_url, **overrides}


def test_a_key_valid_on_another_pod_names_that_pod(serve):
    with Harness(pod="na1", contacts=5) as na1, Harness(pod="eu1", contacts=5) as eu1:
        server = serve(pod_base_urls={"na1": na1.base_url, "eu1": eu1.base_url})
        answer = post(server, "/api/test", {"name": "n", "api_key": eu1.api_key, "pod": "na1"}).json()
    assert answer["status"] == "key_valid_on_another_pod" and answer["pod"] == "eu1"
    assert answer["headline"] == "Valid on another pod: eu1" and not answer["ok"]
    assert eu1.api_key not in json.dumps(answer)


def test_disabled_access_and_network_failure_in_plain_words(serve, spec):
    with Harness(contacts=5, disabled_keys=["disabled-key-0001"]) as harness:
        server = serve()
        disabled = post(server, "/api/test", fields_for(harness, api_key="disabled-key-0001")).json()
    assert disabled["status"] == "api_access_disabled"
    assert disabled["headline"] == "API access disabled"
    assert disabled["message"] == spec.credential_policy.check.answers["403"].message
    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}/v3.1"
    failure = post(server, "/api/test", {"name": "n", "api_key": "some-key-0001", "base_url": closed}).json()
    assert failure["status"] == "network_failure" and failure["headline"] == "Network failure"


def test_an_invalid_form_is_refused_by_test_and_by_save_with_the_field_named(serve, tmp_path):
    server = serve(credential=tmp_path / "credential.json")
    answer = post(server, "/api/test", {"name": "n", "api_key": "a key with spaces"}).json()
    assert answer["status"] == "invalid_credential" and "api_key" in answer["message"]
    saved = post(server, "/api/save", {"name": "n", "api_key": "k", "base_url": "http://example.com/v3.1"}).json()
    assert saved["saved"] is False and "base_url" in saved["message"]
    assert not (tmp_path / "credential.json").exists()


def test_save_answers_masked_and_a_blank_key_keeps_the_saved_one(serve, harness, tmp_path):
    path = tmp_path / "credential.json"
    server = serve(credential=path)
    saved = post(server, "/api/save", fields_for(harness)).json()
    form = requests.get(server.url + "api/form", timeout=TIMEOUT).json()
    assert saved["saved"] and saved["saved_secrets"] == ["api_key"]
    assert harness.api_key not in json.dumps(saved) + json.dumps(form)
    assert "api_key" not in form["schema"]["required"]
    post(server, "/api/save", fields_for(harness, api_key="", description="changed"))
    assert json.loads(path.read_text()) == {**fields_for(harness), "description": "changed"}


@pytest.mark.parametrize("headers", [{"Host": "attacker.example"}, {"Origin": "http://attacker.example"}])
def test_requests_not_from_its_own_pages_are_refused(serve, headers):
    server = serve()
    assert requests.get(server.url + "api/form", headers=headers, timeout=TIMEOUT).status_code == 403
    answer = requests.post(server.url + "api/save", json={"fields": {}}, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 403


def test_a_form_post_that_is_not_json_is_refused(serve, tmp_path):
    server = serve(credential=tmp_path / "credential.json")
    answer = requests.post(server.url + "api/save", data={"fields": "x"}, timeout=TIMEOUT)
    assert answer.status_code == 415 and not (tmp_path / "credential.json").exists()


def test_only_the_built_assets_are_served(serve, tmp_path):
    (tmp_path / "credential.json").write_text("{}")
    server = serve(credential=tmp_path / "credential.json")
    index = requests.get(server.url, timeout=TIMEOUT)
    assert index.status_code == 200 and '<div id="root">' in index.text
    asset = index.text.split('src="')[1].split('"')[0]
    assert requests.get(server.url + asset.lstrip("/"), timeout=TIMEOUT).headers["Content-Type"] in (
        "text/javascript", "application/javascript")
    assert "http://" not in index.text and "https://" not in index.text  # nothing from elsewhere
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=TIMEOUT)
    for path in ("/../credential.json", "/%2e%2e/credential.json", "/../../../etc/passwd"):
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        assert response.status == 404, path
    connection.close()


def test_save_through_a_symbolic_link_replaces_the_file_it_points_to(serve, harness, tmp_path):
    real = tmp_path / "secrets" / "insightly.json"
    real.parent.mkdir()
    real.write_text("{}")
    real.chmod(0o644)
    link = tmp_path / "credential.json"
    link.symlink_to(real)
    assert post(serve(credential=link), "/api/save", fields_for(harness)).json()["saved"]
    assert link.is_symlink() and json.loads(real.read_text())["api_key"] == harness.api_key
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert [p.name for p in real.parent.iterdir()] == ["insightly.json"]  # no temp file left behind


def test_an_oversized_post_is_refused_unread(serve, tmp_path):
    server = serve(credential=tmp_path / "credential.json")
    big = {"fields": {"name": "n", "description": "x" * 70_000}}
    answer = requests.post(server.url + "api/save", json=big, timeout=TIMEOUT)
    assert answer.status_code == 413 and answer.headers.get("Connection") == "close"
    assert not (tmp_path / "credential.json").exists()
