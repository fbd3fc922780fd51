"""`celprice orgs set`: declare which member teams an organisation workspace pays for."""
from __future__ import annotations

import argparse
from typing import Any

from .common import OK, add_db_option

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "orgs",
        help="manage organisation workspaces in a ledger",
        description="Manage organisation workspaces: which member teams an organisation pays for.",
    )
    actions = p.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)
    s = actions.add_parser(
        "set",
        help="declare an organisation's member teams",
        description="Declare the member teams ORG pays for, replacing its earlier members (no TEAM: ORG is no "
        "organisation any more). Its breakdown then covers them, with spend per team. A team belongs to at most "
        "one organisation. Exit 0 on success, 1 when the ledger refuses, 2 on a usage error.",
    )
    add_db_option(s)
    s.add_argument("org", metavar="ORG", help="the organisation's workspace id")
    s.add_argument("teams", metavar="TEAM", nargs="*", default=[], help="a member team's id")
    s.set_defaults(run=run, command_parser=s)


def run(args: argparse.Namespace) -> int:
    from ..usage import Ledger  # only commands that open a ledger pay for importing it

    with Ledger(args.db) as ledger:
        ledger.set_members(args.org, args.teams)
    teams = sorted(set(args.teams))
    if teams:
        print(f"{args.org} pays for {len(teams)} team{'s' if len(teams) != 1 else ''}: {', '.join(teams)}")
    else:
        print(f"{args.org} pays for no member teams")
    return OK
