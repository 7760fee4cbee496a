"""`ui`: the credential form, the resource browser and the sync reports as pages on 127.0.0.1, until Ctrl-C
or SIGTERM. The URL is printed as the harness prints its own."""

from __future__ import annotations

import argparse
import sys

from insightly_connector.commands.common import add_port_argument, parse_pod_base_urls, verb_parser
from insightly_connector.errors import ConfigError, ExitCode


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = verb_parser(
        subparsers, "ui",
        description="Serve pages on 127.0.0.1: the credential form (Test runs check, Save writes the file 0600), "
                    "a resource browser with sample reads, and reports of the runs under --runs.",
        examples="""\
insightly-connector ui --credential credential.json --runs runs/
insightly-connector ui --port 8700 --pod-base-url na1=http://127.0.0.1:8765/v3.1""",
        exit_codes={ExitCode.OK: "stopped by Ctrl-C or SIGTERM", ExitCode.USAGE: "bad arguments or a busy port"})
    add_port_argument(parser)
    parser.add_argument("--credential", metavar="FILE", default="credential.json",
                        help="the credential file the form loads and saves (default credential.json)")
    parser.add_argument("--runs", metavar="DIR", default="runs",
                        help="folder of run folders, each with a --request-log file (default runs)")
    parser.add_argument("--config", metavar="YAML", default=None, help="connector.yaml to use")
    parser.add_argument("--pod-base-url", action="append", default=[], metavar="POD=URL",
                        help="loopback harness URL for a pod (repeatable); other hosts are refused")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import signal
    import threading

    from insightly_connector.spec.loader import load_spec  # the server loads only for this verb
    from insightly_connector.ui.app import UiApp
    from insightly_connector.ui.server import UiServer

    spec = load_spec(args.config) if args.config else load_spec()
    app = UiApp(spec, args.credential, args.runs, parse_pod_base_urls(args.pod_base_url))
    try:
        server = UiServer(app, args.port)
    except OSError as exc:
        raise ConfigError(f"--port: cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc})") from None
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server.start()
    try:
        print(f"pages of {app.about()['connector']} on 127.0.0.1")
        print(f"url:        {server.url}")
        print(f"credential: {app.store.path.resolve()}")
        print(f"runs:       {app.runs_folder}")
        print("Ctrl-C to stop.", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print("ui stopped", file=sys.stderr)
    return 0
