"""The `hub` command: init, serve, migrate, demo, org/convenant/user management, keys.

Only this module and app.py read the configuration.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from crypto import CryptoError, Keyring
from hub import migrate
from hub.accounts.auth import AuthService
from hub.accounts.roles import OrgKind, Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.config import ConfigError, Settings, load_settings
from hub.db import create_engine, session_factory, transaction
from hub.errors import ValidationError
from hub.keys import create_keyring, load_keyring

DEMO_MARKER = ".hub-demo"


class CliError(Exception):
    pass


def _prepare_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)


def cmd_init(settings: Settings, args: argparse.Namespace) -> None:
    _prepare_data_dir(settings)
    if settings.keyring_env:
        print("Keyring comes from HUB_KEYRING; no key file written.")
    elif settings.keyring_path.exists():
        load_keyring(settings.keyring_path)  # refuses wrong permissions
        print(f"Keyring present: {settings.keyring_path}")
    else:
        create_keyring(settings.keyring_path)
        print(f"Keyring created: {settings.keyring_path} (mode 0600). Back it up: without it no document can be read.")
    migrate.upgrade(settings.database_url)
    print("Database migrated to the newest version.")


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    if args.revision.startswith("-") or args.downgrade:
        migrate.downgrade(settings.database_url, args.revision)
    else:
        migrate.upgrade(settings.database_url, args.revision)
    print(f"Database at revision {args.revision}.")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from hub.app import create_app

    load_keyring(settings.keyring_path, settings.keyring_env)
    migrate.require_current(settings.database_url)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_level=settings.log_level,
        proxy_headers=True,
        server_header=False,
        access_log=False,
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    """The mail worker on its own (with HUB_WORKER=off for the `hub serve` processes); stops on SIGTERM/SIGINT."""
    import signal

    from hub.runtime import Runtime
    from hub.web.cookies import CookiePolicy
    from hub.worker import worker_for

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    migrate.require_current(settings.database_url)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        runtime = Runtime(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            keyring=keyring,
            cookies=CookiePolicy(https=settings.https),
        )
        worker = worker_for(runtime)
        try:
            if args.once:
                await worker.sweep()
                print(f"{await worker.drain()} mail(s) handled.")
                return
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop.set)
            await worker.run(stop)
        finally:
            await engine.dispose()

    asyncio.run(run())


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from hub import demo

    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            raise CliError(f"{data_dir} holds data that is not a demo; set HUB_DATA_DIR to an empty directory.")
        shutil.rmtree(data_dir)
    _prepare_data_dir(settings)
    (data_dir / DEMO_MARKER).write_text("made by `hub demo`; removed and remade at every run\n")
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    accounts = asyncio.run(demo.seed(settings.database_url, keyring, settings.blob_dir))
    demo.write_accounts(data_dir / "demo-accounts.json", accounts)
    demo.print_accounts(accounts, settings.base_url)
    print(f"Dezelfde lijst staat in {data_dir / 'demo-accounts.json'}")
    if not args.no_serve:
        cmd_serve(settings, args)


def _with_db(settings: Settings, work: Callable[[Any, Keyring], Awaitable[None]]) -> None:
    keyring = load_keyring(settings.keyring_path, settings.keyring_env)

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as db:
                await work(db, keyring)
        finally:
            await engine.dispose()

    asyncio.run(run())


def cmd_org_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        org = await OrganisationService(db).create(
            OrgKind(args.kind), args.name, contact_person=args.contact_person, contact_email=args.contact_email
        )
        print(f"Organisation {org.id} ({org.kind}) created.")

    _with_db(settings, work)


def cmd_org_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        for org in await OrganisationService(db).all():
            print(f"{org.id}  {org.kind:<22} {org.name}")

    _with_db(settings, work)


async def _org_by_name_or_id(db: Any, ref: str) -> Any:
    service = OrganisationService(db)
    org = await service.by_name(ref)
    if org is None:
        from hub.accounts.models import Organisation

        org = await db.get(Organisation, ref)
    if org is None:
        raise CliError(f"No organisation named or with id {ref!r}. See `hub org list`.")
    return org


def cmd_convenant_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        gemeente = await _org_by_name_or_id(db, args.gemeente)
        kantoor = await _org_by_name_or_id(db, args.kantoor)
        conv = await ConvenantService(db).create(
            gemeente.id, kantoor.id, date.fromisoformat(args.start), date.fromisoformat(args.end) if args.end else None
        )
        print(f"Convenant {conv.id} created.")

    _with_db(settings, work)


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        org = await _org_by_name_or_id(db, args.organisation)
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        user, initial = await UserService(db).create(
            org,
            name=args.name,
            email=args.email,
            roles={Role(r) for r in args.role},
            password=password,
            must_change_password=password is None,
        )
        print(f"User {user.email} created in {org.name}.")
        if password is None:
            print(f"One-time password (to be changed at first login): {initial}")
        print("The user sets up the authenticator app at first login.")

    _with_db(settings, work)


async def _user(db: Any, email: str) -> Any:
    user = await UserService(db).by_email(email)
    if user is None:
        raise CliError(f"No user with e-mail address {email!r}.")
    return user


def cmd_user_disable(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        user = await _user(db, args.email)
        await UserService(db).set_disabled(user, not args.enable, AuthService(db, keyring))
        print(f"User {user.email} {'enabled' if args.enable else 'disabled; all sessions ended'}.")

    _with_db(settings, work)


def cmd_user_reset_mfa(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        user = await _user(db, args.email)
        await UserService(db).reset_mfa(user, AuthService(db, keyring))
        print(f"MFA of {user.email} reset; all sessions ended. The user enrols again at the next login.")

    _with_db(settings, work)


def cmd_user_reset_password(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: Any, keyring: Keyring) -> None:
        user = await _user(db, args.email)
        password = await UserService(db).reset_password(user, AuthService(db, keyring))
        print(f"One-time password for {user.email} (to be changed at first login): {password}")

    _with_db(settings, work)


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> None:
    """Walk the audit chain; exit status 2 when it is broken. Needs no keyring: records hold no content."""
    from hub.audit.services import verify

    migrate.require_current(settings.database_url)

    async def run() -> Any:
        engine = create_engine(settings.database_url)
        try:
            async with transaction(session_factory(engine)) as db:
                return await verify(db)
        finally:
            await engine.dispose()

    result = asyncio.run(run())
    if not result.ok:
        raise CliError(
            f"audit log BROKEN at record {result.first_broken_seq} ({result.reason}); "
            f"{result.count} record(s) before it are intact."
        )
    print(f"Audit log intact: {result.count} record(s), every link verified.")


# -- keys --------------------------------------------------------------------------------------------------------

ROTATE_NEXT_STEPS = (
    "Next: restart every running hub process (serve, worker) so that it wraps new data keys with the new primary; "
    "then run `hub keys rewrap` once more (it catches what the old processes wrote meanwhile) and `hub keys status`. "
    "A key that wraps nothing any more can be removed with `hub keys remove KEY_ID`."
)


def _keyring_file(settings: Settings, action: str) -> Any:
    if settings.keyring_env:
        raise CliError(
            f"The keyring comes from HUB_KEYRING, so `hub keys {action}` cannot change it. Do it where HUB_KEYRING is "
            "kept: add a new random 32-byte key, make it the primary and keep the old keys; restart every hub "
            "process with the new value; then run `hub keys rewrap` and `hub keys status`."
        )
    return settings.keyring_path


async def _on_database(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    engine = create_engine(settings.database_url)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def rotate_keys(settings: Settings) -> tuple[str, str, Any]:
    """`hub keys rotate`: add a new primary KEK to the keyring file (saved atomically, 0600), then rewrap every
    data key. Returns (old primary, new primary, RewrapReport)."""
    from hub.keys import rewrap_all

    path = _keyring_file(settings, "rotate")
    keyring = load_keyring(path)
    old = keyring.primary_id
    new = keyring.add_primary()
    keyring.save(path)
    report = await _on_database(settings, lambda sessions: rewrap_all(sessions, keyring))
    return old, new, report


async def rewrap_keys(settings: Settings) -> Any:
    """`hub keys rewrap`: rewrap every data key not yet wrapped by the current primary (no new key)."""
    from hub.keys import rewrap_all

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    return await _on_database(settings, lambda sessions: rewrap_all(sessions, keyring))


async def key_status(settings: Settings) -> Any:
    """`hub keys status`: the KeyUsage (data keys per KEK id) for the configured keyring."""
    from hub.keys import key_usage

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)

    async def count(sessions: Any) -> Any:
        async with transaction(sessions) as db:
            return await key_usage(db, keyring)

    return await _on_database(settings, count)


async def remove_key(settings: Settings, key_id: str) -> None:
    """`hub keys remove KEY_ID`: forget a KEK, only when it is not the primary and wraps nothing."""
    from hub.keys import forget_key

    path = _keyring_file(settings, "remove")
    keyring = load_keyring(path)
    if key_id not in keyring.keys:
        raise CliError(f"Key {key_id!r} is not in the keyring ({', '.join(sorted(keyring.keys))}).")
    usage = await key_status(settings)
    forget_key(keyring, key_id, usage)
    keyring.save(path)


def _print_rewrap(report: Any) -> None:
    print(f"Rewrapped {report.total_rewrapped} data key(s) with primary key {report.primary}:")
    for column, count in sorted(report.rewrapped.items()):
        print(f"  {column:<32} {count}")
    print(f"Already wrapped by {report.primary}: {report.already_primary}.")
    if report.changed_meanwhile:
        print(
            f"Changed by the running hub meanwhile (left alone; run `hub keys rewrap` again): "
            f"{report.changed_meanwhile}."
        )
    if report.failed_count:
        print(f"NOT rewrapped, key did not unwrap: {report.failed_count} value(s), e.g.:")
        for table, column, row_id in report.failed[:10]:
            print(f"  {table}.{column} row {row_id}")


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    old, new, report = asyncio.run(rotate_keys(settings))
    print(f"New primary key {new} added to {settings.keyring_path} (previous primary: {old}). Back up this file.")
    _print_rewrap(report)
    print(ROTATE_NEXT_STEPS)
    if report.failed_count:
        raise CliError("some data keys could not be rewrapped; see above.")


def cmd_keys_rewrap(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    report = asyncio.run(rewrap_keys(settings))
    _print_rewrap(report)
    if report.failed_count:
        raise CliError("some data keys could not be rewrapped; see above.")


def cmd_keys_status(settings: Settings, args: argparse.Namespace) -> None:
    from hub.keys import MALFORMED

    migrate.require_current(settings.database_url)
    usage = asyncio.run(key_status(settings))
    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    print(f"{'key':<12} {'data keys':>10}")
    for key_id in sorted(set(keyring.keys) | set(usage.total)):
        marks = []
        if key_id == usage.primary:
            marks.append("primary")
        if key_id not in keyring.keys:
            marks.append("NOT IN THE KEYRING: these values cannot be read" if key_id != MALFORMED else "malformed")
        elif key_id != usage.primary and not usage.wraps(key_id):
            marks.append("wraps nothing: can be removed")
        print(f"{key_id:<12} {usage.wraps(key_id):>10}  {', '.join(marks)}".rstrip())
    if args.verbose:
        for column, counts in sorted(usage.by_column.items()):
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "empty"
            print(f"  {column:<32} {detail}")


def cmd_keys_remove(settings: Settings, args: argparse.Namespace) -> None:
    migrate.require_current(settings.database_url)
    asyncio.run(remove_key(settings, args.key_id))
    print(f"Key {args.key_id} removed from {settings.keyring_path}.")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="The beveiligde omgeving for gemeenten and bewind.")
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
    p = user.add_parser("add", help="add a user (a one-time password is printed unless --password-stdin)")
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
    p = user.add_parser("reset-password", help="give a user a new one-time password")
    p.add_argument("email")
    p.set_defaults(fn=cmd_user_reset_password)

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    audit.add_parser("verify", help="check the audit log's hash chain (exit status 2 when broken)").set_defaults(
        fn=cmd_audit_verify
    )
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
        logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
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
