"""Read -> write round trips over every updatable resource (issue 16's measurement), as request counts.

    .venv/bin/python bench/write_round_trips.py [--records 20] [--out bench/write-round-trips-results.md]

A harness on loopback (every custom-field type, custom objects); per resource, `read --limit N`, then
the records written back as `update` and, where the resource offers it, as `upsert`, through one
`Connector` each (as a CLI run would). Counted from the harness's request log: rejects, API 4xx
answers, `GET /CustomFields/...` per write, and the write requests sent (PUT, POST); from the report,
the records updated and those left unchanged. The upsert runs after the update of the same records, so
every record it finds is unchanged and it should send no write. Not timed: these are counts, the same
on any machine."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import orjson

from insightly_connector.api import Connector
from insightly_connector.harness import Harness
from insightly_connector.source.catalog import select
from insightly_connector.source.discover import capabilities


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20, help="records read (and written back) per resource")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    rows, totals = [], {"records": 0, "rejected": 0, "4xx": 0, "metadata": 0, "writes": 0, "updated": 0,
                        "unchanged": 0, "sent": 0}
    with Harness(pod="na1", seed=5, plan="enterprise", contacts=200, rate_limit_per_second=None) as harness, \
            tempfile.TemporaryDirectory() as folder:
        credential = {"name": "bench", "api_key": harness.api_key, "pod": "na1", "base_url": harness.base_url,
                      "requests_per_second": 100}
        with Connector(credential) as reader:
            names = [r.name for r in select(reader.client, reader.spec, None).resources
                     if "update" in r.write_modes]
        for name in names:
            with Connector(credential) as connector:
                (resource,) = select(connector.client, connector.spec, [name]).resources
                connector.read([name], output_dir=folder, limit=args.records)
                path = Path(folder) / f"{name}.jsonl"
                records = [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []
            for mode in ("update", "upsert"):
                if not capabilities(resource)[mode] or not records:
                    continue
                harness.clear_requests()
                with Connector(credential) as connector:
                    report = connector.write(name, mode, records, rejects_path="/dev/null")
                log = harness.requests()
                answered_4xx = sum(1 for entry in log if 400 <= entry.status < 500)
                metadata = sum(1 for entry in log if entry.method == "GET" and entry.path.startswith("/CustomFields/"))
                sent = sum(1 for entry in log if entry.method in ("PUT", "POST"))
                rows.append((name, mode, len(records), report.counts["rejected"], answered_4xx, metadata,
                             report.counts["updated"], report.counts["unchanged"], sent))
                totals["updated"] += report.counts["updated"]
                totals["unchanged"] += report.counts["unchanged"]
                totals["sent"] += sent
                totals["records"] += len(records)
                totals["rejected"] += report.counts["rejected"]
                totals["4xx"] += answered_4xx
                totals["metadata"] += metadata
                totals["writes"] += 1
    lines = [f"Round trips: `read --limit {args.records}` written back, {totals['writes']} writes over "
             f"{len({row[0] for row in rows})} updatable resources (`python bench/write_round_trips.py "
             f"--records {args.records}`).", "",
             "| resource | mode | records | rejected | API 4xx | metadata GETs | updated | unchanged | writes sent |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
             *[f"| {name} | {mode} | {n} | {rejected} | {bad} | {meta} | {updated} | {unchanged} | {sent} |"
               for name, mode, n, rejected, bad, meta, updated, unchanged, sent in rows],
             f"| **total** | | {totals['records']} | {totals['rejected']} | {totals['4xx']} | {totals['metadata']} "
             f"| {totals['updated']} | {totals['unchanged']} | {totals['sent']} |"]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0 if totals["rejected"] == 0 and totals["4xx"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
