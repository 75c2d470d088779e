"""Fixtures shared by every test module in tests/api: staff tokens and receipts, a
site whose policy version moves on."""

from .admin_fixtures import admin, auditor, corpus, make_receipt, recorder, tokens
from .policy_versions import shop_v1, shop_v2

__all__ = [
    "admin",
    "auditor",
    "corpus",
    "make_receipt",
    "recorder",
    "tokens",
    "shop_v1",
    "shop_v2",
]
