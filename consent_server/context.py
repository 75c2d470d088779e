"""Minimized request context for receipts: truncated IP, browser family, origin."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Ordered: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", re.compile(r"Edg(?:e|A|iOS)?/(\d+)")),
    ("Opera", re.compile(r"(?:OPR|Opera)/(\d+)")),
    ("Samsung Internet", re.compile(r"SamsungBrowser/(\d+)")),
    ("Firefox", re.compile(r"(?:Firefox|FxiOS)/(\d+)")),
    ("Chrome", re.compile(r"(?:Chrome|CriOS|HeadlessChrome|Chromium)/(\d+)")),
    ("Safari", re.compile(r"Version/(\d+)[.\d]* (?:Mobile/\S+ )?Safari/")),
)


def truncate_ip(address: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48: enough for proof, not a person's address."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def reduce_user_agent(user_agent: str | None) -> str | None:
    """Browser family and major version only, e.g. ``Firefox 128``."""
    if not user_agent:
        return None
    for family, pattern in _BROWSERS:
        match = pattern.search(user_agent[:512])
        if match:
            # A real major version has a few digits; a longer one is made up
            # (and would not fit the column).
            major = match.group(1)
            return f"{family} {int(major)}" if len(major) <= 5 else "Other"
    return "Other"


def page_origin(origin: str | None, referer: str | None) -> str | None:
    """The page's scheme://host[:port], never its path or query."""
    for candidate in (origin, referer):
        if not candidate or candidate == "null":
            continue
        parts = urlsplit(candidate[:2048])
        try:
            port_number = parts.port
        except ValueError:
            continue
        if parts.scheme in {"http", "https"} and parts.hostname:
            port = f":{port_number}" if port_number else ""
            return f"{parts.scheme}://{parts.hostname}{port}"[:255]
    return None


def gpc_signal(header: str | None) -> bool:
    """Sec-GPC is honoured only when exactly ``1`` (GPC spec, section 3.1)."""
    return header == "1"
