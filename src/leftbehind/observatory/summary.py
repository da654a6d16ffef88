"""The summary document for any thresholds: the prepared view at an edition's own thresholds
(what ``/api/summary`` serves), computed otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from leftbehind.editions import get_edition
from leftbehind.identify import identify
from leftbehind.observatory.views import load_view, summary_document, view_data
from leftbehind.store.connection import connect


def summary_of(
    store_path: Path, edition: str, cni_threshold: float = 0.1, imd_threshold: float = 0.1
) -> dict[str, Any]:
    """``leftbehind summary --json``: the same document as ``GET /api/summary?edition=E`` at
    the edition's thresholds."""
    ed = get_edition(edition)
    con = connect(store_path, read_only=True)
    try:
        if (cni_threshold, imd_threshold) == (ed.cni_threshold, ed.imd_threshold):
            stored = load_view(con, ed.id, "summary")
            if stored is not None:
                return view_data(stored)
        return summary_document(identify(con, ed.id, cni_threshold, imd_threshold))
    finally:
        con.close()
