"""Airbyte packaging: the top-level Dockerfile and airbyte/<connector>/metadata.yaml.

No image can be built here (no container daemon), so this checks what an image build and Airbyte's registry
would rely on: the metadata has the keys and values of Airbyte's ConnectorMetadataDefinitionV0 schema
(airbytehq/airbyte airbyte-ci/connectors/metadata_service/lib/metadata_service/models/src/), the Dockerfile
follows Airbyte's Python-connector template (docker-images/Dockerfile.python-connector), the console script it
starts is declared in pyproject.toml, and that script runs as the image's /entrypoint.sh would run it.

`source-insightly` and `destination-insightly` are added to [project.scripts] by the Airbyte adapters; until
then the tests that need them fail.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from ._project import REPO_ROOT, console_scripts, project_field

DOCKERFILE = REPO_ROOT / "Dockerfile"
CONNECTORS = {"source-insightly": "source", "destination-insightly": "destination"}

# From ConnectorMetadataDefinitionV0.yaml and the files it references.
REQUIRED_DATA_KEYS = {"name", "definitionId", "connectorType", "dockerRepository", "dockerImageTag", "license",
                      "documentationUrl", "githubIssueLabel", "connectorSubtype", "releaseStage"}
CONNECTOR_SUBTYPES = {"api", "database", "datalake", "file", "custom", "message_queue", "unknown", "vectorstore"}
RELEASE_STAGES = {"alpha", "beta", "generally_available", "custom"}
SUPPORT_LEVELS = {"community", "certified", "archived"}


def _metadata(name: str) -> dict:
    return yaml.safe_load((REPO_ROOT / "airbyte" / name / "metadata.yaml").read_text(encoding="utf-8"))


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile_instructions()
    last_from = max(i for i, (k, _) in enumerate(instructions) if k == "FROM")
    return instructions[last_from:]


def _env(instructions) -> dict[str, str]:
    env = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            for token in shlex.split(rest):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _entrypoint_script(connector: str) -> str:
    """The /entrypoint.sh the image build writes (the printf in the final stage), for this CONNECTOR_NAME."""
    for keyword, rest in _final_stage():
        match = re.search(r"printf '((?:[^'\\]|\\.)*)' \"\$\{CONNECTOR_NAME\}\" > /entrypoint\.sh", rest)
        if keyword == "RUN" and match:
            return match.group(1).replace("\\n", "\n").replace("%s", connector)
    raise AssertionError("the Dockerfile's final stage does not write /entrypoint.sh with printf")


# --- metadata.yaml ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("connector", sorted(CONNECTORS))
def test_metadata_has_airbyte_required_keys_and_values(connector):
    document = _metadata(connector)
    assert set(document) == {"data", "metadataSpecVersion"}
    assert isinstance(document["metadataSpecVersion"], str)
    data = document["data"]
    assert set(data) >= REQUIRED_DATA_KEYS, REQUIRED_DATA_KEYS - set(data)
    assert data["connectorType"] == CONNECTORS[connector]
    assert data["connectorSubtype"] in CONNECTOR_SUBTYPES
    assert data["releaseStage"] in RELEASE_STAGES
    assert data["supportLevel"] in SUPPORT_LEVELS
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert data["dockerRepository"].rsplit("/", 1)[-1] == connector
    assert data["githubIssueLabel"] == connector
    assert data["name"] == "Insightly"
    url = urlparse(data["documentationUrl"])
    assert url.scheme == "https" and url.netloc
    assert isinstance(data["tags"], list) and all(isinstance(t, str) for t in data["tags"])
    assert "language:python" in data["tags"]
    assert all(isinstance(h, str) for h in data["allowedHosts"]["hosts"])


def test_metadata_agrees_with_the_package():
    for connector in CONNECTORS:
        data = _metadata(connector)["data"]
        assert data["dockerImageTag"] == project_field("version")
        assert data["license"] == project_field("license")


def test_definition_ids_are_distinct_and_not_airbytes_own_source():
    ids = {_metadata(c)["data"]["definitionId"] for c in CONNECTORS}
    assert len(ids) == len(CONNECTORS)
    assert "38f84314-fe6a-4257-97be-a8dcd942d693" not in ids  # Airbyte's catalogue source-insightly


def test_allowed_hosts_cover_the_spec_hosts():
    spec = yaml.safe_load((REPO_ROOT / "connector.yaml").read_text(encoding="utf-8"))
    for connector in CONNECTORS:
        hosts = _metadata(connector)["data"]["allowedHosts"]["hosts"]
        for pattern in spec["credential"]["allowed_hosts"]:           # e.g. api.*.insightly.com
            example = pattern.replace("*", "eu1")
            assert any(re.fullmatch(re.escape(h).replace(r"\*", r"[^/]+"), example) for h in hosts), (pattern, hosts)


# --- Dockerfile -------------------------------------------------------------------------------------------

def test_dockerfile_follows_airbytes_python_connector_template():
    instructions = _dockerfile_instructions()
    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert len(froms) == 2 and froms[-1] == "${BASE_IMAGE}"
    base = next(rest for keyword, rest in instructions if keyword == "ARG" and rest.startswith("BASE_IMAGE="))
    base_image = base.split("=", 1)[1]
    assert re.search(r"python:3\.\d+-slim", base_image), base_image
    for connector in CONNECTORS:
        assert _metadata(connector)["data"]["connectorBuildOptions"]["baseImage"] == base_image

    final = _final_stage()
    assert ("ARG", "CONNECTOR_NAME") in final                       # no default: the build names the connector
    assert any(k == "RUN" and "pip install" in r and ".whl" in r for k, r in final), "the image installs the wheel"
    env = _env(final)
    entrypoints = [json.loads(rest) for keyword, rest in final if keyword == "ENTRYPOINT"]
    assert entrypoints == [[env["AIRBYTE_ENTRYPOINT"]]], (entrypoints, env)
    assert env["AIRBYTE_ENTRYPOINT"] == "/entrypoint.sh"
    assert any(k == "USER" for k, _ in final), "Airbyte images run as an unprivileged user"


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
def test_entrypoint_names_a_declared_console_script(connector):
    script = _entrypoint_script(connector)
    assert script.startswith("#!/bin/sh\n")
    assert f'exec {connector} "$@"' in script
    scripts = console_scripts()
    assert connector in scripts, (
        f"the image for {connector} starts the console script {connector!r}, which pyproject.toml's "
        f"[project.scripts] does not declare (declared: {sorted(scripts)})")


@pytest.mark.parametrize("connector", sorted(CONNECTORS))
def test_runs_as_the_image_would_run_it(connector, tmp_path):
    """`docker run IMAGE spec` runs /entrypoint.sh spec: the same script, with the installed console scripts."""
    entrypoint = tmp_path / "entrypoint.sh"
    entrypoint.write_text(_entrypoint_script(connector), encoding="utf-8")
    entrypoint.chmod(0o755)
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(entrypoint), "spec"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, f"/entrypoint.sh spec exited {done.returncode}: {done.stderr[-2000:]}"
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    specs = [m for m in messages if m.get("type") == "SPEC"]
    assert len(specs) == 1, messages
    spec = specs[0]["spec"]
    assert spec["connectionSpecification"]["properties"]["api_key"].get("airbyte_secret") is True
    if CONNECTORS[connector] == "destination":
        assert spec.get("supported_destination_sync_modes"), spec
