"""The password policy (ASVS 2.1): every rule refuses what it should, and a good password passes."""

from __future__ import annotations

import pytest

from hub.accounts.passwords import MAX_LENGTH, MIN_LENGTH, PasswordPolicyError, check_password_policy

GOOD = "paarse olifant danst op het dak"
LONG_PHRASE = "Tien kleine vogels zongen vrolijk boven de oude molen terwijl de wind door het riet en de wilgen blies"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("a1b2c3d4e5f", f"minstens {MIN_LENGTH} tekens"),  # one short
        ("x" * (MAX_LENGTH - 5) + "12345z", f"hoogstens {MAX_LENGTH} tekens"),  # one too long
        ("password1234", "veelgebruikte"),  # on the common list as it is
        ("Wachtwoord2026!", "veelgebruikte"),  # a Dutch common word with the usual digits and symbols around it
        ("!!Feyenoord1908", "veelgebruikte"),
        ("aaaaaaaaaaaaaaa", "veelgebruikte"),  # one character
        ("abababababababab", "veelgebruikte"),  # two characters
        ("123456789012", "veelgebruikte"),  # a run up, on through 9 -> 0
        ("abcdefghijklm", "veelgebruikte"),
        ("210987654321", "veelgebruikte"),
        ("zyxwvutsrqpon", "veelgebruikte"),  # a run down
        ("ik ben bea.bewind en dat blijft zo", "naam of e-mailadres"),  # the e-mail address's local part
        ("BeaBewindvoerder-2026!", "naam of e-mailadres"),  # the name without its spaces
        ("Bea Bewindvoerder 2026", "naam of e-mailadres"),  # the name with its spaces
        ("bea bewind is de naam", "naam of e-mailadres"),  # the local part with a space instead of its dot
        ("qwertyuiopas", "te makkelijk te raden"),  # a keyboard row
        ("mnbvcxzlkjhg", "te makkelijk te raden"),
        ("zomerzomerzomer1", "te makkelijk te raden"),  # a repeat
    ],
)
def test_each_rule_refuses(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyError, match=message):
        check_password_policy(password, email="bea.bewind@kantoor.example.nl", name="Bea Bewindvoerder")


@pytest.mark.parametrize(
    "password",
    [
        GOOD,
        "k9#Lm2!xQ7vR",  # exactly the minimum length
        LONG_PHRASE + "x" * (MAX_LENGTH - len(LONG_PHRASE)),  # exactly the maximum length
        "geen-samenstellingsregels",  # no composition rules: lower case letters only is fine
        "zomer-in-het-bos-1",  # a common word inside a longer phrase is fine
    ],
)
def test_good_passwords_pass(password: str) -> None:
    check_password_policy(password, email="bea.bewind@kantoor.example.nl", name="Bea Bewindvoerder")


def test_a_short_local_part_is_not_held_against_the_password() -> None:
    # "jan" in "januari" says nothing: local parts under four characters are not checked.
    check_password_policy("januari-regen-valt-zacht", email="jan@kantoor.example.nl")
