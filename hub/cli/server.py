"""`hub init | migrate | serve | worker | demo`: setting a hub up and running it."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import shutil

from hub import migrate
from hub.audit import head as audit_head
from hub.cli.common import CliError, on_runtime, prepare_data_dir
from hub.config import Settings
from hub.documents.demo_scanner import start_demo_clamd
from hub.keys import create_keyring, load_keyring
from hub.runtime import Runtime

DEMO_MARKER = ".hub-demo"

log = logging.getLogger("hub.cli")

NO_SCANNER = (
    "HUB_CLAMD is not set: uploads would not be scanned for viruses. Set HUB_CLAMD to clamd's address (a unix "
    "socket path or host:port), or HUB_CLAMD=off to run without virus scanning on purpose."
)


def require_scanner_choice(settings: Settings) -> None:
    """`hub serve` runs with a scanner, or without one only when HUB_CLAMD=off says so (and then warns)."""
    if settings.scanning:
        return
    if not settings.clamd_off:
        raise CliError(NO_SCANNER)
    log.warning("HUB_CLAMD=off: uploads are NOT scanned for viruses. Set HUB_CLAMD to clamd's address to scan them.")


def cmd_init(settings: Settings, args: argparse.Namespace) -> None:
    prepare_data_dir(settings)
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
    if settings.object_storage is not None:
        from hub.documents.s3store import ensure_bucket  # botocore is heavy to import: only when it is used

        bucket = settings.object_storage.bucket
        try:
            created = asyncio.run(ensure_bucket(settings.object_storage))
        except Exception as exc:  # an unreachable endpoint, refused credentials: say which, without a traceback
            raise CliError(f"Object storage bucket {bucket!r} could not be checked or created: {exc}") from None
        print(f"Bucket {bucket!r} {'created' if created else 'present'}.")


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    if args.revision.startswith("-") or args.downgrade:
        migrate.downgrade(settings.database_url, args.revision)
    else:
        migrate.upgrade(settings.database_url, args.revision)
    print(f"Database at revision {args.revision}.")


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from hub.app import create_app

    require_scanner_choice(settings)
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
        forwarded_allow_ips=list(settings.trusted_proxies),  # HUB_TRUSTED_PROXIES: whose X-Forwarded-For counts
        server_header=False,
        access_log=False,
        log_config=None,  # uvicorn's lines go through the hub's handler (hub.logs): one format, with request ids
        # SIGTERM: stop accepting, let running requests (uploads) finish this long, then cancel them (each upload
        # then removes what it wrote and commits no row).
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    """The mail worker on its own (with HUB_WORKER=off for the `hub serve` processes); stops on SIGTERM/SIGINT."""
    import signal

    from hub.worker import worker_for

    keyring = load_keyring(settings.keyring_path, settings.keyring_env)
    migrate.require_current(settings.database_url)

    async def run(runtime: Runtime) -> None:
        async with runtime.transaction() as db:
            await audit_head.anchor(db, settings.audit_head_file)  # a hub upgraded to the head file
        worker = worker_for(runtime)
        if args.once:
            await worker.sweep()
            print(f"{await worker.drain()} mail(s) handled.")
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await worker.run(stop)

    on_runtime(settings, run, keyring=keyring)


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    from hub import demo

    data_dir = settings.data_dir
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / DEMO_MARKER).exists():
            raise CliError(f"{data_dir} holds data that is not a demo; set HUB_DATA_DIR to an empty directory.")
        shutil.rmtree(data_dir)
    prepare_data_dir(settings)
    (data_dir / DEMO_MARKER).write_text("made by `hub demo`; removed and remade at every run\n")
    keyring = create_keyring(settings.keyring_path)
    migrate.upgrade(settings.database_url)
    accounts = on_runtime(settings, demo.seed, keyring=keyring)
    demo.write_accounts(data_dir / "demo-accounts.json", accounts)
    demo.print_accounts(accounts, settings.base_url)
    print(f"Dezelfde lijst staat in {data_dir / 'demo-accounts.json'}")
    if args.no_serve:
        return
    if settings.scanning or settings.clamd_off:  # HUB_CLAMD given: the demo uses what it says
        cmd_serve(settings, args)
        return
    scanner = start_demo_clamd(data_dir / "clamd", settings.max_upload_bytes)
    if isinstance(scanner, str):
        print(f"Deze demo draait ZONDER virusscanner (HUB_CLAMD=off): {scanner}.")
        cmd_serve(dataclasses.replace(settings, clamd_off=True), args)
        return
    signatures = (
        "de handtekeningen van het systeem" if scanner.system_signatures else "alleen een EICAR-testhandtekening"
    )
    print(f"Virusscanner: clamd van de demo op {scanner.address}, met {signatures}.")
    try:
        cmd_serve(dataclasses.replace(settings, clamd=scanner.address), args)
    finally:
        scanner.stop()
