"""Shared fixtures for the spec tests: the loaded spec, the vendored Swagger, and a way to load a
modified copy of connector.yaml (with the real schemas/ beside it)."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from insightly_connector.spec.loader import DEFAULT_SPEC_PATH, REPO_ROOT, Spec, load_spec


@pytest.fixture(scope="session")
def spec() -> Spec:
    return load_spec()


@pytest.fixture(scope="session")
def swagger() -> dict:
    return json.loads((REPO_ROOT / "vendor" / "insightly-v3.1-swagger.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def raw_document() -> dict:
    return yaml.safe_load(DEFAULT_SPEC_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def derive_tool():
    """tools/derive_record_schemas.py as a module (tools/ is not a package)."""
    path = REPO_ROOT / "tools" / "derive_record_schemas.py"
    module_spec = importlib.util.spec_from_file_location("derive_record_schemas", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


@pytest.fixture
def spec_dir(tmp_path: Path) -> Path:
    """A directory that looks like the repository root to load_spec: schemas/ is linked in."""
    (tmp_path / "schemas").symlink_to(REPO_ROOT / "schemas", target_is_directory=True)
    return tmp_path


@pytest.fixture
def load_modified(spec_dir: Path, raw_document: dict) -> Callable[[Callable[[dict], None]], Spec]:
    """Apply `change` to a deep copy of connector.yaml, write it, and load it."""

    def load(change: Callable[[dict], None]) -> Spec:
        document = copy.deepcopy(raw_document)
        change(document)
        path = spec_dir / "connector.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
        return load_spec(path)

    return load
