"""The one path syntax `connector.yaml` uses into a JSON body: `$` (the body) or `$.a.b`."""

from __future__ import annotations

from typing import Any


def follow(body: Any, path: str) -> Any:
    """The value at `path`, or None where a step is missing or the node is not an object."""
    node = body
    for step in path.lstrip("$").split("."):
        if step:
            node = node.get(step) if isinstance(node, dict) else None
    return node
