"""Documentation stays true: every command is in the README; the data model is current."""

from __future__ import annotations

from pathlib import Path

import click
import typer.main

from leftbehind.cli.main import app

REPO = Path(__file__).resolve().parents[1]


def command_paths(command: click.Command, prefix: tuple[str, ...] = ()) -> list[str]:
    if hasattr(command, "commands"):
        paths = []
        for name, sub in command.commands.items():
            paths += command_paths(sub, (*prefix, name))
        return paths
    return [" ".join(prefix)]


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text()
    commands = command_paths(typer.main.get_command(app))
    assert len(commands) >= 5
    missing = [c for c in commands if f"leftbehind {c}" not in readme]
    assert missing == [], f"commands not documented in README.md: {missing}"


def test_every_command_has_help_text():
    group = typer.main.get_command(app)
    assert hasattr(group, "commands")

    def walk(command: click.Command, name: str) -> list[str]:
        if hasattr(command, "commands"):
            return [n for k, sub in command.commands.items() for n in walk(sub, f"{name} {k}")]
        return [] if (command.help or "").strip() else [name]

    assert walk(group, "leftbehind") == []


def test_data_model_doc_matches_the_store(con):
    from leftbehind.store.docs import data_model_markdown

    committed = (REPO / "docs" / "data-model.md").read_text()
    assert committed.strip() == data_model_markdown(con).strip(), (
        "docs/data-model.md is stale: run 'leftbehind schema -o docs/data-model.md'"
    )
