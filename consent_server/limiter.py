"""Flask-Limiter on routes only, and what happens when its storage fails.

Redis holds the limits shared by app servers. A Redis that hangs or is gone must
neither hang nor fail a decision (issue #10): its sockets time out after
``REDIS_TIMEOUT_S``, and then ``CONSENT_RATELIMIT_FAIL_OPEN`` decides. On (the
default, as a lost consent record is worse than a missing rate limit) the limits
count in this process's memory, with one warning per outage, until Redis answers
again (Flask-Limiter's in-memory fallback). Off, a request that needs a limit is
a 503 problem with ``Retry-After``, never a 500.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from flask import Flask, Response, current_app
from flask_limiter import Limiter
from limits.errors import StorageError

from .outages import RateLimitsUnavailable, log_unavailable

log = logging.getLogger(__name__)

# At most 0.5 s per socket operation (issue #10): a hung Redis costs a request one
# timeout before the fallback takes over, not a worker.
REDIS_TIMEOUT_S = 0.5
_REDIS_SCHEMES = ("redis", "rediss", "valkey", "valkeys")


def storage_options(uri: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``RATELIMIT_STORAGE_OPTIONS`` for ``uri``: socket timeouts for Redis, and
    every storage error as ``limits.errors.StorageError``. ``options`` win."""
    bounded: dict[str, Any] = {"wrap_exceptions": True}
    scheme = uri.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme in _REDIS_SCHEMES:
        bounded["socket_timeout"] = REDIS_TIMEOUT_S
        bounded["socket_connect_timeout"] = REDIS_TIMEOUT_S
    return {**bounded, **options}


class RouteLimiter(Limiter):
    """Flask-Limiter with limits on routes only (``limiter.limit`` decorators).

    Flask-Limiter also checks default and application limits before every request;
    this service has none, and that check was a tenth of a verify request's time,
    so it is not registered. A decorated route checks its own limit when called.
    """

    def init_app(self, app: Flask) -> None:
        # One limiter serves every app of a process (the tests build many): each
        # starts with its own fail-open choice and a storage not known to be dead.
        self._in_memory_fallback_enabled = False
        self._storage_dead = False
        super().init_app(app)
        hooks = app.before_request_funcs.get(None, [])
        app.before_request_funcs[None] = [
            hook for hook in hooks if hook != self._check_request_limit
        ]
        after = app.after_request_funcs.get(None, [])
        app.after_request_funcs[None] = [
            _without_storage_errors(hook) if self._is_header_hook(hook) else hook
            for hook in after
        ]

    @property
    def _storage_dead(self) -> bool:
        """Whether limits count in memory now (Flask-Limiter's flag, watched)."""
        return self._dead

    @_storage_dead.setter
    def _storage_dead(self, dead: bool) -> None:
        if dead and not getattr(self, "_dead", False):
            # Flask-Limiter rechecks a dead storage with a backoff whose clock
            # starts at import: the request that found it dead would wait for a
            # recheck (another timeout) too. Start the clock now instead.
            self._Limiter__last_check_backend = time.time()
        self._dead = dead

    def _is_header_hook(self, hook: Callable[..., Any]) -> bool:
        """Flask-Limiter's after-request hook that adds the X-RateLimit headers."""
        inject = getattr(Limiter, "_Limiter__inject_headers", None)
        return (
            isinstance(hook, partial) and hook.func is inject and hook.args == (self,)
        )

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        """Check the route's limits; a storage failure falls back or is a 503."""
        if not current_app.config["RATELIMIT_ENABLED"]:
            # Flask-Limiter would still gather and filter the route's limits.
            return
        check = partial(
            super()._check_request_limit,
            callable_name=callable_name,
            in_middleware=in_middleware,
        )
        try:
            check()
            return
        except StorageError as exc:
            if not self._in_memory_fallback_enabled:
                log_unavailable("rate-limit storage", exc.storage_error)
                raise RateLimitsUnavailable() from None
            # Another thread found the storage dead while this one waited on it
            # (Flask-Limiter falls back only for the first): count in memory too.
            self._storage_dead = True
        try:
            check()
        except StorageError as exc:
            log_unavailable("rate-limit storage", exc.storage_error)
            raise RateLimitsUnavailable() from None

    def storage_state(self) -> str:
        """``ok``, ``degraded`` (unreachable, limits count in memory), ``down``
        (unreachable, fail-open off) or ``off`` (rate limits disabled)."""
        if not current_app.config.get("RATELIMIT_ENABLED", True) or not self.enabled:
            return "off"
        if self.storage.check():
            return "ok"
        return "degraded" if self._in_memory_fallback_enabled else "down"


def _without_storage_errors(
    inject: Callable[..., Any],
) -> Callable[[Response], Response]:
    """The headers hook, minus storage errors: the request is done (a decision may
    be stored), so it is answered without the X-RateLimit headers, not failed."""

    def inject_headers(response: Response) -> Response:
        try:
            result: Response = inject(response)
            return result
        except StorageError as exc:
            log.warning("rate-limit headers left out: %s", exc.storage_error)
            return response

    return inject_headers
