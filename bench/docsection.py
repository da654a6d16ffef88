"""Write a benchmark's section of docs/performance.md: between its two markers, or appended."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from leftbehind.atomic import write_text_atomic  # noqa: E402


def replace_section(doc: Path, start: str, end: str, section: str) -> None:
    """Replace the text from ``start`` to ``end`` (markers included in ``section``) or append
    ``section``; written atomically."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    if start in text and end in text and text.index(start) < text.index(end):
        head, rest = text.split(start, 1)
        text = head + section.strip() + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section.strip() + "\n"
    write_text_atomic(doc, text)
