"""The sources registry, fetching from a mirror, and sha256 verification."""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from leftbehind.errors import ChecksumMismatch, MissingSource, UnknownName
from leftbehind.sources.fetch import cached_path, fetch_source, is_verified, sha256_of
from leftbehind.sources.registry import load_registry, source_by_id


def fake_source(tmp_path: Path, content: bytes, sid: str = "demo_source"):
    mirror = tmp_path / "mirror"
    rel = f"github/example/{sid}.rda"
    (mirror / rel).parent.mkdir(parents=True)
    (mirror / rel).write_bytes(content)
    base = load_registry()[0]
    source = replace(
        base,
        id=sid,
        mirror_path=rel,
        sha256=hashlib.sha256(content).hexdigest(),
        bytes=len(content),
    )
    return source, mirror


def test_registry_rows_are_complete_and_pinned():
    sources = load_registry()
    # the manifest's files; the adopted additions: postcodes etc., public funds, assets, trends,
    # MSOA names, the UK-wide composite index
    assert len(sources) == 53 + 129 + 4 + 6 + 10 + 1 + 2
    assert len({s.id for s in sources}) == len(sources)
    for s in sources:
        assert re.fullmatch(r"[0-9a-f]{64}", s.sha256)
        assert re.fullmatch(r"[0-9a-f]{40}", s.commit)
        assert s.commit in s.url and s.url.startswith("https://raw.githubusercontent.com/")
        assert s.bytes > 0 and s.licence and s.attribution and s.description
    assert source_by_id("boundaries_lsoa11").reader == "rdata"
    assert source_by_id("imd2019_england_lsoa11").reader == "pyreadr"


def test_unknown_source_lists_valid_ones():
    with pytest.raises(UnknownName, match="cni2019_england_ward17"):
        source_by_id("imd2099")


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as handle:
        return {r["id"]: r for r in csv.DictReader(handle)}


def test_registry_matches_upstream_manifest(mirror_dir: Path):
    upstream = _rows(mirror_dir / "manifest.csv")
    registry = {s.id: s for s in load_registry()}
    assert set(upstream) <= set(registry), "every file of the manifest is in the registry"
    for sid, row in upstream.items():
        s = registry[sid]
        assert (s.url, s.sha256, s.bytes, s.mirror_path) == (
            row["url"],
            row["sha256"],
            int(row["bytes"]),
            row["mirror_path"],
        )


def test_adopted_additions_match_additions_csv(mirror_dir: Path):
    """Every registry file not in the manifest is an addition, pinned exactly as additions.csv
    lists it, licence included."""
    manifest = _rows(mirror_dir / "manifest.csv")
    additions = _rows(mirror_dir / "additions.csv")
    adopted = [s for s in load_registry() if s.id not in manifest]
    assert {s.id for s in adopted} <= set(additions), "a registry file is in neither list"
    assert {"ward_codes_2016_2026", "boundaries_wards22"} <= {s.id for s in adopted}
    postcode_files = {sid for sid in additions if sid.startswith("postcodes24_")}
    assert postcode_files <= {s.id for s in adopted}, "all of the postcode lookup is adopted"
    for s in adopted:
        row = additions[s.id]
        assert (s.repository, s.commit, s.path, s.url, s.sha256, s.bytes) == (
            row["repository"], row["commit"], row["path"], row["url"], row["sha256"],
            int(row["bytes"]),
        )  # fmt: skip
        assert (s.mirror_path, s.licence) == (row["mirror_path"], row["licence"])
        assert (mirror_dir / s.mirror_path).stat().st_size == s.bytes


def test_readers_and_tables_of_the_additions():
    assert source_by_id("postcodes24_rm").reader == "postcodes_json"
    assert source_by_id("postcodes24_rm").table == "postcodes24"
    assert source_by_id("postcodes24_wards").reader == "names_json"
    assert source_by_id("postcodes24_wards").table == "postcode_names24"
    assert source_by_id("ward_codes_2016_2026").reader == "csv"
    assert source_by_id("ward_codes_2016_2026").table == "ward_codes_2016_2026"


def test_fetch_from_mirror_copies_and_verifies(tmp_path: Path):
    source, mirror = fake_source(tmp_path, b"hello pinned world")
    cache = tmp_path / "cache"
    path = fetch_source(source, cache, mirror=mirror)
    assert path == cached_path(cache, source)
    assert path.read_bytes() == b"hello pinned world"
    assert is_verified(cache, source)
    assert sha256_of(path) == source.sha256


def test_fetch_refuses_a_mismatched_file_and_keeps_the_cache(tmp_path: Path):
    source, mirror = fake_source(tmp_path, b"original")
    cache = tmp_path / "cache"
    good = fetch_source(source, cache, mirror=mirror)
    (mirror / source.mirror_path).write_bytes(b"tampered")
    with pytest.raises(ChecksumMismatch) as info:
        fetch_source(source, cache, mirror=mirror, force=True)
    message = str(info.value)
    assert "demo_source" in message and "sha256" in message
    assert source.sha256 in message and hashlib.sha256(b"tampered").hexdigest() in message
    assert str(mirror / source.mirror_path) in message
    assert "\n" not in message
    assert good.read_bytes() == b"original"
    assert not list(good.parent.glob("*.tmp"))


def test_missing_mirror_file_says_which_and_how(tmp_path: Path):
    source, mirror = fake_source(tmp_path, b"x")
    (mirror / source.mirror_path).unlink()
    with pytest.raises(MissingSource, match=r"demo_source.*not in the mirror.*--mirror"):
        fetch_source(source, tmp_path / "cache", mirror=mirror)
