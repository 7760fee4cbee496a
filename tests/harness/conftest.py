"""Fixtures for the harness's own tests: emulators on 127.0.0.1 and HTTP clients bound to them.

Every harness a test starts is stopped by its fixture; every client has a timeout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from insightly_connector.harness import Harness

TIMEOUT = 10  # seconds, per request


class Api:
    """A requests session against one harness, with the key as the Basic-auth user name."""

    def __init__(self, harness: Harness, key: str | None = None, password: str = ""):
        self.harness = harness
        self.session = requests.Session()
        self.session.auth = (key or harness.api_key, password)

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.harness.base_url + path, **kwargs)

    def get(self, path: str, **params) -> requests.Response:
        return self.request("GET", path, params=params)

    def post(self, path: str, body) -> requests.Response:
        return self.request("POST", path, json=body)

    def put(self, path: str, body) -> requests.Response:
        return self.request("PUT", path, json=body)

    def delete(self, path: str, **params) -> requests.Response:
        return self.request("DELETE", path, params=params)

    def all(self, path: str, page: int = 500, **params) -> list[dict]:
        """Every record of a list endpoint, paged with skip/top (bounded)."""
        records: list[dict] = []
        for _ in range(1000):
            batch = self.get(path, skip=len(records), top=page, **params)
            assert batch.status_code == 200, batch.text
            records += batch.json()
            if len(batch.json()) < page:
                return records
        raise AssertionError("paging did not end")

    def close(self) -> None:
        self.session.close()


@pytest.fixture(scope="module")
def shared() -> Iterator[Harness]:
    """One unthrottled harness per test module, for tests that only read."""
    with Harness(contacts=60, rate_limit_per_second=None) as harness:
        yield harness


@pytest.fixture
def fresh() -> Iterator[Harness]:
    """A harness of its own, for tests that change data or settings."""
    with Harness(contacts=20, rate_limit_per_second=None) as harness:
        yield harness


@pytest.fixture
def api(shared: Harness) -> Iterator[Api]:
    client = Api(shared)
    yield client
    client.close()


@pytest.fixture
def fresh_api(fresh: Harness) -> Iterator[Api]:
    client = Api(fresh)
    yield client
    client.close()


@pytest.fixture
def client_for() -> Iterator:
    """Make clients for harnesses a test starts itself; they are closed after the test."""
    clients: list[Api] = []

    def make(harness: Harness, key: str | None = None, password: str = "") -> Api:
        clients.append(Api(harness, key, password))
        return clients[-1]
    yield make
    for client in clients:
        client.close()
