"""`make soak`: the attack campaign of `tests/attack/campaign.py` at full size, with its figures written
to bench/soak-results.md (and as JSON next to it).

    .venv/bin/python bench/soak.py [--scale 1.0] [--out bench/soak-results.md]

Full size: >= 1,000 faults across >= 8 kinds (reads and writes), >= 50 kill -9s, >= 300 generated bad
inputs, >= 100 hostile URLs and pods (each in every position). Every network call stays on loopback;
every non-loopback lookup or connection is refused by the campaign's guard. Exit 0 when the campaign
found nothing, 1 otherwise. `--scale 0.2` runs a fifth of it (a quick look)."""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from insightly_connector.harness import Harness  # noqa: E402
from insightly_connector.spec.loader import load_spec  # noqa: E402
from tests.attack import campaign  # noqa: E402

# full-size plan: each entry is a count of cases
FULL = {"read_faults_per_kind": 16, "write_faults_per_kind": 10, "random_mix_reads": 40, "random_mix_writes": 20,
        "twin_writes": 10, "rate_limited": 4, "read_kills": 27, "write_kills": 27, "bad_inputs_per_family": 70,
        "cli_hostile_sample": 40}


def scaled(name: str, scale: float) -> int:
    return max(1, math.ceil(FULL[name] * scale))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "soak-results.md"))
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    scale = args.scale
    figures = campaign.Figures()
    timings: dict[str, float] = {}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        workdir = Path(tmp)
        config = campaign.write_config(workdir / "config")
        with Harness(seed=args.seed % 1000, contacts=350, rate_limit_per_second=None) as harness, \
                campaign.Listener() as listener, campaign.NetGuard() as guard:
            def phase(name, body):
                t = time.monotonic()
                body()
                timings[name] = time.monotonic() - t
                print(f"soak: {name}: {timings[name]:.0f} s; faults {sum(figures.faults.values())}, kills "
                      f"{figures.kills}, bad inputs {sum(figures.bad_inputs.values())}, hostile "
                      f"{figures.hostile_cases}, problems {len(figures.problems)}", file=sys.stderr, flush=True)

            def faults():
                seed = args.seed
                for kind in campaign.FAULT_KINDS:
                    for _ in range(scaled("read_faults_per_kind", scale)):
                        seed += 1
                        campaign.read_fault_case(harness, workdir, config, kind, seed, figures,
                                                 count=2 + seed % 4)
                    for _ in range(scaled("write_faults_per_kind", scale)):
                        seed += 1
                        campaign.write_fault_case(harness, workdir, config, kind, seed, figures, records=5,
                                                  count=1 + seed % 3)
                for _ in range(scaled("random_mix_reads", scale)):
                    seed += 1
                    campaign.read_fault_case(harness, workdir, config, "random_mix", seed, figures)
                for _ in range(scaled("random_mix_writes", scale)):
                    seed += 1
                    campaign.write_fault_case(harness, workdir, config, "random_mix", seed, figures, records=8)
                for n in range(scaled("twin_writes", scale)):
                    seed += 1
                    kind = ("reset", "status_503", "reset_after_processing", "delay_after_processing")[n % 4]
                    campaign.write_fault_case(harness, workdir, config, kind, seed, figures, resource="teams",
                                              records=1, twin=True)
                for n in range(scaled("rate_limited", scale)):
                    campaign.rate_limited_case(harness, workdir, config, ("read", "write")[n % 2], figures)

            def kills():
                for n in range(scaled("read_kills", scale)):
                    campaign.kill_read_case(harness, workdir, config, args.seed + 1000 + n, figures)
                for n in range(scaled("write_kills", scale)):
                    campaign.kill_write_case(harness, workdir, config, args.seed + 2000 + n, figures)

            env = campaign.BadInputEnv(harness, workdir, config,
                                       campaign.write_credential(workdir / "valid-credential.json", harness), figures)

            def bad_inputs():
                for n, family in enumerate(campaign.BAD_INPUT_CHECKS):
                    campaign.run_generated(env, family, scaled("bad_inputs_per_family", scale), seed=args.seed + n)
                campaign.subprocess_sample(env)

            def hostile():
                spec = load_spec(config)
                urls = campaign.hostile_urls(harness.port, listener.port, harness.api_key)
                pods = [campaign.Hostile(p, "pod") for p in campaign.hostile_pods(listener.port)]
                figures.hostile_urls = len(urls) + len(pods)
                for where in ("base_url", "pod_base_url"):
                    for item in urls:
                        campaign.check_hostile_api(env, guard, listener, campaign.Hostile(item.value, where,
                                                                                         item.must_refuse), spec)
                for item in pods:
                    campaign.check_hostile_api(env, guard, listener, item, spec)
                sample = (urls + pods)[: scaled("cli_hostile_sample", scale)]
                for item in sample:
                    campaign.check_hostile(env, guard, listener, item)
                for name, widened in campaign.widened_allowed_hosts(workdir):
                    campaign.check_widened(env, guard, listener, name, widened)
                campaign.hostile_subprocess_sample(env, listener)
                campaign.records_unaltered(workdir, figures)

            phase("fault matrix", faults)
            phase("kill -9 and resume", kills)
            phase("generated bad inputs", bad_inputs)
            phase("hostile URLs and pods", hostile)
    wall = time.monotonic() - started
    write_results(Path(args.out), figures, timings, wall, scale, args.seed)
    print(f"soak: done in {wall:.0f} s; {len(figures.problems)} problem(s); results in {args.out}", file=sys.stderr)
    return 0 if not figures.problems else 1


