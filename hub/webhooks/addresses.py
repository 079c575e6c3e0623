"""Where a webhook may be sent: https only, and never to a loopback, private, link-local or otherwise non-public
address after DNS resolution (SSRF: the hub must not become a way into the network it runs in). The check runs
when an endpoint is added and again before every delivery (a name may resolve elsewhere later).

``HUB_WEBHOOK_ALLOW_PRIVATE=true`` lifts both rules (plain http and private addresses), for tests and on-premise
receivers only.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

MAX_URL = 500


class AddressRefused(ValueError):
    """The URL may not be called; the message is Dutch and names no address."""


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def check_form(url: str, *, allow_private: bool) -> tuple[str, int]:
    """The URL's host and port if its form is acceptable; else :class:`AddressRefused`."""
    if not url or len(url) > MAX_URL or any(c.isspace() or ord(c) < 32 for c in url):
        raise AddressRefused(f"Vul een geldig webadres in van ten hoogste {MAX_URL} tekens.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise AddressRefused("Dit is geen geldig webadres.") from exc
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise AddressRefused("Het webadres moet met https:// beginnen.")
    if parts.username or parts.password:
        raise AddressRefused("Een webadres met gebruikersnaam of wachtwoord is niet toegestaan.")
    if parts.fragment:
        raise AddressRefused("Een webadres met # is niet toegestaan.")
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


async def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL the hub may not call (:class:`AddressRefused`); resolve its name and check every address."""
    host, port = check_form(url, allow_private=allow_private)
    if allow_private:
        return
    literal = _ip(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise AddressRefused("De naam in het webadres is niet te vinden.") from exc
        addresses = [a for a in (_ip(str(info[4][0])) for info in infos) if a is not None]
    if not addresses or not all(is_public(a) for a in addresses):
        raise AddressRefused("Het webadres wijst naar een intern of privé netwerkadres; dat is niet toegestaan.")
