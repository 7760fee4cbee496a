"""Child and flattened streams (issue 12): what they cost in requests and in the connector's own CPU.

A harness of 5,000 contacts, no rate limit. `read --resources contacts_file_attachments --state FILE`
walks every contact (one request each, plus the contact pages); then, for k = 0, 10 and 100, the harness
changes k contacts and the read runs again from the same state: the changed parents are found with the
contacts' search and only theirs are asked. Last, contacts read alone against contacts with their
flattened tags, links and dates: the same requests. Request counts are exact; times are one run each
(the machine is shared: read them as orders of magnitude).

    .venv/bin/python bench/child_streams.py        # writes bench/child-streams-results.md
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

from connector_files import write_credential, write_unthrottled_spec
from figures import Figure, Section
from harness_process import HarnessProcess
from measured_run import require, run_connector
from output_files import count_records

CONTACTS = 5_000
CHANGES = (0, 10, 100)
CLOCK_STEP_SECONDS = 5
SEED = 12
RUN_TIMEOUT_SECONDS = 600
CHILD = "contacts_file_attachments"
RESULTS = Path(__file__).resolve().parent / "child-streams-results.md"
FLATTENED = ("contacts_tags", "contacts_links", "contacts_dates")


def run() -> Section:
    section = Section(
        "Child and flattened streams",
        f"Harness: {CONTACTS:,} contacts, no rate limit (unthrottled spec copy: request counts do not depend on "
        f"pacing). `read --resources {CHILD} --state FILE`, full then incremental after k contacts change; "
        f"`contacts` alone against `contacts,{','.join(FLATTENED)}`. One run each.")
    with tempfile.TemporaryDirectory(prefix="bench-children-") as scratch, \
            HarnessProcess(contacts=CONTACTS, rate_limit_per_second=None, plan="enterprise") as harness:
        workdir = Path(scratch)
        spec = write_unthrottled_spec(workdir)
        credential = write_credential(workdir, harness.base_url, harness.api_key)
        state = workdir / "state.json"

        def read(label: str, resources: str, state_file: Path | None = state):
            harness.prepare_run()
            output = workdir / label
            args = ["read", "--config", str(spec), "--credential", str(credential), "--resources", resources,
                    "--output", str(output), "--quiet"]
            measured = run_connector(args + (["--state", str(state_file)] if state_file else []), workdir,
                                     label=label, timeout=RUN_TIMEOUT_SECONDS)
            require(measured.exit_code == 0, f"the {label} read failed", measured)
            return measured, harness.requests(), output

        measured, log, output = read("full", CHILD)
        children = [e for e in log if e["path"].endswith("/FileAttachments")]
        require(len(children) == CONTACTS, f"the full read asked {len(children)} parents, not {CONTACTS}")
        pages = sum(1 for e in log if e["path"] == "/Contacts")
        section.add(Figure("full read: requests (one per parent + contact pages)", [len(log)], "", 0,
                           f"= {CONTACTS:,} + {pages} pages, nothing else", len(log) == CONTACTS + pages))
        section.add(Figure("full read: attachments written", [count_records(output / f"{CHILD}.jsonl", "jsonl")],
                           "", 0))
        section.add(Figure("full read: connector CPU per 1,000 parents", [measured.cpu_seconds * 1000 / CONTACTS],
                           "s", 3))
        section.add(Figure("full read: at the shipped 10 requests a second", [len(log) / 10 / 60], "min", 1))
        ids = harness.call("ids", "Contacts")
        rng = random.Random(SEED)
        headline = []
        for changed in CHANGES:
            harness.call("advance_clock", CLOCK_STEP_SECONDS)
            harness.call("update_many", "Contacts", rng.sample(ids, changed), {"BACKGROUND": f"changed, k={changed}"})
            harness.call("advance_clock", CLOCK_STEP_SECONDS)
            measured, log, _ = read(f"k-{changed}", CHILD)
            asked = [e for e in log if e["path"].endswith("/FileAttachments")]
            searches = [e for e in log if e["path"] == "/Contacts/Search"]
            require(len(asked) == changed, f"k={changed}: {len(asked)} parents asked")
            section.add(Figure(f"incremental, k = {changed:,} changed parents: requests", [len(log)], "", 0,
                               f"= k + {len(searches)} search page(s)", len(log) == changed + len(searches)))
            headline.append(f"{len(log)} for k = {changed:,}")
        alone, alone_log, _ = read("contacts-alone", "contacts", None)
        together, together_log, output = read("with-flattened", ",".join(["contacts", *FLATTENED]), None)
        section.add(Figure("contacts alone: requests", [len(alone_log)], "", 0))
        section.add(Figure("contacts + 3 flattened streams: requests", [len(together_log)], "", 0,
                           "= contacts alone", len(together_log) == len(alone_log)))
        section.add(Figure("contacts + 3 flattened streams: CPU, ratio to contacts alone",
                           [together.cpu_seconds / alone.cpu_seconds], "x", 2))
        section.add(Figure("flattened rows written (tags + links + dates)",
                           [sum(count_records(output / f"{name}.jsonl", "jsonl") for name in FLATTENED)], "", 0))
    section.headline = (f"Child streams: a full read of {CONTACTS:,} contacts' attachments is one request per "
                        f"contact plus its pages; incremental reads took {', '.join(headline)}; flattened "
                        "streams read with their parent cost no request.")
    return section


def main() -> int:
    section = run()
    RESULTS.write_text(section.markdown(), encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(RESULTS.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
