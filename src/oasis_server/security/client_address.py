"""The client's address, read from forwarded headers only when a trusted proxy sent them.

Behind a reverse proxy every request comes from the proxy. The proxy says
who its client was in ``Forwarded`` (RFC 7239) or ``X-Forwarded-For``, but
so can any client that talks to the server directly: those headers are
believed only from the addresses in ``OASIS_TRUSTED_PROXIES``, and then the
right-most address that is not a trusted proxy is the client (proxies append;
whatever a client wrote itself is further left).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> tuple[Network, ...]:
    """``"127.0.0.1, 10.0.0.0/8, ::1"`` → networks; raises :class:`ValueError` naming a bad item."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(item) from None
    return tuple(networks)


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == network.version and ip in network for network in trusted)


def _forwarded_for(values: Iterable[str]) -> list[str]:
    """The ``for=`` addresses of ``Forwarded`` header values, left to right, without quotes or ports."""
    found = []
    for element in ",".join(values).split(","):
        for pair in element.split(";"):
            name, _, value = pair.strip().partition("=")
            if name.strip().lower() == "for":
                found.append(_strip_port(value.strip().strip('"')))
    return found


def _strip_port(node: str) -> str:
    if node.startswith("["):  # "[2001:db8::1]:4711"
        return node[1:].partition("]")[0]
    if node.count(":") == 1:  # "192.0.2.60:4711"
        return node.partition(":")[0]
    return node


def client_address(
    peer: str | None,
    trusted: Sequence[Network],
    *,
    forwarded: Iterable[str] = (),
    x_forwarded_for: Iterable[str] = (),
) -> str:
    """The client's address: ``peer`` unless it is a trusted proxy that forwarded the request.

    ``Forwarded`` wins over ``X-Forwarded-For`` when a trusted proxy sent both.
    """
    if not peer:
        return "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = _forwarded_for(forwarded) or [
        _strip_port(item.strip()) for item in ",".join(x_forwarded_for).split(",") if item.strip()
    ]
    chain = [hop for hop in hops if hop] + [peer]
    for hop in reversed(chain):
        if not _is_trusted(hop, trusted):
            return hop
    return chain[0]
