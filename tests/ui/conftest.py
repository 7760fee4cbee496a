"""Fixtures for the page tests: harnesses and the ui server on 127.0.0.1, and Debian's Chromium driven headless
by Playwright (no browser download; `make system` installs /usr/bin/chromium). Screenshots go to
docs/screenshots/, where the README shows them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from insightly_connector.harness import Harness
from insightly_connector.spec.loader import Spec, load_spec
from insightly_connector.ui.app import UiApp
from insightly_connector.ui.server import UiServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PAGE_TIMEOUT_MS = 20_000
CLI_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make system` installs Debian's chromium for the page tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: None if request.url.startswith(("http://127.0.0.1:", "data:"))
            else elsewhere.append(request.url))
    yield page
    context.close()
    assert not errors, f"the page threw: {errors}"
    assert not elsewhere, f"the page asked outside 127.0.0.1 (it must work offline): {elsewhere}"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with Harness(contacts=40) as running:
        yield running


@pytest.fixture
def serve(spec, tmp_path):
    """Start a ui server for a credential file and runs folder (in tmp_path unless given); stopped after."""
    servers: list[UiServer] = []

    def start(*, credential: Path | None = None, runs: Path | None = None,
              pod_base_urls: dict[str, str] | None = None) -> UiServer:
        app = UiApp(spec, credential or tmp_path / "credential.json", runs or tmp_path / "runs", pod_base_urls)
        server = UiServer(app)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def write_credential(path: Path, harness: Harness, **overrides) -> Path:
    fields = {"name": "harness", "api_key": harness.api_key, "password": "", "pod": harness.pod,
              "base_url": harness.base_url, **overrides}
    path.write_text(json.dumps(fields))
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "insightly_connector", *args], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_SECONDS, check=False)


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


#: A read paced above the harness's limit, so the harness answers 429s the runner waits out.
HARNESS_RATE_LIMIT = 4
CONNECTOR_RATE = 20
READ_RESOURCES = "contacts,organisations,leads,opportunities,projects,tasks,events,notes,products,fruit__c"
GOOD_RECORDS = 6


@pytest.fixture(scope="session")
def recorded_runs(tmp_path_factory) -> Path:
    """Two run folders written by the real runner against harnesses: a rate-limited read (state, records,
    request log) and a write with rejects (journal, rejects, request log)."""
    root = tmp_path_factory.mktemp("runs")
    read_run, write_run = root / "rate-limited-read", root / "write-with-rejects"
    read_run.mkdir()
    write_run.mkdir()
    with Harness(contacts=40, rate_limit_per_second=HARNESS_RATE_LIMIT) as harness:
        credential = write_credential(root.parent / "read-credential.json", harness,
                                      requests_per_second=CONNECTOR_RATE)
        result = run_cli("read", "--credential", str(credential), "--resources", READ_RESOURCES, "--quiet",
                         "--state", str(read_run / "state.json"), "--output", str(read_run / "records"),
                         "--request-log", str(read_run / "requests.jsonl"))
        assert result.returncode == 0, result.stderr
    with Harness(contacts=10, rate_limit_per_second=None) as harness:
        credential = write_credential(root.parent / "write-credential.json", harness)
        records = root.parent / "contacts-in.jsonl"
        lines = [json.dumps({"FIRST_NAME": f"Ada{i}", "LAST_NAME": "Lovelace", "EMAIL_ADDRESS": f"ada{i}@example.test"})
                 for i in range(GOOD_RECORDS)]
        lines += [json.dumps({"FIRST_NAME": 5, "LAST_NAME": "Typed wrong"}), json.dumps({"LAST_NAME": "No first"}),
                  "not json"]
        records.write_text("\n".join(lines) + "\n")
        result = run_cli("write", "--credential", str(credential), "--resource", "contacts", "--mode", "create",
                         "--input", str(records), "--journal", str(write_run / "contacts.journal.jsonl"),
                         "--rejects", str(write_run / "contacts.rejects.jsonl"),
                         "--request-log", str(write_run / "requests.jsonl"))
        assert result.returncode == 3, result.stderr  # written, with rejects
    return root


def log_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]
