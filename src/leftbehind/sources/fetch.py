"""Fetch sources into the cache (from a mirror or the network) and verify their sha256."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from leftbehind.atomic import fetch_prefix
from leftbehind.errors import ChecksumMismatch, MissingSource
from leftbehind.sources.registry import Source

CHUNK = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def cached_path(cache_dir: Path, source: Source) -> Path:
    """Where a source lives in the cache: ``raw/<id>/<sha256><suffix>`` (``.rda``, ``.csv``,
    ``.json`` as upstream)."""
    suffix = Path(source.path).suffix or ".rda"
    return cache_dir / "raw" / source.id / f"{source.sha256}{suffix}"


def check_sha256(source: Source, path: Path) -> None:
    actual = sha256_of(path)
    if actual != source.sha256:
        raise ChecksumMismatch(
            f"source '{source.id}': sha256 mismatch for {path} "
            f"(expected {source.sha256}, got {actual}); "
            "replace the file with the pinned upstream copy or fetch again with --force"
        )


def is_verified(cache_dir: Path, source: Source) -> bool:
    path = cached_path(cache_dir, source)
    return path.exists() and sha256_of(path) == source.sha256


def _atomic_place(tmp: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)


def _download(source: Source, dest: Path) -> None:
    import httpx

    try:
        with httpx.stream("GET", source.url, follow_redirects=True, timeout=60) as response:
            response.raise_for_status()
            with dest.open("wb") as handle:
                for chunk in response.iter_bytes(CHUNK):
                    handle.write(chunk)
    except httpx.HTTPError as exc:
        raise MissingSource(
            f"source '{source.id}': could not download {source.url} ({exc}); "
            "check the network or pass --mirror DIR (or set LEFTBEHIND_MIRROR)"
        ) from None


def fetch_source(
    source: Source, cache_dir: Path, mirror: Path | None = None, force: bool = False
) -> Path:
    """Make sure ``source`` is in the cache with the pinned sha256 and return its path.

    The file is copied (mirror) or downloaded (network) to a temporary file, verified, then
    renamed into place, so a failed fetch never leaves a bad file in the cache.
    """
    target = cached_path(cache_dir, source)
    if target.exists() and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=fetch_prefix(), suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if mirror is not None:
            origin = Path(mirror) / source.mirror_path
            if not origin.exists():
                raise MissingSource(
                    f"source '{source.id}': not in the mirror at {origin}; "
                    f"copy it from {source.url} or drop --mirror to download it"
                )
            shutil.copyfile(origin, tmp)
        else:
            _download(source, tmp)
        origin_name = Path(mirror) / source.mirror_path if mirror is not None else source.url
        actual = sha256_of(tmp)
        if actual != source.sha256:
            raise ChecksumMismatch(
                f"source '{source.id}': sha256 mismatch for {origin_name} "
                f"(expected {source.sha256}, got {actual}); "
                "replace it with the pinned upstream file"
            )
        _atomic_place(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def fetch_all(
    sources: tuple[Source, ...],
    cache_dir: Path,
    mirror: Path | None = None,
    force: bool = False,
    on_progress: Callable[[Source], None] | None = None,
) -> list[Path]:
    """Fetch every source, all-or-nothing per file. Verifies all before returning."""
    paths = []
    for source in sources:
        paths.append(fetch_source(source, cache_dir, mirror=mirror, force=force))
        if on_progress is not None:
            on_progress(source)
    return paths
