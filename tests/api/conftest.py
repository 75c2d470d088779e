"""Fixtures of the staff API tests, shared by every test module in tests/api."""

from .admin_fixtures import admin, auditor, corpus, make_receipt, tokens

__all__ = ["admin", "auditor", "corpus", "make_receipt", "tokens"]
