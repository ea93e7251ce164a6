"""Which network addresses a fetch on a stranger's behalf may connect to (SSRF policy). No Scrapy.

Only globally routable unicast addresses are allowed, unless an allow-list entry names the host or
covers the address. Everything else — loopback, private, link-local (169.254.0.0/16, where cloud
metadata services live), CGNAT 100.64.0.0/10, multicast, reserved, unspecified, and IPv6 forms that
carry an IPv4 address (IPv4-mapped, NAT64, 6to4) — is refused with a reason naming the kind.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


def parse_address(text: str) -> IPAddress | None:
    """An IP literal as a host would be read by a resolver, or None for a name.

    Besides standard forms this accepts what inet_aton does (`127.1`, `0x7f.0.0.1`, `2130706433`),
    because a system resolver turns those into addresses too.
    """
    host = text.strip().strip("[]")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        pass
    if not host or not all(part.isalnum() for part in host.split(".")):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def address_kind(address: IPAddress) -> str | None:
    """Why `address` is not public (e.g. "loopback", "link-local"), or None if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        for network in NAT64:
            if address in network:
                inner = address_kind(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
                return f"NAT64 of {inner}" if inner else None
        if address in SIX_TO_FOUR:
            inner = address_kind(ipaddress.IPv4Address((int(address) >> 80) & 0xFFFFFFFF))
            if inner:
                return f"6to4 of {inner}"
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "shared (CGNAT)"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "not globally routable"),
    )
    return next((kind for refused, kind in checks if refused), None)


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, except hosts and networks on the allow-list."""

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_allow_list(cls, entries: Iterable[str]) -> AddressPolicy:
        """Entries are IP addresses, CIDR networks or host names (exact, case-insensitive)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def host_allowed(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.allowed_hosts

    def refusal(self, address: IPAddress | str, host: str | None = None) -> str | None:
        """None if a connection to `address` (for `host`) is allowed, else what kind of address it is."""
        if host is not None and self.host_allowed(host):
            return None
        if isinstance(address, str):
            parsed = parse_address(address)
            if parsed is None:
                return "not an IP address"
            address = parsed
        if any(address.version == network.version and address in network for network in self.allowed_networks):
            return None
        return address_kind(address)
