"""``python -m leftbehind``."""

if __name__ == "__main__":
    from leftbehind.cli.main import app

    app(prog_name="leftbehind")
