"""The Ed25519 signing keys of receipts and tree heads, and the JWKS they make.

``CONSENT_SIGNING_KEYS`` holds private keys, newest first, comma-separated, each
``kid:seed`` (``seed``: the 32-byte Ed25519 private key, base64url without
padding, as a JWK's ``d``). The newest signs; all of them are published. Make one
with ``flask --app consent_server consent new-signing-key``.

``CONSENT_RETIRED_SIGNING_KEYS`` is a JSON list of public keys that no longer
sign but must stay published as long as receipts signed with them are kept: the
key's entry from the JWKS plus ``signed_from`` and ``signed_until`` (ISO 8601).

Like the HMAC keys (``config.py``), development generates a key in the instance
folder with a loud warning, and production refuses to start without one.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask, current_app
from joserfc.jwk import OKPKey

log = logging.getLogger(__name__)

KID_RE = r"[A-Za-z0-9._-]{1,64}"
_KID = re.compile(KID_RE)
DEV_KEY_FILE = "dev-signing-key"
EXTENSION = "consent_signing_keys"


class SigningKeyError(ValueError):
    """The signing key settings are unusable; the message names the setting."""


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class SigningKey:
    """One private Ed25519 key and its ``kid``."""

    kid: str
    jwk: OKPKey

    @classmethod
    def from_seed(cls, kid: str, seed: bytes) -> SigningKey:
        private = Ed25519PrivateKey.from_private_bytes(seed)
        return cls(kid, OKPKey.import_key(private))

    @property
    def public_x(self) -> str:
        public = self.jwk.as_dict(private=False)["x"]
        return str(public)

    def public_jwk(self) -> dict[str, Any]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.public_x,
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
        }


@dataclass(frozen=True)
class RetiredKey:
    """A public key that signed from ``signed_from`` until ``signed_until``."""

    kid: str
    x: str
    signed_from: datetime
    signed_until: datetime

    def public_jwk(self) -> dict[str, Any]:
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "use": "sig",
            "alg": "EdDSA",
            "signed_from": _iso(self.signed_from),
            "signed_until": _iso(self.signed_until),
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class SigningKeys:
    """The app's keys: ``active`` newest first (the first signs), ``retired``."""

    active: tuple[SigningKey, ...]
    retired: tuple[RetiredKey, ...] = ()

    @property
    def signing_key(self) -> SigningKey:
        return self.active[0]

    def jwks(self) -> dict[str, Any]:
        """The public JWKS (RFC 7517): active keys, then retired ones."""
        keys = [k.public_jwk() for k in self.active]
        keys += [k.public_jwk() for k in self.retired]
        return {"keys": keys}


def parse_signing_keys(value: str) -> list[SigningKey]:
    """``kid:seed,kid:seed`` (newest first) -> keys.

    :raises SigningKeyError: naming the entry and what is wrong with it.
    """
    keys: list[SigningKey] = []
    for number, entry in enumerate((e.strip() for e in value.split(",")), 1):
        if not entry:
            continue
        kid, sep, seed_text = entry.partition(":")
        where = f"CONSENT_SIGNING_KEYS entry {number}"
        if not sep or not _KID.fullmatch(kid):
            raise SigningKeyError(
                f"{where} must be 'kid:seed' with a kid of 1-64 letters, digits, "
                "'.', '_' or '-'"
            )
        try:
            seed = _b64decode(seed_text)
        except ValueError:
            seed = b""
        if len(seed) != 32:
            raise SigningKeyError(
                f"{where} ({kid!r}): the seed must be 32 bytes in base64url (43 "
                "characters); make one with: flask --app consent_server consent "
                "new-signing-key"
            )
        keys.append(SigningKey.from_seed(kid, seed))
    return keys


