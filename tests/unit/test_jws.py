"""JWS over canonical JSON: RFC 8785's own examples, and our JWS checked by PyJWT."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import jwt
import pytest

from consent_server.jws import (
    JWSInvalid,
    canonical_json,
    sign_with,
    verify_compact,
)
from consent_server.signing_keys import SigningKey, SigningKeys

# RFC 8785 section 3.2.2: values, numbers and string escapes.
RFC8785_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC8785_OUTPUT = (
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,'
    '1e-27],"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 section 3.2.3: keys sorted by their UTF-16 code units.
RFC8785_SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC8785_SORTED_KEYS = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]

# RFC 8785 appendix B: IEEE 754 doubles (as hex bit patterns) and their JSON form.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]

KEY = SigningKey.from_seed("k-new", bytes(range(32)))
OLD_KEY = SigningKey.from_seed("k-old", bytes(range(32, 64)))
KEYS = SigningKeys((KEY, OLD_KEY))
PAYLOAD = {"id": "r-1", "choices": {"analytics": True}, "gpc": False, "n": 3}


def test_canonical_form_of_rfc8785_values_and_strings() -> None:
    assert canonical_json(json.loads(RFC8785_INPUT)) == RFC8785_OUTPUT.encode()


def test_canonical_form_sorts_keys_by_utf16_code_units() -> None:
    out = canonical_json(json.loads(RFC8785_SORTING_INPUT)).decode("utf-8")
    assert list(json.loads(out)) == RFC8785_SORTED_KEYS
    assert out.startswith('{"\\r":"Carriage Return","1":"One"')


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_canonical_form_of_rfc8785_numbers(bits: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonical_json(number) == expected.encode()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), object(), 2**60])
def test_what_json_cannot_hold_is_refused(value: Any) -> None:
    with pytest.raises(ValueError):
        canonical_json({"v": value})


def test_pyjwt_verifies_our_jws_with_the_jwks() -> None:
    token = sign_with(KEY, PAYLOAD, "consent-receipt+jws")
    jwks = jwt.PyJWKSet.from_dict(KEYS.jwks())
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": "k-new", "typ": "consent-receipt+jws"}
    decoded = jwt.api_jws.decode_complete(
        token, jwks[header["kid"]].key, algorithms=["EdDSA"]
    )
    assert decoded["payload"] == canonical_json(PAYLOAD)
    assert json.loads(decoded["payload"]) == PAYLOAD


def test_pyjwt_refuses_our_jws_under_another_key() -> None:
    token = sign_with(KEY, PAYLOAD, "consent-receipt+jws")
    other = jwt.PyJWKSet.from_dict(KEYS.jwks())["k-old"].key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.api_jws.decode_complete(token, other, algorithms=["EdDSA"])


def test_a_jws_pyjwt_made_verifies_here() -> None:
    """The other direction: our checker accepts an independent signer's JWS."""
    private = KEY.jwk.private_key
    body = canonical_json(PAYLOAD)
    token = jwt.api_jws.encode(
        body, private, algorithm="EdDSA", headers={"kid": "k-new"}
    )
    assert verify_compact(token, KEYS.jwks()) == PAYLOAD


def test_verify_returns_the_payload_of_either_published_key() -> None:
    for key in (KEY, OLD_KEY):
        token = sign_with(key, PAYLOAD, "consent-receipt+jws")
        assert verify_compact(token, KEYS.jwks(), typ="consent-receipt+jws") == PAYLOAD


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tampered(part: int, change: Any) -> str:
    parts = sign_with(KEY, PAYLOAD, "consent-receipt+jws").split(".")
    parts[part] = change(parts[part])
    return ".".join(parts)


def _json_part(edit: Any) -> Any:
    def change(part: str) -> str:
        data = json.loads(_unb64(part))
        edit(data)
        return _b64(canonical_json(data))

    return change


def _flip_last(part: str) -> str:
    raw = bytearray(_unb64(part))
    raw[-1] ^= 1
    return _b64(bytes(raw))


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (_tampered(1, _json_part(lambda d: d.update(gpc=True))), "bad_signature"),
        (_tampered(1, _json_part(lambda d: d["choices"].update(x=1))), "bad_signature"),
        (_tampered(0, _json_part(lambda d: d.update(kid="k-old"))), "bad_signature"),
        (_tampered(0, _json_part(lambda d: d.update(typ="JWT"))), "bad_signature"),
        (_tampered(0, _json_part(lambda d: d.update(alg="none"))), "bad_header"),
        (_tampered(0, _json_part(lambda d: d.update(alg="HS256"))), "bad_header"),
        (_tampered(0, _json_part(lambda d: d.update(kid="gone"))), "unknown_key"),
        (_tampered(2, _flip_last), "bad_signature"),
        (_tampered(2, lambda s: ""), "bad_signature"),
        ("not.a.jws", "malformed"),
        ("only-one-part", "malformed"),
        ("", "malformed"),
    ],
)
def test_a_tampered_jws_is_refused(token: str, reason: str) -> None:
    with pytest.raises(JWSInvalid) as info:
        verify_compact(token, KEYS.jwks())
    assert info.value.reason == reason


def test_pyjwt_also_refuses_a_tampered_payload() -> None:
    token = _tampered(1, _json_part(lambda d: d.update(gpc=True)))
    key = jwt.PyJWKSet.from_dict(KEYS.jwks())["k-new"].key
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.api_jws.decode_complete(token, key, algorithms=["EdDSA"])


def test_another_kind_of_document_is_refused_when_typ_is_asked() -> None:
    token = sign_with(KEY, PAYLOAD, "tree-head+jws")
    with pytest.raises(JWSInvalid) as info:
        verify_compact(token, KEYS.jwks(), typ="consent-receipt+jws")
    assert info.value.reason == "bad_header"


def test_a_signed_payload_that_is_not_canonical_is_refused() -> None:
    body = b'{"n": 3,  "id": "r-1"}'
    private = KEY.jwk.private_key
    token = jwt.api_jws.encode(
        body, private, algorithm="EdDSA", headers={"kid": "k-new"}
    )
    with pytest.raises(JWSInvalid) as info:
        verify_compact(token, KEYS.jwks())
    assert info.value.reason == "bad_payload"


@pytest.mark.parametrize("jwks", [{}, {"keys": "x"}, []])
def test_a_jwks_without_keys_is_refused(jwks: Any) -> None:
    token = sign_with(KEY, PAYLOAD, "consent-receipt+jws")
    with pytest.raises(JWSInvalid) as info:
        verify_compact(token, jwks)
    assert info.value.reason == "bad_jwks"
