"""The Singer `--state` file: the value of the last STATE the tap emitted, as a target echoed it.

That value is the runner's own state document, so it loads as one; `{}` (Singer's "no state") is an
empty one."""

from __future__ import annotations

from pathlib import Path

import orjson

from insightly_connector.errors import ConfigError
from insightly_connector.redaction import Redactor
from insightly_connector.source.state import STATE_VERSION, StateFile


def load_singer_state(path: str | Path | None, redactor: Redactor) -> StateFile:
    label = f"--state {path}"
    document: object = {}
    if path is not None:
        try:
            raw = Path(path).read_bytes()
            document = orjson.loads(raw) if raw.strip() else {}
        except OSError as exc:
            raise ConfigError(f"{label}: cannot be read ({exc.strerror or exc})") from None
        except orjson.JSONDecodeError:
            raise ConfigError(f"{label}: not valid JSON") from None
    if document == {}:
        document = {"version": STATE_VERSION, "resources": {}}
    return StateFile.from_document(document, label=label, redactor=redactor)
