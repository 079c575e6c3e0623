"""The accounts services, one import away: organisations and convenants (organisations.py), users (users.py)."""

from __future__ import annotations

from hub.accounts.email_rule import EMAIL_RE, valid_email
from hub.accounts.organisations import (
    CONVENANT_STATUSES,
    ConvenantService,
    OrganisationService,
    OwnContacts,
    PartnerContact,
)
from hub.accounts.users import ManagedUsers, OwnAccount, UserService, generate_initial_password

__all__ = [
    "CONVENANT_STATUSES",
    "EMAIL_RE",
    "ConvenantService",
    "ManagedUsers",
    "OrganisationService",
    "OwnAccount",
    "OwnContacts",
    "PartnerContact",
    "UserService",
    "generate_initial_password",
    "valid_email",
]
