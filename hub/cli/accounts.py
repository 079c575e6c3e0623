"""`hub org | convenant | user`: organisations, convenanten and user accounts."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from hub.accounts.auth import AuthService
from hub.accounts.enrolment import ONE_TIME_PASSWORD_VALID, AccountEvent, record_event
from hub.accounts.roles import Role
from hub.accounts.services import ConvenantService, OrganisationService, UserService
from hub.cli.common import CliError, in_transaction
from hub.config import Settings
from hub.db import utcnow
from hub.notifications.accountmail import OutboxAccountMailer
from hub.runtime import Runtime
from hub.web.forms import BadDate, invalid_date_message, parse_date


def cmd_org_add(settings: Settings, args: argparse.Namespace) -> None:
    from hub.accounts.roles import OrgKind

    async def work(db: AsyncSession, rt: Runtime) -> None:
        org = await OrganisationService(db).create(
            OrgKind(args.kind), args.name, contact_person=args.contact_person, contact_email=args.contact_email
        )
        print(f"Organisation {org.id} ({org.kind}) created.")

    in_transaction(settings, work)


def cmd_org_list(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession, rt: Runtime) -> None:
        for org in await OrganisationService(db).all():
            print(f"{org.id}  {org.kind:<22} {org.name}")

    in_transaction(settings, work)


async def org_by_name_or_id(db: Any, ref: str) -> Any:
    service = OrganisationService(db)
    org = await service.by_name(ref)
    if org is None:
        from hub.accounts.models import Organisation

        org = await db.get(Organisation, ref)
    if org is None:
        raise CliError(f"No organisation named or with id {ref!r}. See `hub org list`.")
    return org


def _date(raw: str, option: str) -> date:
    """A date option by the hub's one date rule (yyyy-mm-dd or dd-mm-jjjj)."""
    try:
        return parse_date(raw)
    except BadDate:
        raise CliError(f"{option}: {invalid_date_message()}") from None


def cmd_convenant_add(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession, rt: Runtime) -> None:
        gemeente = await org_by_name_or_id(db, args.gemeente)
        kantoor = await org_by_name_or_id(db, args.kantoor)
        conv = await ConvenantService(db).create(
            gemeente.id, kantoor.id, _date(args.start, "--start"), _date(args.end, "--end") if args.end else None
        )
        print(f"Convenant {conv.id} created.")

    in_transaction(settings, work)


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> None:
    """A functioneel beheerder (the operator's own bootstrap) gets a one-time password printed, or the one given on
    standard input. Any other account gets a single-use enrolment link mailed to its own address: the operator never
    learns a password for an account that may reach case content."""

    async def work(db: AsyncSession, rt: Runtime) -> None:
        org = await org_by_name_or_id(db, args.organisation)
        roles = {Role(r) for r in args.role}
        operator_only = roles == {Role.FUNCTIONEEL_BEHEERDER}
        if args.password_stdin and not operator_only:
            raise CliError(
                "--password-stdin is for a functioneel_beheerder only: "
                "any other account chooses its password through the mailed enrolment link."
            )
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        users = UserService(db, OutboxAccountMailer(db))
        user, initial = await users.create(
            org,
            name=args.name,
            email=args.email,
            roles=roles,
            password=password,
            must_change_password=password is None,
        )
        print(f"User {user.email} created in {org.name}.")
        if not operator_only:
            user.password_expires_at = utcnow()
            await record_event(db, users.mailer, None, user, AccountEvent.CREATED_ENROL)
            print("An enrolment link (valid 72 hours, single use) is mailed to the user's own address.")
            return
        if password is None:
            user.password_expires_at = utcnow() + ONE_TIME_PASSWORD_VALID
            await record_event(db, users.mailer, None, user, AccountEvent.CREATED)
            print(f"One-time password (to be changed at first login, valid 72 hours): {initial}")
        print("The user sets up the authenticator app at first login.")

    in_transaction(settings, work)


async def _user(db: Any, email: str) -> Any:
    user = await UserService(db).by_email(email)
    if user is None:
        raise CliError(f"No user with e-mail address {email!r}.")
    if not user.is_person:  # an organisation API token's integration actor never logs in: its token decides
        raise CliError(f"{email!r} is an API token's integration actor: revoke or make the token instead.")
    return user


def cmd_user_disable(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession, rt: Runtime) -> None:
        user = await _user(db, args.email)
        if args.enable and user.removed_at is not None:
            raise CliError(f"User {user.email} was removed by their administrator and stays blocked.")
        users = UserService(db, OutboxAccountMailer(db))
        await users.set_disabled(user, not args.enable, AuthService(db, rt.keyring))
        event = AccountEvent.UNBLOCKED if args.enable else AccountEvent.BLOCKED
        await record_event(db, users.mailer, None, user, event)
        print(f"User {user.email} {'enabled' if args.enable else 'disabled; all sessions ended'}.")

    in_transaction(settings, work)


def cmd_user_reset_mfa(settings: Settings, args: argparse.Namespace) -> None:
    async def work(db: AsyncSession, rt: Runtime) -> None:
        user = await _user(db, args.email)
        users = UserService(db, OutboxAccountMailer(db))
        await users.reset_mfa(user, AuthService(db, rt.keyring))
        await record_event(db, users.mailer, None, user, AccountEvent.MFA_RESET)
        print(f"MFA of {user.email} reset; all sessions ended. The user enrols again at the next login.")

    in_transaction(settings, work)


def cmd_user_reset_password(settings: Settings, args: argparse.Namespace) -> None:
    """A functioneel beheerder gets a one-time password printed; any other account an enrolment link by mail."""

    async def work(db: AsyncSession, rt: Runtime) -> None:
        user = await _user(db, args.email)
        users = UserService(db, OutboxAccountMailer(db))
        password = await users.reset_password(user, AuthService(db, rt.keyring))
        if user.role_set != {Role.FUNCTIONEEL_BEHEERDER}:
            user.password_expires_at = utcnow()
            await record_event(db, users.mailer, None, user, AccountEvent.PASSWORD_RESET_ENROL)
            print(f"Password of {user.email} reset; an enrolment link is mailed to the user's own address.")
            return
        await record_event(db, users.mailer, None, user, AccountEvent.PASSWORD_RESET)
        print(f"One-time password for {user.email} (to be changed at first login, valid 72 hours): {password}")

    in_transaction(settings, work)
