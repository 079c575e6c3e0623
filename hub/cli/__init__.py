"""The `hub` command: init, serve, worker, demo, migrate, org/convenant/user management, audit, retention, keys.

One module per group of commands (server, accounts, audit, keys); every command that touches the database opens it the
same way, through ``hub.runtime.open_runtime`` (see :mod:`hub.cli.common`). Only this package and app.py read the
configuration.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from crypto import CryptoError
from hub import migrate
from hub.accounts.roles import OrgKind, Role
from hub.cli import audit as audit_commands
from hub.cli import retention as retention_commands
from hub.cli.accounts import (
    cmd_convenant_add,
    cmd_org_add,
    cmd_org_list,
    cmd_user_add,
    cmd_user_disable,
    cmd_user_reset_mfa,
    cmd_user_reset_password,
)
from hub.cli.common import CliError
from hub.cli.keys import (
    cmd_keys_remove,
    cmd_keys_rewrap,
    cmd_keys_rotate,
    cmd_keys_status,
    key_status,
    remove_key,
    rewrap_keys,
    rotate_keys,
)
from hub.cli.server import DEMO_MARKER, cmd_demo, cmd_init, cmd_migrate, cmd_serve, cmd_worker
from hub.config import ConfigError, load_settings
from hub.errors import ValidationError
from hub.logs import configure_logging
from hub.version import VERSION

__all__ = [
    "DEMO_MARKER",
    "CliError",
    "build_parser",
    "key_status",
    "main",
    "remove_key",
    "rewrap_keys",
    "rotate_keys",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="The beveiligde omgeving for gemeenten and bewind.")
    parser.add_argument("--version", action="version", version=f"hub {VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create the data dir and keyring, migrate the database").set_defaults(fn=cmd_init)
    p = sub.add_parser("migrate", help="migrate the database (default: to the newest revision)")
    p.add_argument("revision", nargs="?", default="head")
    p.add_argument("--downgrade", action="store_true", help="go down to REVISION")
    p.set_defaults(fn=cmd_migrate)
    sub.add_parser("serve", help="serve the hub on HUB_HOST:HUB_PORT").set_defaults(fn=cmd_serve)
    p = sub.add_parser("worker", help="send notification mails and run the term sweeps (see HUB_WORKER)")
    p.add_argument("--once", action="store_true", help="sweep once, send what is due, then stop")
    p.set_defaults(fn=cmd_worker)
    p = sub.add_parser("demo", help="a fresh demo hub with a user for every role, then serve it")
    p.add_argument("--no-serve", action="store_true", help="only create the demo data")
    p.set_defaults(fn=cmd_demo)

    org = sub.add_parser("org", help="organisations").add_subparsers(dest="org_command", required=True)
    p = org.add_parser("add", help="add an organisation")
    p.add_argument("--kind", required=True, choices=[k.value for k in OrgKind])
    p.add_argument("--name", required=True)
    p.add_argument("--contact-person", default="")
    p.add_argument("--contact-email", default="")
    p.set_defaults(fn=cmd_org_add)
    org.add_parser("list", help="list organisations").set_defaults(fn=cmd_org_list)

    conv = sub.add_parser("convenant", help="convenanten").add_subparsers(dest="conv_command", required=True)
    p = conv.add_parser("add", help="add a convenant between a gemeente and a kantoor")
    p.add_argument("--gemeente", required=True, help="name or id")
    p.add_argument("--kantoor", required=True, help="name or id")
    p.add_argument("--start", required=True, help="YYYY-MM-DD")
    p.add_argument("--end", default="", help="YYYY-MM-DD")
    p.set_defaults(fn=cmd_convenant_add)

    user = sub.add_parser("user", help="user accounts").add_subparsers(dest="user_command", required=True)
    p = user.add_parser(
        "add",
        help="add a user: a functioneel_beheerder gets a one-time password printed (or --password-stdin), "
        "any other role an enrolment link by mail",
    )
    p.add_argument("--organisation", required=True, help="name or id")
    p.add_argument("--name", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--role", required=True, action="append", choices=[r.value for r in Role])
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(fn=cmd_user_add)
    p = user.add_parser("disable", help="disable a user and end their sessions")
    p.add_argument("email")
    p.add_argument("--enable", action="store_true", help="enable again instead")
    p.set_defaults(fn=cmd_user_disable)
    p = user.add_parser("reset-mfa", help="remove a user's authenticator; they enrol again")
    p.add_argument("email")
    p.set_defaults(fn=cmd_user_reset_mfa)
    p = user.add_parser(
        "reset-password",
        help="a functioneel_beheerder gets a new one-time password printed, any other user an enrolment link by mail",
    )
    p.add_argument("email")
    p.set_defaults(fn=cmd_user_reset_password)

    audit_commands.add_commands(sub)
    retention_commands.add_commands(sub)
    keys = sub.add_parser("keys", help="the keyring: rotation and status").add_subparsers(
        dest="keys_command", required=True
    )
    keys.add_parser("rotate", help="add a new primary key and rewrap every data key").set_defaults(fn=cmd_keys_rotate)
    keys.add_parser("rewrap", help="rewrap data keys not yet wrapped by the primary key").set_defaults(
        fn=cmd_keys_rewrap
    )
    p = keys.add_parser("status", help="how many data keys each key wraps")
    p.add_argument("-v", "--verbose", action="store_true", help="also per table and column")
    p.set_defaults(fn=cmd_keys_status)
    p = keys.add_parser("remove", help="remove a key that wraps nothing any more")
    p.add_argument("key_id")
    p.set_defaults(fn=cmd_keys_remove)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.umask(0o077)  # database, blobs and mail files are readable by the hub's own user only
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        args.fn(settings, args)
    except (ConfigError, CliError, CryptoError, migrate.NotMigrated) as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for field, message in exc.errors.items():
            print(f"hub: {field}: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
