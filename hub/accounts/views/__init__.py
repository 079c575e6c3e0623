"""The accounts pages: login, MFA and one's own account (account.py); user management (users.py), organisations and
convenants (organisations.py), the routekaart and an organisation's own contact details (contacts.py).

Who may do what is checked in the services (hub.accounts.authz):
- the functioneel beheerder manages every organisation and convenant, and adds each organisation's first
  administrator (who chooses a password through a mailed enrolment link, enrol.py);
- a kantoorbeheerder or gemeentebeheerder manages the users of their own organisation only; any other user does not
  exist for them (404);
- a contractmanager keeps the routekaart (the partners' contact details, checked at least once a year, §1a.1)
  and reads their gemeente's convenants (convenants.py);
- every case worker makes their own API tokens, an organisation's administrator its system tokens
  (api_tokens.py);
  and reads their gemeente's convenants, adding the signed convenant (convenants.py); a kantoorbeheerder reads the
  kantoor's;
- a kantoorbeheerder or contractmanager confirms or corrects their own organisation's contact details.
"""

from __future__ import annotations

from hub.accounts.views import (
    account,
    api_tokens,
    contacts,
    convenants,
    enrol,
    organisation_edit,
    organisations,
    recovery_codes,
    sessions,
    user_confirm,
    user_edit,
    user_search,
    users,
)

routes = [
    *account.routes,
    *sessions.routes,
    *recovery_codes.routes,
    *api_tokens.routes,
    *enrol.routes,
    *users.routes,
    *user_confirm.routes,
    *user_edit.routes,
    *organisations.routes,
    *organisation_edit.routes,
    *user_search.routes,
    *convenants.routes,
    *contacts.routes,
]
