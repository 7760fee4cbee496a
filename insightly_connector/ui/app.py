"""What the pages may ask for: the form and its two buttons, the resource browser, the runs and their reports.

Each method answers a JSON-ready dict or raises a ConnectorError; the server turns either into an answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from insightly_connector.errors import ConfigError
from insightly_connector.spec.credential import Credential, load_credential
from insightly_connector.spec.loader import Spec
from insightly_connector.ui import credential_actions, resources, run_files, run_report
from insightly_connector.ui.credential_store import CredentialStore
from insightly_connector.ui.form import form_schema, ui_schema


class UiApp:
    """The spec, the credential file the form saves, the runs folder, and any loopback pod overrides."""

    def __init__(self, spec: Spec, credential_path: str | Path, runs_folder: str | Path,
                 pod_base_urls: dict[str, str] | None = None):
        self.spec = spec
        self.store = CredentialStore(credential_path, spec.credential_form)
        self.runs_folder = Path(runs_folder).resolve()
        self.pod_base_urls = dict(pod_base_urls or {})

    def about(self) -> dict[str, Any]:
        return {"connector": self.spec.connector.get("display_name") or self.spec.connector.get("code"),
                "credential_path": str(self.store.path.resolve()), "runs_folder": str(self.runs_folder)}

    def form(self) -> dict[str, Any]:
        view = self.store.masked_view()
        return {"schema": form_schema(self.spec.credential_form, view["saved_secrets"]),
                "uiSchema": ui_schema(self.spec.credential_form, view["saved_secrets"]), "saved": view}

    def test(self, body: dict) -> dict[str, Any]:
        return credential_actions.test_credential(self.spec, self.store, _fields(body), self.pod_base_urls)

    def save(self, body: dict) -> dict[str, Any]:
        return credential_actions.save_credential(self.spec, self.store, _fields(body), self.pod_base_urls)

    def resources(self) -> dict[str, Any]:
        return resources.browse(self.spec, self._saved_credential())

    def sample(self, name: str) -> dict[str, Any]:
        return resources.sample(self.spec, self._saved_credential(), name)

    def runs(self) -> dict[str, Any]:
        return {"folder": str(self.runs_folder),
                "runs": [run_report.summary(run, self.runs_folder) for run in self._runs()]}

    def run(self, run_id: str) -> dict[str, Any]:
        for run in self._runs():
            if run_report.run_id(run, self.runs_folder) == run_id:
                return run_report.report(run, self.runs_folder)
        raise ConfigError(f"no run {run_id!r} under {self.runs_folder}")

    def _runs(self) -> list[run_files.RunFiles]:
        return run_files.find_runs(self.runs_folder) if self.runs_folder.is_dir() else []

    def _saved_credential(self) -> Credential:
        if not self.store.path.exists():
            raise ConfigError("no credential is saved yet: fill in the form and press Save first")
        return load_credential(self.store.path, self.spec, pod_base_urls=self.pod_base_urls)


def _fields(body: dict) -> dict:
    fields = body.get("fields")
    if not isinstance(fields, dict):
        raise ConfigError("expected {\"fields\": {...}}")
    return fields
