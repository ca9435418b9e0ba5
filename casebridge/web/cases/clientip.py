"""The client's address, for throttling and the audit.

Behind a reverse proxy every request comes from the proxy: the client's own
address is in a header the proxy sets. A header anyone can send is trusted only
as far as the installation says (settings.TRUSTED_PROXY_COUNT: how many proxies
of its own append to X-Forwarded-For; or settings.CLIENT_IP_HEADER: one header
the proxy overwrites, e.g. X-Real-IP). Unconfigured, REMOTE_ADDR is the client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def clean_ip(value: str | None) -> str | None:
    """A normalised IP address, or None for anything that is not one."""
    text = (value or "").strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as the installation's proxies report it."""
    remote = clean_ip(request.META.get("REMOTE_ADDR"))
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        return clean_ip(request.headers.get(header)) or remote
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        # Each trusted proxy appended the address it saw: the client is the
        # proxies-th from the right. Fewer hops than proxies: the request did
        # not come through them all, so nothing in the header is trusted.
        if len(hops) >= proxies:
            return clean_ip(hops[-proxies]) or remote
    return remote
