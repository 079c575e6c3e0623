"""Put kept values back into one form of a rendered page (hub.web.kept_forms): text inputs, text areas, select
boxes, check boxes and radio buttons of the form that posts to a given path. Hidden fields (tokens), password and
file inputs are never touched. The rest of the page is left byte for byte as it was rendered."""

from __future__ import annotations

from collections import defaultdict, deque
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

SKIPPED_INPUTS = frozenset({"hidden", "file", "password", "submit", "button", "image", "reset"})
Attrs = list[tuple[str, str | None]]


def _tag(name: str, attrs: Attrs) -> str:
    parts = [name]
    for key, value in attrs:
        parts.append(key if value is None else f'{key}="{escape(value, quote=True)}"')
    return "<" + " ".join(parts) + ">"


def _with(attrs: Attrs, key: str, value: str | None, present: bool = True) -> Attrs:
    """``attrs`` without ``key``, and with ``key=value`` added when ``present``."""
    kept = [(k, v) for k, v in attrs if k != key]
    return [*kept, (key, value)] if present else kept


class _Elements(HTMLParser):
    """Start and end tags with their offsets in the document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.line_starts = [0]
        for index, char in enumerate(html):
            if char == "\n":
                self.line_starts.append(index + 1)
        self.events: list[tuple[str, str, Attrs, int, int]] = []  # (start|end, tag, attrs, begin, end)
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: Attrs) -> None:
        begin = self._offset()
        self.events.append(("start", tag, attrs, begin, begin + len(self.get_starttag_text() or "")))

    def handle_endtag(self, tag: str) -> None:
        begin = self._offset()
        self.events.append(("end", tag, [], begin, begin))


def fill_form(html: str, page_path: str, form_path: str, fields: list[tuple[str, str]]) -> tuple[str, bool]:
    """``html`` with the form posting to ``form_path`` filled from ``fields``; and whether such a form was found."""
    events = _Elements(html).events
    values: dict[str, deque[str]] = defaultdict(deque)
    for name, value in fields:
        values[name].append(value)
    chosen = set(fields)
    edits: list[tuple[int, int, str]] = []
    inside = found = False
    selected: set[str] | None = None  # the kept choice of the select being read; None: leave it as rendered
    textarea: tuple[str, int] | None = None
    for kind, tag, attrs, begin, end in events:
        attr = dict(attrs)
        if kind == "start" and tag == "form" and not found:
            action = urlsplit(attr.get("action") or page_path).path
            inside = found = action == form_path
            continue
        if not inside:
            continue
        if kind == "end" and tag == "form":
            break
        name = attr.get("name") or ""
        if kind == "start" and tag == "input" and name:
            input_type = (attr.get("type") or "text").lower()
            if input_type in SKIPPED_INPUTS:
                continue
            if input_type in ("checkbox", "radio"):
                on = (name, attr.get("value") or "on") in chosen
                edits.append((begin, end, _tag(tag, _with(attrs, "checked", None, on))))
            elif values.get(name):
                edits.append((begin, end, _tag(tag, _with(attrs, "value", values[name].popleft()))))
        elif kind == "start" and tag == "textarea" and values.get(name):
            textarea = (values[name].popleft(), end)
        elif kind == "end" and tag == "textarea" and textarea is not None:
            # A browser drops one newline right after <textarea>: keep a value's own leading newline.
            lead = "\n" if textarea[0].startswith(("\n", "\r")) else ""
            edits.append((textarea[1], begin, lead + escape(textarea[0], quote=False)))
            textarea = None
        elif kind == "start" and tag == "select":
            # Selects of one name (a type per file row) take the kept values in order, one each, as text inputs
            # do; a multiple select takes all of them.
            if "multiple" in attr:
                selected = set(values.pop(name)) if values.get(name) else None
            else:
                selected = {values[name].popleft()} if values.get(name) else None
        elif kind == "end" and tag == "select":
            selected = None
        elif kind == "start" and tag == "option" and selected is not None:
            on = (attr.get("value") or "") in selected
            edits.append((begin, end, _tag(tag, _with(attrs, "selected", None, on))))
    for begin, end, text in sorted(edits, reverse=True):
        html = html[:begin] + text + html[end:]
    return html, found
