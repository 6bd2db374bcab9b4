"""`python -m archive <command>`: tools that work on a finished ARCHIVE_DIR.

Each subcommand is one entry in COMMANDS: a module with HELP, a function that adds its
arguments and a function that runs it and returns the exit status. New tools add an entry
and do not touch the others. Runs in the crawl venv, so nothing here may import Scrapy or
pywb.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from archive import history, indexcmd, qa, replay, verify, wacz
from archive.catalog import cli_browse, cli_catalog, cli_search


@dataclass(frozen=True)
class Command:
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: dict[str, Command] = {
    name: Command(help=module.HELP, add_arguments=module.add_arguments, run=module.run)
    for name, module in (("replay", replay), ("verify", verify), ("wacz", wacz), ("qa", qa),
                         ("history", history), ("index", indexcmd), ("catalog", cli_catalog),
                         ("search", cli_search), ("browse", cli_browse))
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m archive", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        command.add_arguments(sub.add_parser(name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
