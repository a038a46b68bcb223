"""``python -m smilescope``: the same as the ``smilescope`` command."""

from smilescope.cli import main

main()
