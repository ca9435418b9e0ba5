"""Counting in the shared cache (settings.CACHES: the database cache by
default), so that a limit holds across every web process and machine.

`hit` counts one event against a limit in a fixed window; `Throttled` is the
refusal an action raises, with a message that can be shown as is.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from casebridge.web.cases.errors import ActionError

PREFIX = "casebridge.throttle"


class Throttled(ActionError):
    """Too many of something from one client or person: try again later."""

    def __init__(self, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def cache_key(scope: str, key: str) -> str:
    """A cache key for `key` (an address, an e-mail) in `scope`, hashed so no
    address is written in clear into the cache table."""
    digest = hashlib.sha256(f"{scope}\0{key}".encode()).hexdigest()[:40]
    return f"{PREFIX}:{scope}:{digest}"


def _window_key(scope: str, key: str, window: int) -> tuple[str, int]:
    start = int(time.time()) // window * window
    return f"{cache_key(scope, key)}:{start}", start + window


def count(scope: str, key: str, window: int) -> int:
    """Events counted in the current window."""
    name, _ = _window_key(scope, key, window)
    return int(cache.get(name, 0))


def hit(scope: str, key: str | None, *, limit: int, window: int) -> bool:
    """Count one event; False (and not counted) when `limit` events are already
    in this window. No key (an unknown client) or no limit (0): always True."""
    if not key or limit <= 0:
        return True
    name, ends = _window_key(scope, key, window)
    timeout = max(1, ends - int(time.time()))
    if cache.add(name, 1, timeout=timeout):
        return True
    current = int(cache.get(name, 0))
    if current >= limit:
        return False
    try:
        cache.incr(name)
    except ValueError:  # expired in between: a new window
        cache.add(name, 1, timeout=timeout)
    return True


def retry_after(window: int) -> int:
    """Seconds until the current window ends."""
    return window - int(time.time()) % window


def parse_rate(text: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600); also /s, /m, /d and a number of seconds ('5/900')."""
    amount, _, per = text.partition("/")
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    window = units.get(per.strip().lower()) or int(per or "3600")
    return int(amount), window