def write_results(path: Path, figures: campaign.Figures, timings: dict, wall: float, scale: float, seed: int) -> None:
    faults_total = sum(figures.faults.values())
    kinds = sorted(figures.faults)
    verdict = "nothing found" if not figures.problems else f"{len(figures.problems)} problem(s) found"
    lines = [
        "# Soak results (`make soak`)", "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.node() or 'this machine'} "
        f"(Python {platform.python_version()}), scale {scale:g}{' (full size)' if scale >= 1 else ' (REDUCED)'}, "
        f"seed {seed}: **{verdict}**, wall time {wall / 60:.1f} min.", "",
        "The campaign is `tests/attack/campaign.py` (the same functions `make test` runs at small size); "
        "the harness is the ground truth.", "",
        "| figure | value |", "| --- | --- |",
        f"| faults injected (played by the harness) | {faults_total:,} across {len(kinds)} kinds |",
        f"| read runs / write runs | {figures.read_runs:,} / {figures.write_runs:,} |",
        f"| kill -9s (then resume) | {figures.kills} |",
        f"| generated bad inputs | {sum(figures.bad_inputs.values()):,} "
        f"({', '.join(f'{k} {v}' for k, v in sorted(figures.bad_inputs.items()))}) |",
        f"| hostile URLs and pods (distinct values) | {figures.hostile_urls} |",
        f"| hostile cases run (values x positions, API and CLI) | {figures.hostile_cases:,} |",
        f"| records checked against the harness | {figures.records_checked:,} |",
        f"| lost | {figures.lost} |",
        f"| duplicated (read) | {figures.duplicated} |",
        f"| duplicate creates | {figures.duplicate_creates} |",
        f"| creates confirmed with a wrong id | {figures.wrong_ids} |",
        f"| leaked (outputs holding the key) | {figures.leaked} |",
        f"| tracebacks | {figures.tracebacks} |",
        f"| internal errors | {figures.internal_errors} |",
        f"| requests received by the 127.0.0.2 listener | {figures.listener_hits} |",
        f"| lookups/connections beyond loopback (refused by the guard) | {figures.outbound_attempts} |",
        "", "## Faults by kind", "", "| kind | played |", "| --- | --- |",
        *[f"| {kind} | {figures.faults[kind]:,} |" for kind in kinds],
        "", "## Phases", "", "| phase | wall time |", "| --- | --- |",
        *[f"| {name} | {seconds:.0f} s |" for name, seconds in timings.items()],
        "", "## Problems", "",
        *([f"- {p}" for p in figures.problems[:200]] or ["None."]),
    ]
    if len(figures.problems) > 200:
        lines.append(f"- ... and {len(figures.problems) - 200} more")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    data = {k: v for k, v in vars(figures).items() if k != "problems"}
    data.update(problems=figures.problems, wall_seconds=round(wall, 1), scale=scale, seed=seed, phases=timings)
    path.with_suffix(".json").write_text(json.dumps(data, indent=1, default=dict) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
