"""The ``leftbehind`` command. Each feature registers its commands from its own module."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="leftbehind",
    help="Open evidence and funding platform for 'left behind' neighbourhoods.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# One module per feature; each defines ``register(app)``.
COMMAND_MODULES = [
    "leftbehind.cli.sources_cmd",
    "leftbehind.cli.build_cmd",
    "leftbehind.cli.identify_cmd",
    "leftbehind.cli.robustness_cmd",
    "leftbehind.cli.funding_cmd",
    "leftbehind.cli.funds_cmd",
    "leftbehind.cli.profile_cmd",
    "leftbehind.cli.briefing_cmd",
    "leftbehind.cli.search_cmd",
    "leftbehind.cli.trend_cmd",
    "leftbehind.cli.community_cmd",
    "leftbehind.cli.assets_cmd",
    "leftbehind.cli.serve_cmd",
]

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


if __name__ == "__main__":  # pragma: no cover
    app()
