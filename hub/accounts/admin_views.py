"""User management, organisations and convenants, the routekaart and an organisation's own contact details.

Who may do what (checked in the services, hub.authz):
- the functioneel beheerder manages every organisation, convenant and user;
- a kantoorbeheerder manages the users of their own organisation only; any other user does not exist for
  them (404);
- a contractmanager keeps the routekaart (the partners' contact details, checked at least once a year, §1a.1);
- a kantoorbeheerder or contractmanager confirms or corrects their own organisation's contact details.

The pages live in admin_users.py, admin_organisations.py and admin_contacts.py; this module gathers their routes.
"""

from __future__ import annotations

from hub.accounts import admin_contacts, admin_organisations, admin_users

routes = [*admin_users.routes, *admin_organisations.routes, *admin_contacts.routes]
