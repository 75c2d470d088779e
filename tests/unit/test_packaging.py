"""`pip install .` (not editable) must give a complete server: the wheel's contents."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [built] = out.glob("consent_server-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as zf:
        return set(zf.namelist())


@pytest.fixture(scope="module")
def requirements(wheel: Path) -> dict[str, set[str]]:
    """Extra ('' for the base install) -> the distributions it requires."""
    with zipfile.ZipFile(wheel) as zf:
        [name] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = zf.read(name).decode()
    out: dict[str, set[str]] = {}
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:"):
            spec, _, marker = line.removeprefix("Requires-Dist:").partition(";")
            extra = marker.split("extra ==")[-1].strip(" '\"") if marker else ""
            dist = re.split(r"[\[<>=!~ ]", spec.strip(), maxsplit=1)[0].lower()
            out.setdefault(extra, set()).add(dist)
    return out


def test_the_base_install_is_the_gate_only(requirements: dict[str, set[str]]) -> None:
    assert requirements[""] == {"itsdangerous"}
    assert requirements["flask"] == {"flask"}
    assert {"flask-sqlalchemy", "psycopg", "gunicorn"} <= requirements["server"]


@pytest.mark.parametrize(
    "path",
    [
        "consent_server/__init__.py",
        "consent_server/static/banner.js",
        "consent_server/static/banner.js.map",
        "consent_server/static/prefs.js",
        "consent_server/static/admin/admin.css",
        "consent_server/static/declaration.css",
        "consent_server/default_site_texts/en.json",
        "consent_server/default_policy.html",
        "consent_server/templates/declaration/cookies.html",
        "consent_server/migrations/env.py",
        "consent_server/migrations/alembic.ini",
        "consent_server/migrations/script.py.mako",
        "consent_server/templates/admin/base.html",
        "consent_server/demo/templates/demo/index.html",
        "consent_server/demo/static/demo.js",
    ],
)
def test_wheel_carries_what_the_server_needs(wheel_files: set[str], path: str) -> None:
    assert path in wheel_files


def test_wheel_carries_every_migration(wheel_files: set[str]) -> None:
    revisions = {p.name for p in (ROOT / "migrations" / "versions").glob("*.py")}
    packaged = {
        Path(p).name
        for p in wheel_files
        if p.startswith("consent_server/migrations/versions/")
    }
    assert revisions <= packaged
