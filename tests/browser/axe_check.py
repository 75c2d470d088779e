"""axe-core (a devDependency of banner-js) run on the banner in a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "banner-js/node_modules/axe-core/axe.min.js"


def banner_violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the banner's host and its shadow root (the page must have
    loaded ``AXE`` with ``add_init_script``)."""
    results = page.evaluate("() => axe.run({include: [['[data-consent-ui]']]})")
    inside = [
        node["target"]
        for rule in results["passes"]
        for node in rule["nodes"]
        if isinstance(node["target"][0], list) and len(node["target"][0]) == 2
    ]
    assert inside, "axe checked nothing inside the shadow root"
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in results["violations"]
    ]
