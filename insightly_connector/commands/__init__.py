"""One module per CLI verb; each exposes `register(subparsers)` and a `run(args) -> int`.

`VERBS` holds each verb's one-line summary, in the order the top-level --help lists them: listing the
verbs imports none of their modules."""

VERBS = {
    "spec": "print the connector spec and credential form",
    "check": "verify the credential (GET the check request) and probe access",
    "discover": "list resources with schemas (live custom fields) and capabilities",
    "read": "read resources (full or incremental) to stdout or files",
    "write": "create, update, upsert or delete records (JSON lines, Airbyte or Singer RECORD messages)",
    "probe": "Nexla's probe: validate a credential before saving it, sample an endpoint",
    "harness": "run the bundled API emulator on 127.0.0.1",
    "ui": "serve the credential form, resource browser and sync reports on 127.0.0.1",
}
