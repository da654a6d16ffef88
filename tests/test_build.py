"""The evidence store build: contents, incrementality, atomicity and refusal of bad input."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import shapely

from leftbehind.settings import fresh_settings
from leftbehind.sources.registry import source_by_id
from leftbehind.store.build import build_store


def run_cli(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "LEFTBEHIND_HOME": str(home), **env}
    environ.pop("LEFTBEHIND_MIRROR", None)
    return subprocess.run(
        [sys.executable, "-m", "leftbehind", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=600,
    )


def test_store_holds_every_geography(con: duckdb.DuckDBPyConnection):
    counts = dict(con.execute("SELECT type, count(*) FROM areas GROUP BY type").fetchall())
    assert counts["lsoa11"] == 34753
    assert counts["lsoa21"] == 35672
    assert counts["ward17"] == 7433
    assert counts["msoa11"] == 7201
    assert counts["iz11"] == 1279
    assert counts["soa11"] == 890
    assert counts["region"] == 9
    assert counts["country"] == 4
    becontree = con.execute(
        "SELECT name, ltla_code, region_code, country_code FROM areas "
        "WHERE code = 'E05000028' AND type = 'ward17'"
    ).fetchone()
    assert becontree == ("Becontree", "E09000002", "E12000007", "E92000001")
    greater_manchester = con.execute(
        "SELECT parent_code, region_code FROM areas WHERE code = 'E47000001' AND type = 'cauth19'"
    ).fetchone()
    assert greater_manchester == ("E12000002", "E12000002")  # North West
    no_region = con.execute(
        "SELECT count(*) FROM areas WHERE type IN ('utla19', 'cauth19', 'ltla19', 'ward17') "
        "AND code LIKE 'E%' AND region_code IS NULL"
    ).fetchone()[0]
    assert no_region == 0


def test_published_flags_and_populations(con: duckdb.DuckDBPyConnection):
    assert (
        con.execute(
            "SELECT count(*) FROM cni2019_england_ward17 WHERE published_left_behind"
        ).fetchone()[0]
        == 225
    )
    residents = con.execute("SELECT sum(residents) FROM population21_lsoa21").fetchone()[0]
    assert 59_500_000 < residents < 59_700_000  # England and Wales, Census 2021
    mid19 = con.execute(
        "SELECT sum(total_population) FROM population19_lsoa11 WHERE lsoa11_code LIKE 'E%'"
    ).fetchone()[0]
    assert 56_200_000 < mid19 < 56_400_000  # England, mid-2019: 56,286,961


def test_ward17_boundaries_are_dissolved_from_lsoas(con: duckdb.DuckDBPyConnection):
    rows = con.execute("SELECT code, geometry FROM boundaries WHERE type = 'ward17'").fetchall()
    assert len(rows) >= 7420
    geoms = shapely.from_wkb([g for _, g in rows])
    assert shapely.is_valid(geoms).all()
    area = dict(zip([c for c, _ in rows], shapely.area(geoms), strict=True))
    lsoas = con.execute(
        "SELECT b.geometry FROM boundaries b JOIN lookup_lsoa11_ward17 l "
        "ON l.lsoa11_code = b.code WHERE b.type = 'lsoa11' AND l.ward17_code = 'E05000028'"
    ).fetchall()
    lsoa_area = shapely.area(shapely.from_wkb([g for (g,) in lsoas])).sum()
    assert area["E05000028"] == pytest.approx(lsoa_area, rel=0.02)


def test_every_column_is_documented(con: duckdb.DuckDBPyConnection):
    undocumented = con.execute(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c "
        "LEFT JOIN table_docs d USING (table_name, column_name) WHERE d.meaning IS NULL"
    ).fetchall()
    assert undocumented == []


def test_warm_rebuild_is_a_no_op(store_path: Path):
    before = store_path.stat().st_mtime_ns
    result = build_store(fresh_settings())
    assert result.rebuilt is False
    assert store_path.stat().st_mtime_ns == before


def corrupt_mirror(mirror_dir: Path, tmp_path: Path, source_id: str) -> Path:
    """A mirror of symlinks to the real files, with one file replaced by a damaged copy."""
    mirror = tmp_path / "mirror"
    for path in mirror_dir.rglob("*.rda"):
        link = mirror / path.relative_to(mirror_dir)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(path)
    victim = mirror / source_by_id(source_id).mirror_path
    data = victim.read_bytes()
    victim.unlink()
    victim.write_bytes(data[: len(data) // 2])
    return mirror


def test_corrupt_mirror_is_refused_by_fetch_and_build(mirror_dir: Path, tmp_path: Path):
    mirror = corrupt_mirror(mirror_dir, tmp_path, "imd2019_england_lsoa11")
    home = tmp_path / "home"
    home.mkdir()
    existing = home / "leftbehind.duckdb"
    existing.write_bytes(b"an existing store that must survive")

    fetched = run_cli("sources", "fetch", "--force", "--mirror", str(mirror), home=home)
    assert fetched.returncode != 0
    assert "imd2019_england_lsoa11" in fetched.stderr and "sha256" in fetched.stderr
    assert "Traceback" not in fetched.stderr + fetched.stdout

    built = run_cli("build", "--mirror", str(mirror), home=home)
    assert built.returncode != 0
    assert "imd2019_england_lsoa11" in built.stderr and "sha256" in built.stderr
    assert "Traceback" not in built.stderr + built.stdout
    assert existing.read_bytes() == b"an existing store that must survive"


def test_missing_mirror_file_is_named(mirror_dir: Path, tmp_path: Path):
    mirror = corrupt_mirror(mirror_dir, tmp_path, "ruc11_lsoa11")
    (mirror / source_by_id("ruc11_lsoa11").mirror_path).unlink()
    result = run_cli("sources", "fetch", "--mirror", str(mirror), home=tmp_path / "home")
    assert result.returncode != 0
    assert "ruc11_lsoa11" in result.stderr and "not in the mirror" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_of_a_fresh_home_is_atomic_on_parse_failure(
    store_home: Path, mirror_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A file that verifies but cannot be parsed stops the build before any store is written
    (the verified raw files are copied from the test home)."""
    import leftbehind.store.build as build_module

    def broken_parse(*_args, **_kwargs):
        from leftbehind.errors import CorruptSource

        raise CorruptSource("source 'x': cannot read it")

    home = tmp_path / "home"
    home.mkdir()
    shutil.copytree(store_home / "cache" / "raw", home / "cache" / "raw")
    monkeypatch.setattr(build_module, "_parse_all", broken_parse)
    settings = fresh_settings(home=home, mirror=mirror_dir)
    from leftbehind.errors import CorruptSource

    with pytest.raises(CorruptSource):
        build_store(settings)
    assert not settings.store_path.exists()
    assert not list(home.glob(".leftbehind.duckdb.*"))