def _moment(value: Any, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise SigningKeyError(f"{where} is not an ISO 8601 time: {value!r}") from exc
    if moment.tzinfo is None:
        raise SigningKeyError(f"{where} needs a time zone (end it with Z): {value!r}")
    return moment.astimezone(UTC)


def parse_retired_keys(value: str) -> list[RetiredKey]:
    """A JSON list of public JWKs with ``signed_from`` and ``signed_until``.

    :raises SigningKeyError: naming the entry and field.
    """
    try:
        entries = json.loads(value)
    except ValueError as exc:
        raise SigningKeyError(
            f"CONSENT_RETIRED_SIGNING_KEYS is not JSON: {exc}"
        ) from exc
    if not isinstance(entries, list):
        raise SigningKeyError("CONSENT_RETIRED_SIGNING_KEYS must be a JSON list")
    keys: list[RetiredKey] = []
    for number, entry in enumerate(entries, 1):
        where = f"CONSENT_RETIRED_SIGNING_KEYS entry {number}"
        if not isinstance(entry, dict):
            raise SigningKeyError(f"{where} must be an object (a JWK)")
        if entry.get("kty", "OKP") != "OKP" or entry.get("crv", "Ed25519") != "Ed25519":
            raise SigningKeyError(f"{where} must be an Ed25519 key (kty OKP)")
        if "d" in entry:
            raise SigningKeyError(
                f"{where} holds a private key ('d'); retired keys are public only"
            )
        kid = entry.get("kid")
        if not isinstance(kid, str) or not _KID.fullmatch(kid):
            raise SigningKeyError(f"{where} needs a 'kid' of 1-64 letters or digits")
        try:
            x = entry["x"]
            if len(_b64decode(x)) != 32:
                raise ValueError("not 32 bytes")
        except (KeyError, TypeError, ValueError) as exc:
            raise SigningKeyError(
                f"{where} ({kid!r}): 'x' must be the 32-byte public key in base64url"
            ) from exc
        start = _moment(entry.get("signed_from"), f"{where} ({kid!r}) signed_from")
        end = _moment(entry.get("signed_until"), f"{where} ({kid!r}) signed_until")
        if end < start:
            raise SigningKeyError(
                f"{where} ({kid!r}): signed_until is before signed_from"
            )
        keys.append(RetiredKey(kid, x, start, end))
    return keys


def new_key_entry(kid: str | None = None) -> str:
    """A new ``kid:seed`` entry for ``CONSENT_SIGNING_KEYS``."""
    seed = secrets.token_bytes(32)
    if kid is None:
        kid = datetime.now(UTC).strftime("%Y-%m-%d-") + secrets.token_hex(3)
    return f"{kid}:{_b64encode(seed)}"


def dev_signing_key(instance_path: str) -> str:
    """Read or create the development signing key entry in the instance folder."""
    key_file = Path(instance_path) / DEV_KEY_FILE
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    entry = new_key_entry("dev-" + secrets.token_hex(4))
    # Written under another name and linked into place: two workers starting at
    # once both end up with the one that got there first, never a half file.
    partial = key_file.with_name(f"{DEV_KEY_FILE}.{secrets.token_hex(4)}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(entry)
    try:
        os.link(partial, key_file)
    except FileExistsError:
        entry = key_file.read_text(encoding="utf-8").strip()
    finally:
        partial.unlink()
    return entry


def _as_text(value: Any, name: str) -> str:
    """Settings come as env text; overrides may pass a list of entries."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        if name == "CONSENT_RETIRED_SIGNING_KEYS":
            return json.dumps(list(value))
        return ",".join(str(v) for v in value)
    raise SigningKeyError(f"{name} must be text")


def load_signing_keys(
    signing: Any, retired: Any, env: str, instance_path: str
) -> SigningKeys:
    """Validate the signing key settings; development falls back to a dev key.

    :raises SigningKeyError: production without keys, or a bad entry.
    """
    active = parse_signing_keys(_as_text(signing, "CONSENT_SIGNING_KEYS"))
    if not active:
        if env == "production":
            raise SigningKeyError(
                "CONSENT_SIGNING_KEYS is not set; production needs at least one "
                "Ed25519 key (make one with: flask --app consent_server consent "
                "new-signing-key)"
            )
        active = parse_signing_keys(dev_signing_key(instance_path))
        log.warning(
            "!!! CONSENT_SIGNING_KEYS is not set: using a generated DEVELOPMENT "
            "signing key from %s. Receipts signed with it prove nothing. Set "
            "CONSENT_SIGNING_KEYS before going live. !!!",
            instance_path,
        )
    retired_text = _as_text(retired, "CONSENT_RETIRED_SIGNING_KEYS").strip()
    retired_keys = parse_retired_keys(retired_text) if retired_text else []
    kids = [k.kid for k in active] + [k.kid for k in retired_keys]
    doubled = sorted({kid for kid in kids if kids.count(kid) > 1})
    if doubled:
        raise SigningKeyError(f"signing key kid(s) used twice: {', '.join(doubled)}")
    return SigningKeys(tuple(active), tuple(retired_keys))


def configure_signing_keys(app: Flask) -> None:
    """Load the app's signing keys once, at start-up."""
    app.extensions[EXTENSION] = load_signing_keys(
        app.config.get("CONSENT_SIGNING_KEYS"),
        app.config.get("CONSENT_RETIRED_SIGNING_KEYS"),
        app.config["CONSENT_ENV"],
        app.instance_path,
    )


def current_signing_keys() -> SigningKeys:
    """The current app's signing keys (one accessor)."""
    keys: SigningKeys = current_app.extensions[EXTENSION]
    return keys
