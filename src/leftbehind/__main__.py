"""``python -m leftbehind``."""

from leftbehind.cli.main import app

app(prog_name="leftbehind")
