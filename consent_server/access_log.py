"""Gunicorn's logger for this service (``gunicorn.conf.py`` names it).

Access lines carry the client's network (IPv4 /24, IPv6 /48, as receipts do),
never its address, and no subject id from a path; the service's own log records
(outages, warnings) go where gunicorn's errors go, in the same format.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

from .context import truncate_ip

# Paths that name a subject: the public lookup and the staff API's subject.
_SUBJECT_IN_PATH = re.compile(r"(/v1/(?:sites/[^/]+/consents|admin/subjects)/)[^/?\s]+")
# Atoms a changed access_log_format could use to print an address anyway.
_ADDRESS_ATOMS = (
    "{x-forwarded-for}i",
    "{x-real-ip}i",
    "{forwarded}i",
    "{remote_addr}e",
    "{http_x_forwarded_for}e",
    "{http_x_real_ip}e",
    "{http_forwarded}e",
)


def redact_path(path: str) -> str:
    """A request path with any subject id replaced by ``-``."""
    return _SUBJECT_IN_PATH.sub(r"\1-", path)


class AccessLogger(Logger):  # type: ignore[misc]
    """Gunicorn's ``Logger`` without client addresses or subject ids."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json:
            return  # the operator routes the loggers
        # Without a handler, Python prints bare messages to stderr: give the
        # service's records gunicorn's error stream and format (set up again on
        # a reload, so replace what an earlier setup added).
        root = logging.getLogger()
        for handler in list(root.handlers):
            if getattr(handler, "_gunicorn", False):
                root.removeHandler(handler)
        for handler in self.error_log.handlers:
            root.addHandler(handler)
        # Warnings and errors: libraries' info lines (alembic's plugins at start-up)
        # would bury them; --log-level debug shows everything.
        debug = self.loglevel <= logging.DEBUG
        root.setLevel(logging.DEBUG if debug else max(self.loglevel, logging.WARNING))

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["h"] = truncate_ip(environ.get("REMOTE_ADDR")) or "-"
        for key in ("U", "r"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_path(atoms[key])
        for key in _ADDRESS_ATOMS:
            atoms.pop(key, None)
        return atoms
