"""The audit actions live in one place (hub.audit.actions): every action the code writes is listed there, and the
README's table describes every one of them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from hub.accounts.enrolment import AccountEvent
from hub.audit import actions, auth_events
from hub.webhooks.models import EventType

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = sorted({name.split(".")[0] for name in actions.ACTIONS})
ACTION_LIKE = re.compile(rf"^({'|'.join(PREFIXES)})\.[a-z_]+$")


def action_literals() -> dict[str, str]:
    """Every string constant in hub/ shaped like an action (``case.view``), with where it is; not a column
    reference such as ``organisation.id``."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "hub").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and ACTION_LIKE.match(node.value):
                if not node.value.endswith(".id"):
                    found.setdefault(node.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_action_written_is_listed() -> None:
    written = action_literals()
    assert {"case.view", "thread.assign", "thread.close", "auth.login"} <= set(written)  # the scan sees them
    events = {e.value for e in EventType}  # webhook event types (message.created, ...) are shaped alike
    assert {a: where for a, where in written.items() if a not in actions.ACTIONS and a not in events} == {}


def test_account_and_authentication_events_are_listed() -> None:
    assert {f"user.{event.value}" for event in AccountEvent} <= set(actions.ACTIONS)
    constants = {v for k, v in vars(auth_events).items() if k.isupper() and isinstance(v, str) and "." in v}
    assert constants and constants <= set(actions.ACTIONS)


def test_names_fit_the_column_and_labels_are_dutch_words() -> None:
    for name, label in actions.ACTIONS.items():
        assert len(name) <= 40 and re.fullmatch(r"[a-z]+\.[a-z_]+", name), name
        assert label and label[0].isupper(), name


def test_the_readme_describes_every_action_and_search_kind() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [name for name in actions.ACTIONS if f"`{name}`" not in readme]
    assert missing == []
    assert [kind for kind in actions.SEARCH_KINDS if f"`{kind}`" not in readme] == []
