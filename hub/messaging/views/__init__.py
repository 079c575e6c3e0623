"""The messaging pages: the inbox, a thread, the reply form (which may carry a file), a new question.

URLs carry no personal data: tabs and filters are fixed words, opaque ids or a case reference number, and redirects
after a POST carry a fixed key (``?gelukt=...``). Another organisation's thread does not exist for the user (404), for
reading and posting alike. Every route is named (``messaging.*``); pages and templates build URLs from the names.
"""

from __future__ import annotations

from starlette.routing import Route

from hub.messaging.views.inbox import inbox_page
from hub.messaging.views.new_question_files import NEW_UPLOAD_ROUTE, new_submit_any
from hub.messaging.views.reply import thread_reply
from hub.messaging.views.threads import new_page, thread_assign, thread_close, thread_page

# The reply form's route: its multipart body is parsed by a streaming parser that checks the CSRF token (the first
# part) before it accepts anything else, so the CSRF middleware lets multipart through on this route (and on
# NEW_UPLOAD_ROUTE: a new question on a case with files).
REPLY_UPLOAD_ROUTE = "messaging.reply"

routes = [
    Route("/berichten", inbox_page, methods=["GET"], name="messaging.inbox"),
    Route("/berichten/nieuw", new_page, methods=["GET"], name="messaging.new"),
    Route("/berichten/nieuw", new_submit_any, methods=["POST"], name=NEW_UPLOAD_ROUTE),
    Route("/berichten/{thread_id}", thread_page, methods=["GET"], name="messaging.thread"),
    Route("/berichten/{thread_id}/reageren", thread_reply, methods=["POST"], name=REPLY_UPLOAD_ROUTE),
    Route("/berichten/{thread_id}/toewijzen", thread_assign, methods=["POST"], name="messaging.assign"),
    Route("/berichten/{thread_id}/afronden", thread_close, methods=["POST"], name="messaging.close"),
]

__all__ = ["NEW_UPLOAD_ROUTE", "REPLY_UPLOAD_ROUTE", "routes"]
