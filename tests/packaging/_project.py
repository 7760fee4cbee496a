"""What the packaging tests read from the project itself: pyproject.toml's console scripts, the repo root."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = REPO_ROOT / "pyproject.toml"


def console_scripts() -> dict[str, str]:
    """`[project.scripts]` of pyproject.toml: script name -> "module:function"."""
    text = PYPROJECT.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the table is simple `name = "module:func"` lines
        section = re.search(r"^\[project\.scripts\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        pairs = re.findall(r'^\s*"?([A-Za-z0-9_.-]+)"?\s*=\s*"([^"]+)"', section.group(1) if section else "", re.M)
        return dict(pairs)
    return dict(tomllib.loads(text).get("project", {}).get("scripts", {}))


def project_field(name: str) -> str:
    """A string field of `[project]` (`license` gives its `text`)."""
    text = PYPROJECT.read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        match = re.search(rf'^{name}\s*=\s*(?:{{\s*text\s*=\s*)?"([^"]*)"', text, re.M)
        return match.group(1) if match else ""
    value = tomllib.loads(text)["project"][name]
    return value["text"] if isinstance(value, dict) else value
