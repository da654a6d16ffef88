"""A prepared response body: bytes, a gzip copy and a strong validator (ETag)."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Any

from leftbehind.export import csv_text
from leftbehind.export import json_text as export_json_text

GZIP_MIN_BYTES = 1024


@dataclass(frozen=True)
class Payload:
    """A response body kept with its gzip copy and ETag (prepared once, served many times)."""

    body: bytes
    media_type: str
    gzipped: bytes | None = None
    etag: str = ""

    @classmethod
    def make(cls, body: bytes | str, media_type: str) -> Payload:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        packed = (
            gzip.compress(raw, compresslevel=6, mtime=0) if len(raw) >= GZIP_MIN_BYTES else None
        )
        return cls(raw, media_type, packed, etag_of(raw))

    @classmethod
    def json(cls, data: Any) -> Payload:
        return cls.make(json_text(data), "application/json")

    @classmethod
    def csv(cls, rows: list[dict[str, Any]], columns: list[str]) -> Payload:
        return cls.make(csv_text(rows, columns), "text/csv; charset=utf-8")


def etag_of(raw: bytes) -> str:
    """A strong validator of these bytes."""
    return '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'


def json_text(data: Any) -> str:
    """Compact, valid JSON (UTF-8 kept, numpy and dates converted, no NaN/Infinity)."""
    return export_json_text(data)
