"""Pinned upstream data files: the registry, fetching, verification and readers."""

from leftbehind.sources.registry import Source, load_registry, source_by_id

__all__ = ["Source", "load_registry", "source_by_id"]
