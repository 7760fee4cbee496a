"""The key goes only to the host that was checked: URLs that parsers read differently are refused,
allowed-host patterns match one DNS label per `*`, and the transport refuses any other host."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from insightly_connector.errors import ConfigError, ConnectorError
from insightly_connector.harness import Harness
from insightly_connector.http.client import Client
from insightly_connector.http.limiter import UnlimitedLimiter
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.host_pinning import host_allowed
from insightly_connector.spec.loader import load_spec

from .conftest import credential_dict, run_cli, write_credential

REPO = Path(__file__).resolve().parents[2]


class Listener:
    """A TCP listener on another loopback address that records every connection it is offered."""

    def __init__(self, host: str = "127.0.0.2"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.received.append(conn.recv(65536) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(rate_limit_per_second=None, contacts=3) as running:
        yield running


@pytest.fixture
def listener() -> Iterator[Listener]:
    running = Listener()
    yield running
    running.close()


def confusing_urls(listener: Listener, harness: Harness) -> list[str]:
    checked = harness.base_url.split("://", 1)[1]  # 127.0.0.1:PORT/v3.1
    other = f"127.0.0.2:{listener.port}"
    return [
        f"http://{other}\\@{checked}",
        f"http://{other}\\\\@{checked}",
        f"http://{other}%5C@{checked}",
        f"http://user@{checked}",
        f"http://{other}@{checked}",
        f"http://{other}#@{checked}",
        f"http://{other}?@{checked}",
        f"http://{other}/\\@{checked}",
        f"http://{checked} @{other}",
        f"http://{checked}\t",
        f"http://{checked}\n",
        f"http:\\\\{other}/v3.1",
        f"http://{other}\\.{checked}",
    ]


def test_urls_parsers_read_differently_are_refused_and_nothing_reaches_another_host(spec, harness, listener, tmp_path):
    for url in confusing_urls(listener, harness):
        with pytest.raises(ConfigError) as caught:
            load_credential(credential_dict(harness, base_url=url), spec)
        assert "base_url" in str(caught.value), url
        with pytest.raises(ConfigError):
            load_credential(credential_dict(harness, base_url=None), spec, pod_base_urls={"na1": url})
    url = confusing_urls(listener, harness)[0]
    for extra in (["--pod-base-url", f"na1={url}"], []):
        data = credential_dict(harness) if extra else credential_dict(harness, base_url=url)
        if extra:
            data.pop("base_url")
        result = run_cli("check", "--credential", write_credential(tmp_path, data), *extra)
        assert result.returncode == 2, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1 and "refused" in result.stderr
    assert listener.received == []


@pytest.mark.parametrize("prefix", ["10.0.0.1", "169.254.169.254", "example.com"])
def test_a_non_loopback_host_before_a_backslash_is_refused_before_any_connection(spec, harness, prefix):
    checked = harness.base_url.split("://", 1)[1]
    with pytest.raises(ConfigError):
        load_credential(credential_dict(harness, base_url=f"http://{prefix}:9999\\@{checked}"), spec)


@pytest.mark.parametrize(("url", "names"), [
    ("http://127.0.0.1:99999/v3.1", "port"),
    ("http://127.0.0.1:abc/v3.1", "refused"),
    ("http://[::1/v3.1", "refused"),
    ("http://[::1]:0/v3.1", "port"),
    ("http://127.0.0.1:8765/v3.1?x=1", "refused"),
    ("ftp://127.0.0.1/v3.1", "refused"),
])
def test_malformed_base_urls_are_one_line_field_errors(spec, harness, url, names):
    with pytest.raises(ConfigError) as caught:
        load_credential(credential_dict(harness, base_url=url), spec)
    message = str(caught.value)
    assert message.startswith("credential") and "base_url" in message
    assert names in message or "does not match" in message


def test_ipv6_loopback_and_localhost_overrides_are_accepted(spec, harness):
    port = harness.base_url.split(":")[2].split("/")[0]
    for url in (f"http://[::1]:{port}/v3.1", f"http://localhost:{port}/v3.1", f"http://127.0.0.5:{port}"):
        assert load_credential(credential_dict(harness, base_url=url), spec).base_url == url


def test_the_transport_refuses_a_host_other_than_the_validated_one(spec, harness, listener):
    credential = load_credential(credential_dict(harness), spec)
    tampered = dataclasses.replace(credential, base_url=f"http://127.0.0.2:{listener.port}/v3.1")
    with Client(spec, tampered, limiter=UnlimitedLimiter(2)) as client:
        with pytest.raises(ConnectorError) as caught:
            client.request("GET", "/Users/Me")
        with pytest.raises(ConnectorError):
            client.request("GET", f"@127.0.0.2:{listener.port}/Users/Me")
    assert "validated host" in str(caught.value)
    with Client(spec, credential, limiter=UnlimitedLimiter(2)) as client:
        client.base_url = harness.base_url.split("/v3.1")[0]
        with pytest.raises(ConnectorError):
            client.request("GET", f"@127.0.0.2:{listener.port}/v3.1/Users/Me")
    assert listener.received == []


@pytest.mark.parametrize(("host", "allowed"), [
    ("api.na1.insightly.com", True),
    ("api.eu1.insightly.com", True),
    ("api.na1.insightly.com.evil.example", False),
    ("api.na1.evil.insightly.com", False),
    ("api..insightly.com", False),
    ("api.na1.insightly.comx", False),
])
def test_a_star_matches_exactly_one_dns_label(host, allowed):
    assert host_allowed(host, ["api.*.insightly.com"]) is allowed
    assert host_allowed(host, ["api.*.insightly.com*"]) is (allowed or host.endswith(".comx"))


def custom_spec(tmp_path: Path, credential_changes: dict):
    """A copy of connector.yaml (with its schemas beside it) whose credential section is changed."""
    document = yaml.safe_load((REPO / "connector.yaml").read_text())
    document["credential"].update(credential_changes)
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    path = tmp_path / "connector.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_custom_config_cannot_widen_where_the_key_goes(tmp_path):
    widened = custom_spec(tmp_path, {"allowed_hosts": ["api.*.insightly.com*"],
                                     "base_url": "https://api.${pod}.insightly.com.evil.example/v3.1"})
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "x", "api_key": "k"}, load_spec(widened))
    assert "not an allowed host" in str(caught.value)


def test_plain_http_is_refused_for_a_non_loopback_host(tmp_path):
    plain = custom_spec(tmp_path, {"base_url": "http://api.${pod}.insightly.com/v3.1"})
    with pytest.raises(ConfigError) as caught:
        load_credential({"name": "x", "api_key": "k"}, load_spec(plain))
    assert "https" in str(caught.value)
