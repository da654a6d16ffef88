"""The sources registry: one row per pinned upstream file (``registry.csv`` in this package).

Facts copied from the upstream manifest: URL pinned to a commit, sha256, size; plus the licence,
attribution and a one-line description of each file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from leftbehind.errors import UnknownName


@dataclass(frozen=True)
class Source:
    id: str
    repository: str
    commit: str
    path: str
    url: str
    mirror_path: str
    sha256: str
    bytes: int
    licence: str
    attribution: str
    description: str

    @property
    def reader(self) -> str:
        """``rdata`` for ``sf`` boundary objects, ``pyreadr`` for plain data frames."""
        return "rdata" if self.id.startswith("boundaries_") else "pyreadr"


@lru_cache(maxsize=1)
def load_registry() -> tuple[Source, ...]:
    text = resources.files("leftbehind.sources").joinpath("registry.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return tuple(Source(**{**row, "bytes": int(row["bytes"])}) for row in rows)


def source_by_id(source_id: str) -> Source:
    for source in load_registry():
        if source.id == source_id:
            return source
    valid = ", ".join(s.id for s in load_registry())
    raise UnknownName(f"unknown source '{source_id}'; valid sources: {valid}")
