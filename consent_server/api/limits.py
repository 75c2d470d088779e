"""Rate limits of the public API: per client, each route with a limit of its own."""

from __future__ import annotations

import ipaddress

from flask import current_app, request


def client_key() -> str:
    """The client a limit counts for: its IPv4 address, or its IPv6 /64.

    An IPv6 host usually holds a whole /64 (SLAAC, privacy addresses): counting
    single addresses would give each client 2^64 budgets (issue #10).
    """
    address = request.remote_addr or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _configured(name: str) -> str:
    limit: str = current_app.config[name]
    return limit


def record_limit() -> str:
    return _configured("CONSENT_RATELIMIT_RECORD")


def lookup_limit() -> str:
    return _configured("CONSENT_RATELIMIT_LOOKUP")


def verify_limit() -> str:
    return _configured("CONSENT_RATELIMIT_VERIFY")
