"""The names and patterns the public contract shares: ids, enums, reasons.

Defined once: schemas, models' callers, the CLI and the staff UI import them.
"""

from __future__ import annotations

SITE_ID_RE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
CATEGORY_ID_RE = r"^[a-z][a-z0-9_]{0,31}$"
LANGUAGE_RE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
# A subject is the banner's random UUID or a site's own pseudonymous id.
SUBJECT_RE = r"^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,127}$"
UUID_RE = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
IDEMPOTENCY_KEY_RE = r"^[A-Za-z0-9._:-]{1,128}$"
SHA256_RE = r"^[0-9a-f]{64}$"
COOKIE_NAME_RE = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$"
DOMAIN_RE = r"^\.?[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*$"
ORIGIN_RE = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"

# Google Consent Mode v2 consent types.
CONSENT_MODE_TYPES = (
    "ad_storage",
    "ad_user_data",
    "ad_personalization",
    "analytics_storage",
    "functionality_storage",
    "personalization_storage",
    "security_storage",
)
METHODS = ("accept_all", "reject_all", "custom", "api")
LAYERS = ("first", "preferences", "api")
ACTIONS = ("grant", "refuse", "update", "withdraw")
VERIFY_REASONS = ("bad_signature", "expired", "unknown_site", "outdated_policy")
