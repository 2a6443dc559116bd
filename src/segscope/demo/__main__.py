"""``python -m segscope.demo``: see :mod:`segscope.demo.cli`."""

from segscope.demo.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