def test_rebuild_keeps_an_old_store_s_grants_until_moved(
    store_path: Path, tmp_path: Path, mirror_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """Grants imported into a store built before grants moved to the community database
    survive a full rebuild (as ``legacy_*`` tables) and are then moved across, once.

    The rebuild loads every source and writes the store as always; only the derived stages
    (two minutes, tested on the shared store) are left out, as they neither read nor write the
    grants."""
    from leftbehind.community import Community
    from leftbehind.community.schema import upgrade
    from leftbehind.funding.grants_store import move_legacy
    from leftbehind.store import stages

    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").symlink_to(store_path.parent / "cache", target_is_directory=True)
    shutil.copyfile(store_path, home / "leftbehind.duckdb")
    with duckdb.connect(str(home / "leftbehind.duckdb")) as con:
        con.execute(
            "CREATE TABLE grant_imports (source_file VARCHAR, source_sha256 VARCHAR, rows INTEGER,"
            " first_imported_at TIMESTAMP)"
        )
        con.execute(
            "INSERT INTO grant_imports VALUES ('demo.csv', 'abc123', 1, TIMESTAMP '2026-01-01')"
        )
        con.execute(
            "CREATE TABLE grant_rejects (source_file VARCHAR, source_sha256 VARCHAR, "
            "row_number INTEGER, identifier VARCHAR, action VARCHAR, reason VARCHAR)"
        )
        con.execute(
            "CREATE TABLE grants AS SELECT 'D-1' AS identifier, 'demo.csv' AS source_file, "
            "'abc123' AS source_sha256, 2 AS row_number, 'A hall' AS title, 'GB-F' AS funder_id, "
            "'F' AS funder_name, NULL::VARCHAR AS recipient_id, 'R' AS recipient_name, "
            "NULL::VARCHAR AS recipient_postcode, DATE '2020-01-01' AS award_date, "
            "2020 AS award_year, 10.5::DOUBLE AS amount, 'GBP' AS currency, "
            "10.5::DOUBLE AS amount_gbp, NULL::VARCHAR AS beneficiary_codes, "
            "NULL::VARCHAR AS recipient_location_codes, 'unlocated' AS location_method, "
            "NULL::VARCHAR AS location_geography, NULL::VARCHAR AS location_code, "
            "NULL::VARCHAR AS lsoa21_code, NULL::VARCHAR AS lsoa11_code, "
            "NULL::VARCHAR AS ward_code, NULL::VARCHAR AS ltla_code, 'E' AS country, "
            "'no beneficiary code, recipient location code or postcode' AS location_note, "
            "false AS apportioned"
        )
    monkeypatch.setattr(stages, "DERIVED_STAGES", [])
    result = build_store(fresh_settings(home=home, mirror=mirror_dir), force=True)
    assert result.rebuilt
    with duckdb.connect(str(home / "leftbehind.duckdb"), read_only=True) as con:
        tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        rows = con.execute("SELECT source_file, source_sha256 FROM legacy_grant_imports").fetchall()
    assert "boundaries" in tables and "build_manifest" in tables  # a whole store was written
    assert rows == [("demo.csv", "abc123")]
    assert "grants" not in tables and "legacy_grants" in tables
    assert "legacy_grant_rejects" not in tables  # empty: nothing to keep
    url = f"sqlite:///{home / 'community.sqlite3'}"
    upgrade(url)
    community = Community(url)
    try:
        moved = move_legacy(community, home / "leftbehind.duckdb")
        assert (moved.grants, moved.files) == (1, 1)
        assert not move_legacy(community, home / "leftbehind.duckdb")  # once
    finally:
        community.dispose()
