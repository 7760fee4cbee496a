"""Benchmark 5, harness serving rate: pages a second the emulator serves, so it is not the bottleneck.

A bare keep-alive HTTP client (no JSON decoding) pages through the contacts with one and with four
connections (four is the connector's in-flight cap). Alongside pages a second, the harness
process's own CPU per page says how many pages one core could serve."""

from __future__ import annotations

import base64
import http.client
import sys
import threading
import time
from urllib.parse import urlsplit

from figures import Figure, Section, run_alone
from harness_process import HarnessProcess

CONTACTS = 100_000
PAGE_SIZE = 500
PAGES_PER_PASS = CONTACTS // PAGE_SIZE
CONCURRENCY = (1, 4)
RUNS = 3
REQUEST_TIMEOUT_SECONDS = 60


def run(runs: int = RUNS) -> Section:
    section = Section(
        "5. Harness serving rate",
        f"Harness: {CONTACTS:,} contacts, no rate limit, no latency. A keep-alive `http.client` reader in the "
        f"bench process fetches all {PAGES_PER_PASS} pages of {PAGE_SIZE} (`GET /Contacts?skip=..&top=500"
        f"&count_total=true`) per run, split over N connections. Harness CPU is that process's own.")
    with HarnessProcess(contacts=CONTACTS, rate_limit_per_second=None, plan="enterprise") as harness:
        for connections in CONCURRENCY:
            rates, cpu_per_page = [], []
            for _ in range(runs):
                harness.prepare_run()
                cpu_before = harness.call("cpu_seconds")
                elapsed = _fetch_all(harness.base_url, harness.api_key, connections)
                cpu_per_page.append(1000 * (harness.call("cpu_seconds") - cpu_before) / PAGES_PER_PASS)
                statuses = {entry["status"] for entry in harness.requests()}
                if statuses != {200}:
                    raise RuntimeError(f"the harness answered {sorted(statuses)} while being measured")
                rates.append(PAGES_PER_PASS / elapsed)
            section.add(Figure(f"{connections} connection(s): pages a second served", rates, "pages/s", 1))
            section.add(Figure(f"{connections} connection(s): harness CPU per page", cpu_per_page, "ms", 2))
    section.headline = (f"Harness serving rate: {section.figures[0].median:.0f} pages a second on one connection "
                        f"({section.figures[1].median:.1f} ms of harness CPU a page), far above the 10 a second the "
                        f"rate-limited benchmarks need.")
    section.notes.append("The rate-limited benchmarks need 10 pages a second. The runner-cost reads take pages as "
                         "fast as the connector's CPU allows: 200k records in T seconds is 400 / T pages a second, "
                         "far below these rates, so their CPU figures are the connector's own limit.")
    return section


def _fetch_all(base_url: str, api_key: str, connections: int) -> float:
    """Fetch every page once, page n on connection n mod N; returns the seconds it took."""
    parts = urlsplit(base_url)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{api_key}:".encode()).decode(),
               "Accept": "application/json"}
    errors: list[BaseException] = []

    def reader(first: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT_SECONDS)
        try:
            for page in range(first, PAGES_PER_PASS, connections):
                connection.request("GET", f"{parts.path}/Contacts?skip={page * PAGE_SIZE}&top={PAGE_SIZE}"
                                          "&count_total=true", headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"page {page}: HTTP {response.status}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=reader, args=(n,), name=f"reader-{n}") for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(REQUEST_TIMEOUT_SECONDS * PAGES_PER_PASS)
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"reading the harness failed: {errors[0]}")
    return elapsed


if __name__ == "__main__":
    sys.exit(run_alone(run, RUNS))
