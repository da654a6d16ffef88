"""The web observatory: ``create_app(settings=None)`` builds the FastAPI app."""

from __future__ import annotations

from leftbehind.web.app import create_app

__all__ = ["create_app"]
