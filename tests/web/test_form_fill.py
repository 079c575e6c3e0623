"""Putting kept values back into one form of a page (hub.web.form_fill): only that form, only the fields a person
types or chooses; hidden tokens, passwords and files untouched; everything else byte for byte."""

from __future__ import annotations

from hub.web.form_fill import fill_form
from hub.web.kept_forms import keepable

PAGE = """<!doctype html><html><body>
<form method="post" action="/uitloggen"><input type="hidden" name="csrf_token" value="nieuw"></form>
<form method="post" action="/berichten/1/reageren?x=1" enctype="multipart/form-data">
  <input type="hidden" name="csrf_token" value="nieuw">
  <input type="hidden" name="form_token" value="vers">
  <textarea id="body" name="body" rows="8"></textarea>
  <input type="radio" name="kind" value="bericht" checked>
  <input type="radio" name="kind" value="procesafspraak">
  <input id="agreed_date" name="agreed_date" type="date" value="">
  <input type="checkbox" name="roles" value="a"><input type="checkbox" name="roles" value="b" checked>
  <select name="doc_type"><option value="">Kies</option><option value="overig">Overig</option></select>
  <input type="password" name="password" value="">
  <input type="file" name="file">
</form>
<form method="post" action="/berichten/2/reageren"><textarea name="body">ander</textarea></form>
</body></html>"""


def test_only_the_form_that_posts_to_the_kept_path_is_filled() -> None:
    fields = [
        ("body", 'Een tekst met <tags> & "quotes"'),
        ("kind", "procesafspraak"),
        ("agreed_date", "2026-12-24"),
        ("roles", "a"),
        ("doc_type", "overig"),
        ("password", "geheim"),
        ("csrf_token", "oud"),
    ]
    filled, found = fill_form(PAGE, "/berichten/1", "/berichten/1/reageren", fields)
    assert found
    assert '<textarea id="body" name="body" rows="8">Een tekst met &lt;tags&gt; &amp; "quotes"</textarea>' in filled
    assert '<input type="radio" name="kind" value="bericht">' in filled
    assert '<input type="radio" name="kind" value="procesafspraak" checked>' in filled
    assert '<input id="agreed_date" name="agreed_date" type="date" value="2026-12-24">' in filled
    checkboxes = '<input type="checkbox" name="roles" value="a" checked><input type="checkbox" name="roles" value="b">'
    assert checkboxes in filled
    assert '<option value="overig" selected>Overig</option>' in filled
    assert '<input type="password" name="password" value="">' in filled  # never a password
    assert filled.count('value="nieuw"') == 2 and 'value="oud"' not in filled  # tokens are the page's own
    assert '<textarea name="body">ander</textarea>' in filled  # another form on the page is left alone
    assert filled.startswith(PAGE[: PAGE.index('<form method="post" action="/berichten/1')])


def test_a_page_without_that_form_is_left_as_it_was() -> None:
    filled, found = fill_form(PAGE, "/berichten/3", "/berichten/3/reageren", [("body", "tekst")])
    assert not found and filled == PAGE


def test_secrets_tokens_and_empty_fields_are_never_kept() -> None:
    posted = [
        ("csrf_token", "t"),
        ("form_token", "f"),
        ("password", "p"),
        ("current_password", "p"),
        ("codes_password", "p"),
        ("code", "123456"),
        ("body", "  "),
        ("body", "tekst"),
        ("name", "Anna"),
    ]
    assert keepable(posted) == [("body", "tekst"), ("name", "Anna")]


def test_a_text_that_starts_with_a_new_line_keeps_it() -> None:
    filled, _ = fill_form(PAGE, "/berichten/2", "/berichten/2/reageren", [("body", "\nTweede regel")])
    assert '<textarea name="body">\n\nTweede regel</textarea>' in filled  # the browser drops only the first
