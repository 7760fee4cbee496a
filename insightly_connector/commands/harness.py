"""`harness`: run the bundled API emulator (`insightly_connector.harness`) in the foreground until Ctrl-C or
SIGTERM. Its options are the emulator's own; the runner never reads them. It prints a ready credential
(and writes one with `--credential-out FILE`), so `check --credential FILE` works against it at once."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from insightly_connector.commands.common import add_port_argument, verb_parser
from insightly_connector.errors import ConfigError, ExitCode
from insightly_connector.harness.plans import DAILY_QUOTAS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "harness",
        description="Serve the bundled emulated API on 127.0.0.1 (see docs/harness.md) until Ctrl-C. Control it "
                    "over HTTP at <url>/__harness. It prints a ready credential for this instance.",
        examples="""\
insightly-connector harness --port 8765 --credential-out harness-credential.json
insightly-connector check --credential harness-credential.json        (in another terminal)
insightly-connector harness --plan professional --contacts 5000 --rate-limit 0""",
        exit_codes={ExitCode.OK: "stopped by Ctrl-C or SIGTERM",
                    ExitCode.USAGE: "bad arguments, a busy port, or an unwritable --credential-out"})
    add_port_argument(parser)
    parser.add_argument("--pod", default=None, help="the pod this instance emulates (default: the emulator's own)")
    parser.add_argument("--seed", type=int, default=7, help="data seed (same seed, same data; default 7)")
    parser.add_argument("--contacts", type=_non_negative, default=200,
                        help="number of contacts; other collections scale with it (default 200)")
    parser.add_argument("--size", action="append", default=[], metavar="COLLECTION=N",
                        help="records of one generated collection, e.g. Notes=5000 (repeatable)")
    parser.add_argument("--plan", choices=sorted(DAILY_QUOTAS), default="enterprise",
                        help="the account's plan: daily quota and available objects (default enterprise)")
    parser.add_argument("--daily-quota", type=_non_negative, default=None, help="override the plan's daily quota")
    parser.add_argument("--rate-limit", type=_non_negative, default=10,
                        help="requests per second before 429 (default 10; 0 switches the limit off)")
    parser.add_argument("--record-limit", type=_non_negative, default=None,
                        help="total records after which creates answer 402")
    parser.add_argument("--latency-ms", type=_non_negative_float, default=0.0, help="added latency per request")
    parser.add_argument("--jitter-ms", type=_non_negative_float, default=0.0, help="random extra latency up to this")
    parser.add_argument("--error-rate", type=_share, default=0.0, help="share of requests answered 5xx (0 to 1)")
    parser.add_argument("--reset-rate", type=_share, default=0.0, help="share of connections reset (0 to 1)")
    parser.add_argument("--truncate-rate", type=_share, default=0.0, help="share of bodies truncated (0 to 1)")
    parser.add_argument("--burst-429-every", type=_non_negative, default=0,
                        help="every N requests, answer a burst of 429s")
    parser.add_argument("--churn", action="append", default=[], metavar="COLLECTION",
                        help="create, update and delete a record of COLLECTION periodically (repeatable)")
    parser.add_argument("--churn-every-seconds", type=_positive_float, default=1.0, help="churn period (default 1s)")
    parser.add_argument("--search-inclusive", action="store_true",
                        help="updated_after_utc matches records updated at that second too (default: after)")
    parser.add_argument("--child-changes-touch-parent", action="store_true",
                        help="a new or changed comment, attachment or follow moves its parent's DATE_UPDATED_UTC")
    parser.add_argument("--api-key", default=None, help="accept this key instead of the generated demo key")
    parser.add_argument("--credential-out", metavar="FILE", default=None,
                        help="write a credential for this instance to FILE (mode 0600): base_url, api_key, pod")
    parser.set_defaults(func=run)


def _write_private(path: str, text: str) -> None:
    """A credential file only its owner may read (it holds the key)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
        os.chmod(path, 0o600)  # an existing file keeps its mode through O_TRUNC
    except OSError as exc:
        raise ConfigError(f"--credential-out: cannot write {path} ({exc.strerror})") from None


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _share(text: str) -> float:
    value = _number(text, float)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1")
    return value


def _non_negative_float(text: str) -> float:
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _positive_float(text: str) -> float:
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0")
    return value


def _number(text: str, kind: type) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):  # NaN or infinite
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _sizes(values: list[str]) -> dict[str, int]:
    from insightly_connector.harness.dataset import GENERATED  # the data generator loads only when serving

    sizes = {}
    for value in values:
        name, sep, count = value.partition("=")
        if not sep or name not in GENERATED or not count.isdigit():
            raise ConfigError(f"--size: expected COLLECTION=N with one of {', '.join(GENERATED)}; got {value!r}")
        sizes[name] = int(count)
    return sizes


def run(args: argparse.Namespace) -> int:
    import json
    import signal
    import threading

    from insightly_connector.destination.file_paths import check_writable_path
    from insightly_connector.harness import Harness  # keeps the emulator out of every other verb's start-up

    if args.credential_out is not None:
        check_writable_path(args.credential_out, "--credential-out")

    pod = {"pod": args.pod} if args.pod else {}
    harness = Harness(**pod, seed=args.seed, plan=args.plan, contacts=args.contacts, sizes=_sizes(args.size),
                      rate_limit_per_second=args.rate_limit or None, latency_ms=args.latency_ms,
                      jitter_ms=args.jitter_ms, search_inclusive=args.search_inclusive, api_key=args.api_key,
                      child_changes_touch_parent=args.child_changes_touch_parent,
                      record_limit=args.record_limit, daily_quota=args.daily_quota, port=args.port)
    if args.error_rate or args.reset_rate or args.truncate_rate or args.burst_429_every:
        harness.set_faults(error_rate=args.error_rate, reset_rate=args.reset_rate, truncate_rate=args.truncate_rate,
                           burst_429_every=args.burst_429_every)
    for collection in args.churn:
        if collection not in harness.collections():
            raise ConfigError(f"--churn: unknown collection {collection!r}")
        harness.set_churn(collection, every_seconds=args.churn_every_seconds)
    try:
        harness.start()
    except OSError as exc:  # a busy port, or one this user may not bind
        raise ConfigError(f"--port: cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})") from None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with harness:
        credential = {"name": f"harness {harness.pod}", "api_key": harness.api_key, "pod": harness.pod,
                      "base_url": harness.base_url}
        if args.credential_out is not None:
            _write_private(args.credential_out, json.dumps(credential, indent=2) + "\n")
        shown = {**credential, "api_key": "(the key given with --api-key)"} if args.api_key else credential
        print(f"API harness ({harness.plan}, pod {harness.pod}, seed {harness.seed}) on 127.0.0.1")
        print(f"base_url: {harness.base_url}")
        print(f"api_key:  {shown['api_key']}")
        print(f"admin:    {harness.admin_url}")
        print(f"credential: {json.dumps(shown)}")
        if args.credential_out is not None:
            print(f"credential written to {args.credential_out}; try: insightly-connector check --credential "
                  f"{args.credential_out}")
        else:
            print("save the credential line's JSON to a file (or use --credential-out FILE), then: "
                  "insightly-connector check --credential FILE")
        print("Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    signal.signal(signal.SIGTERM, previous)
    print("harness stopped", file=sys.stderr)
    return 0
