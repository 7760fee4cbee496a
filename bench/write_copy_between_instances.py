"""A copy between two harnesses (issue 16): every creatable resource read in full from one and written with
`--mode create` into the other, in dependency order, through one id map.

    .venv/bin/python bench/write_copy_between_instances.py [--contacts 30] [--out bench/write-copy-results.md]

Counts per resource: records read, created, collapsed (identical records), rejected, API 4xx answers.
Reference lists a copy does not create (pipelines, stages) are mapped by name first, as the README says
a user does. Not timed: counts, the same on any machine."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import orjson

from insightly_connector.api import Connector
from insightly_connector.harness import Harness
from insightly_connector.source.catalog import select

ORDER = ("organisations", "contacts", "opportunities", "leads", "projects", "milestones", "tasks", "events", "notes",
         "lead_sources", "lead_statuses", "opportunity_categories", "project_categories", "task_categories",
         "file_categories", "teams", "team_members", "products", "pricebooks", "pricebook_entries", "quotations",
         "opportunity_line_items", "quotation_line_items", "tickets", "prospects", "knowledge_article_categories",
         "knowledge_article_folders", "knowledge_articles", "community_forums", "community_posts",
         "community_comments", "fruit__c", "shipment__c")
BY_NAME = (("pipelines", "PIPELINE_ID", "PIPELINE_NAME"), ("pipeline_stages", "STAGE_ID", "STAGE_NAME"))


def credential(harness: Harness) -> dict:
    return {"name": "bench", "api_key": harness.api_key, "pod": "na1", "base_url": harness.base_url,
            "requests_per_second": 100}


def read(harness: Harness, name: str, folder: str) -> list[dict]:
    with Connector(credential(harness)) as connector:
        connector.read([name], output_dir=folder)
    path = Path(folder) / f"{name}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() else []


def map_by_name(source: Harness, target: Harness, folder: str, ids: Path) -> None:
    with ids.open("ab") as handle:
        for resource, key, name in BY_NAME:
            theirs = {(r.get("PIPELINE_ID"), r[name]): r[key] for r in read(target, resource, folder + "/t")}
            for record in read(source, resource, folder + "/s"):
                handle.write(orjson.dumps({"resource": resource, "sourceId": record[key],
                                           "id": theirs[record.get("PIPELINE_ID"), record[name]]}) + b"\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=30, help="size of the source harness")
    parser.add_argument("--out", type=Path, default=None, help="also write the table to this markdown file")
    args = parser.parse_args(argv)
    rows = []
    with Harness(pod="na1", seed=5, plan="enterprise", contacts=args.contacts, rate_limit_per_second=None) as source, \
            Harness(pod="na1", seed=11, plan="enterprise", contacts=5, rate_limit_per_second=None) as target, \
            tempfile.TemporaryDirectory() as folder:
        for side in ("s", "t"):
            Path(folder, side).mkdir()
        ids = Path(folder) / "ids.jsonl"
        map_by_name(source, target, folder, ids)
        with Connector(credential(source)) as connector:
            creatable = {r.name for r in select(connector.client, connector.spec, None).resources
                         if "create" in r.write_modes}
        for name in [name for name in ORDER if name in creatable]:
            records = read(source, name, folder + "/s")
            target.clear_requests()
            with Connector(credential(target)) as connector:
                report = connector.write(name, "create", records, id_map_path=str(ids), rejects_path="/dev/null")
            answered_4xx = sum(1 for entry in target.requests() if 400 <= entry.status < 500)
            rows.append((name, len(records), report.counts["created"], report.counts["collapsed"],
                         report.counts["rejected"], answered_4xx))
        left_out = sorted(creatable - set(ORDER))
    total = [sum(row[i] for row in rows) for i in range(1, 6)]
    lines = [f"Copy between two harnesses: {len(rows)} creatable resources read in full (source: "
             f"`--contacts {args.contacts}`) and written with `--mode create --id-map` in dependency order "
             f"(`python bench/write_copy_between_instances.py --contacts {args.contacts}`)."
             + (f" Not in the order: {', '.join(left_out)}." if left_out else ""), "",
             "| resource | read | created | collapsed | rejected | API 4xx |",
             "| --- | ---: | ---: | ---: | ---: | ---: |",
             *[f"| {name} | {n} | {created} | {collapsed} | {rejected} | {bad} |"
               for name, n, created, collapsed, rejected, bad in rows],
             "| **total** | " + " | ".join(str(value) for value in total) + " |"]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out is not None:
        args.out.write_text(text, encoding="utf-8")
    return 0 if total[3] == 0 and total[4] == 0 and not left_out else 1


if __name__ == "__main__":
    raise SystemExit(main())
