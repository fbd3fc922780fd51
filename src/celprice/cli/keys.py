"""`celprice keys create|list|revoke`: the API keys of `celprice serve`.

The plaintext of a key is printed once, by `create`, and stored nowhere.
"""
from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import Any

from ..isotime import parse_iso
from .common import FAILED, OK, UsageError, add_db_option, error

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "keys",
        help="create, list and revoke the API keys of 'celprice serve'",
        description="Manage the API keys that 'celprice serve' accepts. Each key is pinned to one team "
        "and carries scopes (billing:read, apps:read, billing, *; none: full access).",
    )
    actions = p.add_subparsers(title="actions", dest="action", metavar="ACTION", required=True)

    create = actions.add_parser(
        "create",
        help="make a key and print it (shown this once only)",
        description="Make a key for TEAM and print it alone on stdout (or, with --json, one JSON object). "
        "Exit 2 for an invalid scope or an expiry that is not in the future.",
    )
    add_db_option(create)
    create.add_argument("--team", required=True, help="the team (workspace) the key acts for")
    create.add_argument("--name", required=True, help="a label to recognise the key by")
    create.add_argument("--scopes", default="", metavar="A,B,...", help="comma-separated scopes (default: none, full access)")
    create.add_argument("--expires", metavar="ISO-8601", help="when the key stops working, e.g. 2027-01-01T00:00:00Z")
    create.add_argument("--json", action="store_true", help="print id, key, name, team_id, scopes, expires_at as JSON")
    create.set_defaults(run=_create)

    listing = actions.add_parser("list", help="list a team's keys, masked", description="List TEAM's keys, masked to their last four characters.")
    add_db_option(listing)
    listing.add_argument("--team", required=True)
    listing.add_argument("--json", action="store_true", help="one JSON array of keys")
    listing.set_defaults(run=_list)

    revoke = actions.add_parser(
        "revoke",
        help="revoke a key (refused from the next request on)",
        description="Revoke key ID: every server on this ledger refuses it from its next request on. "
        "Exit 1 when there is no such key.",
    )
    add_db_option(revoke)
    revoke.add_argument("id", metavar="ID", help="the key's id (key_...), as 'keys list' shows it")
    revoke.set_defaults(run=_revoke)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise UsageError("choose an action: create, list or revoke")


def _store(db: str) -> Any:
    from ..usage import Ledger
    from ..usage.keys import KeyStore

    return KeyStore(Ledger(db))


def _expiry(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = parse_iso(text)
    except ValueError:
        raise UsageError(f"--expires {text!r} is not an ISO 8601 time; write e.g. 2027-01-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise UsageError(f"--expires {text!r} has no timezone; give a time in UTC such as 2027-01-01T00:00:00Z")
    return moment


def _create(args: argparse.Namespace) -> int:
    from ..usage.keys import KeyRequestError

    expires = _expiry(args.expires)
    scopes = [scope for scope in args.scopes.split(",") if scope.strip()]
    store = _store(args.db)
    try:
        key, plaintext = store.create(args.team, args.name, scopes, expires_at=expires)
    except KeyRequestError as e:
        raise UsageError(str(e)) from None
    if args.json:
        record = key.to_json()
        record["key"] = plaintext
        print(json.dumps(record, ensure_ascii=False))
    else:
        print(plaintext)
    return OK


def _list(args: argparse.Namespace) -> int:
    from ..usage.keys import KeyRequestError

    try:
        keys = _store(args.db).list(args.team)
    except KeyRequestError as e:
        raise UsageError(str(e)) from None
    now = datetime.now(timezone.utc)
    if args.json:
        print(json.dumps([key.to_json() for key in keys], ensure_ascii=False))
        return OK
    rows = [("ID", "NAME", "KEY", "SCOPES", "EXPIRES")]
    for key in keys:
        expires = key.to_json()["expires_at"] or "never"
        rows.append((key.id, key.name, key.masked, ",".join(key.scopes) or "* (no scopes)",
                     f"{expires} (expired)" if key.expired(now) else expires))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[4])
    return OK


def _revoke(args: argparse.Namespace) -> int:
    from ..usage.keys import KeyNotFound

    try:
        key = _store(args.db).revoke(args.id)
    except KeyNotFound as e:
        error(f"celprice keys revoke: {e}")
        return FAILED
    print(f"revoked {key.id} ({key.name}, team {key.team_id})")
    return OK
