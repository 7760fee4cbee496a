"""The committed front end is the build of the committed sources: vite records a digest of the files it
built from (ui-frontend/vite.config.js), and this recomputes it, so a change to ui-frontend/ without
`make ui-assets` fails here rather than shipping stale pages. The page references only files it carries."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from insightly_connector.ui.server import STATIC

FRONTEND = Path(__file__).resolve().parents[2] / "ui-frontend"
SOURCES = ("index.html", "package-lock.json", "vite.config.js", "src")


def sources_digest(root: Path) -> str:
    files = []
    for name in SOURCES:
        path = root / name
        files += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    digest = hashlib.sha256()
    for relative in sorted(p.relative_to(root).as_posix() for p in files):
        digest.update(relative.encode() + b"\0" + (root / relative).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_committed_build_is_of_the_committed_sources():
    recorded = (STATIC / "sources.sha256").read_text().strip()
    assert recorded == sources_digest(FRONTEND), "ui-frontend/ changed since the build: run `make ui-assets`"


def test_the_page_references_only_files_it_carries():
    index = (STATIC / "index.html").read_text()
    references = re.findall(r'(?:src|href)="([^"]+)"', index)
    assert references
    for reference in references:
        assert reference.startswith("/assets/") and (STATIC / reference.lstrip("/")).is_file(), reference
