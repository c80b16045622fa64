"""``python -m almodules``: the command-line interface (see :mod:`almodules.cli`)."""

from almodules.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
