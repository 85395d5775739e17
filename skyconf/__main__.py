"""`python -m skyconf` runs the command line."""

from skyconf.cli import main

main()
