"""The credential file the form saves: written 0600 and atomically, shown back to the page with its secrets
left out.

The page never gets a secret back: `masked_view` carries the other fields and only the names of the secrets
that are saved. A secret left blank in the form keeps the saved one (`merged`), so a person can change the
description without pasting the key again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from insightly_connector.atomic_file import write_atomically
from insightly_connector.errors import ConfigError
from insightly_connector.ui.form import secret_fields

FILE_MODE = 0o600


class CredentialStore:
    def __init__(self, path: str | os.PathLike[str], form: dict):
        self.path = Path(path)
        self._secrets = secret_fields(form)

    def load(self) -> dict[str, Any]:
        """The saved fields, or {} when nothing is saved yet."""
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8-sig"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"credential file {self.path}: cannot be read as JSON ({type(exc).__name__})") from None
        if not isinstance(data, dict):
            raise ConfigError(f"credential file {self.path}: expected a JSON object")
        return data

    def masked_view(self) -> dict[str, Any]:
        """What the page may see: every field but the secrets, and which secrets are saved."""
        saved = self.load()
        return {"path": str(self.path.resolve()),
                "fields": {name: value for name, value in saved.items() if name not in self._secrets},
                "saved_secrets": self.saved_secrets(saved)}

    def saved_secrets(self, saved: dict[str, Any] | None = None) -> list[str]:
        saved = self.load() if saved is None else saved
        return [name for name in self._secrets if isinstance(saved.get(name), str) and saved[name]]

    def merged(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The form's fields, with each secret left blank taken from the saved file."""
        merged = {name: value for name, value in fields.items() if value is not None}
        saved = self.load()
        for name in self._secrets:
            if not merged.get(name) and saved.get(name):
                merged[name] = saved[name]
        for name in self._secrets:
            if isinstance(merged.get(name), str):
                merged[name] = merged[name].strip()  # as the credential loader does with a pasted key
        return merged

    def save(self, fields: dict[str, Any]) -> None:
        """Replace the file atomically; it is created 0600 and never exists with wider permissions. A symbolic
        link is kept: the file it points to is the one replaced, as with the state file."""
        target = self.path.resolve() if self.path.is_symlink() else self.path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, json.dumps(fields, indent=2).encode() + b"\n", mode=FILE_MODE)
