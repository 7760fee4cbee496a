"""`--about`: what a Singer plugin says about itself (the Singer SDK's AboutInfo keys), in JSON or Markdown.

The plugin's name is the console script that starts it, as pyproject.toml declares it."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from insightly_connector import __version__
from insightly_connector.platforms.config import SOURCE_OPTIONS, connection_specification
from insightly_connector.spec.loader import Spec


def script_name(target: str) -> str:
    """The console script whose entry point is `target` (`module:function`); else how we were started."""
    for entry in entry_points(group="console_scripts"):
        if entry.value == target:
            return entry.name
    return Path(sys.argv[0]).name


def about_info(spec: Spec, name: str, capabilities: list[str], *, source_options: bool) -> dict[str, Any]:
    return {
        "name": name,
        "description": " ".join(str(spec.connector.get("description") or spec.connector.get("display_name")).split()),
        "version": __version__,
        "capabilities": capabilities,
        "supported_python_versions": ["3.10", "3.11", "3.12", "3.13"],
        "settings": connection_specification(spec, SOURCE_OPTIONS if source_options else {}),
    }


def about_markdown(info: dict[str, Any]) -> str:
    lines = [f"# `{info['name']}`", "", info["description"], "", f"Version {info['version']}.", "",
             "## Capabilities", "", *[f"- `{c}`" for c in info["capabilities"]], "", "## Settings", "",
             "| setting | required | description |", "| --- | --- | --- |"]
    required = set(info["settings"].get("required", []))
    for name, field in info["settings"].get("properties", {}).items():
        text = " ".join(str(field.get("description", "")).split()).replace("|", "\\|")
        lines.append(f"| `{name}` | {'yes' if name in required else 'no'} | {text} |")
    return "\n".join(lines)
