"""Typed settings with the LEFTBEHIND_ prefix."""

from __future__ import annotations

from pathlib import Path

import pytest

from leftbehind.settings import fresh_settings


def test_environment_with_the_prefix_sets_the_paths(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("LEFTBEHIND_HOME", str(tmp_path))
    monkeypatch.setenv("LEFTBEHIND_PORT", "8123")
    settings = fresh_settings()
    assert settings.home == tmp_path
    assert settings.port == 8123
    assert settings.store_path == tmp_path / "leftbehind.duckdb"
    assert settings.cache_dir == tmp_path / "cache"


def test_overrides_win_and_are_validated(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.setenv("LEFTBEHIND_HOME", str(tmp_path / "from-env"))
    settings = fresh_settings(home=str(tmp_path / "given"), mirror=None)
    assert settings.home == Path(tmp_path / "given")
    assert settings.mirror is None or isinstance(settings.mirror, Path)
    with pytest.raises(ValueError, match="port"):
        fresh_settings(port="not a port")
