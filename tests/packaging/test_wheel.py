"""A wheel that works on its own: built from a copy of the source tree, installed into a fresh venv, every
console script of `[project.scripts]` runs from a folder outside the repository.

`connector.yaml` and `schemas/` stay at the repository's top level; `insightly_connector/connector.yaml` and
`insightly_connector/schemas` are symlinks to them, and `[tool.setuptools.package-data]` puts real copies of
the files into the wheel.

The venv takes the package's dependencies from the package index (about 30 s on 2 cores). On a machine
without one, set INSIGHTLY_SKIP_WHEEL_TEST=1 to skip the build-and-install test (the layout tests still run).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ._project import REPO_ROOT, console_scripts

PACKAGE = "insightly_connector"
# Left out of the copy the wheel is built from: caches, build output, environments, VCS data.
NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "out", "*.egg-info", "__pycache__",
                                   ".pytest_cache", ".ruff_cache", ".hypothesis", "*.pyc")


def _data_files() -> list[str]:
    """Every file the package must carry, as a path inside the wheel."""
    files = [f"{PACKAGE}/connector.yaml"]
    files += sorted(f"{PACKAGE}/{p.relative_to(REPO_ROOT).as_posix()}"
                    for p in (REPO_ROOT / "schemas").rglob("*") if p.is_file())
    return files


def _probe_args(script: str) -> list[str]:
    """What the platform that starts a script asks first: Singer plugins `--about`, the others `spec`."""
    if script.startswith(("tap-", "target-")):
        return ["--about", "--format", "json"]
    return ["spec"]


# --- the layout in the repository (fast, no network) ----------------------------------------------------------

def test_package_links_point_at_the_top_level_files():
    for name in ("connector.yaml", "schemas"):
        link = REPO_ROOT / PACKAGE / name
        assert link.is_symlink(), f"{link} must be a symlink to ../{name}"
        assert os.readlink(link) == f"../{name}", os.readlink(link)
        assert link.resolve() == (REPO_ROOT / name).resolve()


def test_editable_install_sees_the_spec_through_the_package():
    import insightly_connector

    package_dir = Path(insightly_connector.__file__).resolve().parent
    assert (package_dir / "connector.yaml").read_bytes() == (REPO_ROOT / "connector.yaml").read_bytes()
    assert (package_dir / "schemas" / "credential.schema.json").is_file()


def test_console_scripts_are_declared():
    scripts = console_scripts()
    assert "insightly-connector" in scripts
    for name, target in scripts.items():
        module, _, func = target.partition(":")
        assert module and func, f"{name} = {target!r} is not 'module:function'"


# --- the built wheel, installed into a fresh venv ------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(REPO_ROOT, source, symlinks=True, ignore=NOT_SOURCE)
    dist = work / "dist"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(source)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    (built,) = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The bin folder of a fresh venv with only the wheel (and its dependencies) installed."""
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    done = subprocess.run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           str(wheel)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return bindir


def _isolated_env(bindir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(bindir.parent)
    return env


needs_index = pytest.mark.skipif(os.environ.get("INSIGHTLY_SKIP_WHEEL_TEST") == "1",
                                 reason="INSIGHTLY_SKIP_WHEEL_TEST=1: no package index for the venv's dependencies")


@needs_index
@pytest.mark.timeout(480)
def test_wheel_carries_real_copies_of_the_spec_and_schemas(wheel):
    with zipfile.ZipFile(wheel) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for name in _data_files():
            assert name in infos, f"{name} is missing from {wheel.name}"
            mode = infos[name].external_attr >> 16
            assert not stat.S_ISLNK(mode), f"{name} is stored as a symlink"
            top_level = REPO_ROOT / name.removeprefix(f"{PACKAGE}/")
            assert zf.read(name) == top_level.read_bytes(), f"{name} differs from {top_level}"
        entry_points = next(n for n in infos if n.endswith(".dist-info/entry_points.txt"))
        text = zf.read(entry_points).decode()
    for script in console_scripts():
        assert f"{script} = " in text, f"{script} is not an entry point of the wheel"


@needs_index
@pytest.mark.timeout(480)
@pytest.mark.parametrize("script", sorted(console_scripts()))
def test_every_console_script_runs_from_the_installed_wheel(installed, script, tmp_path):
    env = _isolated_env(installed)
    exe = installed / script
    assert exe.exists(), f"{script} was not installed"
    # The package must come from the venv, not from the repository (the run is from an empty folder).
    where = subprocess.run([str(installed / "python"), "-c", f"import {PACKAGE}; print({PACKAGE}.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert where.returncode == 0, where.stderr
    assert str(REPO_ROOT) not in where.stdout and str(installed.parent) in where.stdout, where.stdout

    helped = subprocess.run([str(exe), "--help"], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert helped.returncode == 0, f"{script} --help: {helped.stderr[-2000:]}"

    args = _probe_args(script)
    done = subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60)
    assert done.returncode == 0, f"{script} {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}"
    out = done.stdout.strip()
    assert out, f"{script} {' '.join(args)} printed nothing"
    # Every format the scripts speak is JSON: one document (pretty or not) or one message per line.
    try:
        json.loads(out)
    except json.JSONDecodeError:
        for line in out.splitlines():
            json.loads(line)
