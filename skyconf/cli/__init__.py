"""The `skyconf` command line: parse options, call the library, print, set the exit code.

`common` holds what every command shares; each other module is one group of commands, imported
only when one of its commands runs.
"""

from skyconf.cli.main import main

__all__ = ["main"]
