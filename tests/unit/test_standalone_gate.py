"""The gate and the plain verify function stand alone: no server stack, no side effects.

Each test runs in a fresh interpreter, so what it imports is all that is loaded.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Lets only the standard library and the named distributions' modules be imported,
# as if nothing else were installed.
_ONLY = """
import importlib.abc, sys

class OnlyThese(importlib.abc.MetaPathFinder):
    allowed = {allowed!r}

    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in self.allowed:
            return None
        raise ModuleNotFoundError(f"No module named {{name!r}} (not installed here)")

sys.meta_path.insert(0, OnlyThese())
"""

_TOKEN = """
from datetime import UTC, datetime, timedelta
from consent_server.signing import sign_token

KEYS = ["standalone-key-0123456789abcdef"]
def token(third_party):
    return sign_token(
        KEYS, receipt_id="r1", site="default", subject="s1",
        choices={"session": True, "third_party": third_party},
        policy_version="2026-06", expires_at=datetime.now(UTC) + timedelta(days=1),
    )
"""

SERVER_MODULES = (
    "sqlalchemy",
    "psycopg",
    "flask_sqlalchemy",
    "flask_migrate",
    "alembic",
    "flask_smorest",
    "flask_limiter",
    "flask_cors",
    "marshmallow",
    "gunicorn",
)


def run(code: str, allowed: set[str] | None = None) -> str:
    prelude = _ONLY.format(allowed=allowed) if allowed is not None else ""
    done = subprocess.run(
        [sys.executable, "-c", prelude + _TOKEN + textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


FLASK_ONLY = {
    "consent_server",
    "flask",
    "werkzeug",
    "jinja2",
    "markupsafe",
    "itsdangerous",
    "click",
    "blinker",
}


def test_flask_gate_works_with_only_flask_and_itsdangerous() -> None:
    out = run(
        """
        from flask import Flask
        from consent_server.gate import ConsentGate, consent_required

        app = Flask("site")
        app.config["CONSENT_SECRET_KEYS"] = ",".join(KEYS)
        ConsentGate(app, policy_version="2026-06")

        @app.get("/analytics")
        @consent_required("third_party")
        def analytics():
            return "tracking"

        client = app.test_client(use_cookies=False)
        for granted in (True, False):
            cookie = {"Cookie": "consent=" + token(granted)}
            rv = client.get("/analytics", headers=cookie)
            print(rv.status_code)
        """,
        allowed=FLASK_ONLY,
    )
    assert out.split() == ["200", "403"]


def test_verify_works_with_only_itsdangerous() -> None:
    out = run(
        """
        from consent_server.verify import verify_consent

        for granted in (True, False):
            check = verify_consent(token(granted), secret_keys=KEYS, site="default",
                                   policy_version="2026-06")
            print(check.valid, check.granted("third_party"))
        print(verify_consent("forged.cookie.x", secret_keys=KEYS, site="default",
                             policy_version="2026-06").reason)
        """,
        allowed={"consent_server", "itsdangerous"},
    )
    assert out.split() == ["True", "True", "True", "False", "bad_signature"]


def test_importing_the_gate_loads_no_database_module() -> None:
    out = run(
        """
        import sys
        import consent_server.gate, consent_server.verify
        print(" ".join(sorted({m.partition(".")[0] for m in sys.modules})))
        """
    )
    loaded = set(out.split())
    assert "flask" in loaded  # the probe itself works
    assert loaded.isdisjoint(SERVER_MODULES), loaded & set(SERVER_MODULES)


def test_a_host_apps_sqlite_engine_keeps_its_settings(tmp_path: Path) -> None:
    out = run(
        f"""
        from sqlalchemy import create_engine, text

        host = create_engine("sqlite:///{tmp_path / "host.sqlite3"}")

        def settings():
            with host.connect() as conn:
                mode = conn.execute(text("PRAGMA journal_mode")).scalar()
                keys = conn.execute(text("PRAGMA foreign_keys")).scalar()
            host.dispose()
            return f"{{mode}}/{{keys}}"

        import consent_server.gate
        print(settings())

        from consent_server import create_app
        from consent_server.extensions import db
        app = create_app({{
            "SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / "consent.sqlite3"}",
            "CONSENT_SECRET_KEYS": ["host-test-key-0123456789abcdef"],
        }})
        with app.app_context(), db.engine.connect() as conn:
            own = conn.execute(text("PRAGMA journal_mode")).scalar()
            own_keys = conn.execute(text("PRAGMA foreign_keys")).scalar()
        print(f"{{own}}/{{own_keys}}")
        print(settings())
        """
    )
    before, service, after = out.split()
    assert before == after == "delete/0"
    assert service == "wal/1"  # the service's own engine still gets its settings


def test_the_server_without_its_dependencies_says_what_to_install() -> None:
    out = run(
        """
        try:
            from consent_server import create_app
        except ModuleNotFoundError as exc:
            print(exc)
        """,
        allowed=FLASK_ONLY,
    )
    assert "pip install 'consent-server[server]'" in out
