"""Checking a decision before it is stored: against the notice, and who may make it.

Shape is the schema's job (``ConsentCreateSchema``); this module checks meaning:
the notice is one the site serves, the choices cover its categories, the method
says what the choices say, the caller may decide for this subject (issue #9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .archives import is_known_build
from .config import secret_keys
from .errors import Forbidden, ValidationFailed
from .signing import TokenClaims, TokenInvalid, read_token
from .sites import Site, match_language
from .staff import Staff
from .vocabulary import UUID_RE

_UUID = re.compile(UUID_RE)


class SubjectProofRequired(Forbidden):
    """A decision about a subject needs proof of the subject, and this one has none.

    The answer is the same whatever is stored about the subject.
    """

    type = "subject-proof-required"
    title = "Proof of the subject required"


@dataclass(frozen=True)
class RequestContext:
    """What the server itself observes about the request that carries a decision."""

    origin: str | None
    user_agent: str | None
    ip_prefix: str | None
    gpc_header: bool


@dataclass(frozen=True)
class CheckedDecision:
    """A decision that fits the site's notice, ready to be stored."""

    site: Site
    data: dict[str, Any]
    choices: dict[str, bool]
    language: str
    gpc: bool
    # The subject named by the body or by its token; None: the server makes one.
    subject: str | None
    # A verified token of ``subject`` (expired or not): proof of the subject.
    claims: TokenClaims | None
    recorder: Staff | None
    context: RequestContext
    idempotency_key: str | None

    @property
    def notice_hash(self) -> str:
        notice_hash: str = self.data["notice"]
        return notice_hash

    @property
    def granted_any(self) -> bool:
        """Whether an optional category is granted (a refusal is kept less long)."""
        return any(self.choices[key] for key in self.site.optional_keys)

    @property
    def proves_subject(self) -> bool:
        """A token of the subject, or a recorder of the site, may decide again."""
        return self.claims is not None or self.recorder is not None


def _checked_choices(site: Site, choices: dict[str, bool]) -> dict[str, bool]:
    """Every category and service of the notice -> bool, required ones forced on.

    A category with services is allowed whole (its id) or service by service
    (their ids); it counts as granted when all its services are. Each optional
    category (or each of its services) needs true or false.
    """
    errors: dict[str, list[str]] = {}
    known = set(site.choice_keys)
    for key in choices:
        if key not in known:
            errors[key] = [
                f"Unknown category or service; this site has {sorted(known)}."
            ]
    out: dict[str, bool] = {}
    for cat in site.category_ids:
        services = site.services_of[cat]
        if cat in site.required_ids:
            for key in (cat, *services):
                if choices.get(key) is False:
                    errors[key] = ["A required category cannot be refused."]
                out[key] = True
            continue
        whole = choices.get(cat)
        if not services:
            if whole is None:
                errors[cat] = ["Missing: every optional category needs true or false."]
            out[cat] = bool(whole)
            continue
        for service in services:
            value = choices.get(service, whole)
            if value is None:
                errors[service] = [
                    f"Missing: give '{cat}' whole or each of its services."
                ]
            out[service] = bool(value)
        granted = all(out[service] for service in services)
        if whole is not None and whole != granted:
            errors[cat] = ["Contradicts the choices of its services."]
        out[cat] = granted
    if errors:
        raise ValidationFailed(
            "The choices do not match the site's categories.", {"choices": errors}
        )
    return {key: out[key] for key in site.choice_keys}


def _check_method(
    site: Site,
    method: str,
    choices: dict[str, bool],
    gpc_seen: bool,
    gpc_header: bool,
) -> None:
    """``accept_all`` grants every optional category but those GPC turned off;
    ``reject_all`` grants none.

    GPC counts as the page saw it (body ``gpc``). A ``Sec-GPC`` header alone may
    be invisible to the page, whose "accept all" then grants every category: both
    shapes stand.
    """
    if method == "accept_all":
        gpc_off = {
            key
            for cat in site.config["gpc_categories"]
            for key in (cat, *site.services_of[cat])
        }
        granted_off = {key for key in site.optional_keys if not choices[key]}
        allowed = [gpc_off] if gpc_seen else [set(), gpc_off] if gpc_header else [set()]
        if granted_off not in allowed:
            raise ValidationFailed(
                "'accept_all' grants every optional category"
                + (" except those the GPC signal turns off." if gpc_seen else "."),
                {"method": [f"Contradicts the choices of {sorted(granted_off)}."]},
            )
    elif method == "reject_all" and any(choices[k] for k in site.optional_keys):
        raise ValidationFailed(
            "'reject_all' cannot grant an optional category.",
            {"method": ["Contradicts the choices."]},
        )


def _subject_token(
    site: Site, token: str | None, subject: str | None
) -> TokenClaims | None:
    """The claims of a token of this subject and site, expired or not.

    :raises SubjectProofRequired: the token is forged or of another subject or site.
    """
    if token is None:
        return None
    try:
        claims = read_token(secret_keys(), token)
    except TokenInvalid as exc:
        if exc.claims is None:  # only an expired consent still proves the subject
            raise _no_proof() from None
        claims = exc.claims
    if claims.site != site.id or (subject is not None and claims.subject != subject):
        raise _no_proof()
    return claims


def _no_proof() -> SubjectProofRequired:
    return SubjectProofRequired(
        "A decision about a subject that has decided before needs a token the "
        "service signed for that subject and site in 'token'."
    )


def _check_caller(
    data: dict[str, Any], recorder: Staff | None, claims: TokenClaims | None
) -> None:
    """Anonymous callers decide for random UUIDs (or a subject their token proves);
    integrations record through the API."""
    subject = data.get("subject")
    if recorder is None:
        proven = claims is not None and claims.subject == subject
        if subject is not None and not _UUID.fullmatch(subject) and not proven:
            raise Forbidden(
                "Only a recorder integration ('Authorization: Bearer', role "
                "'recorder') may name a subject that is not a random UUID."
            )
        return
    wrong = {f: ["Must be 'api' for a recorder."] for f in ("method", "layer")}
    wrong = {f: m for f, m in wrong.items() if data[f] != "api"}
    if wrong:
        raise ValidationFailed(
            "A recorder records with method 'api' and layer 'api'.", wrong
        )
    if data.get("banner_build") is not None:
        raise ValidationFailed(
            "Decisions recorded from the API have no banner build.",
            {"banner_build": ["Leave it out when recording through the API."]},
        )


def check_decision(
    site: Site,
    data: dict[str, Any],
    context: RequestContext,
    idempotency_key: str | None = None,
    recorder: Staff | None = None,
) -> CheckedDecision:
    """Check a decision's meaning against the site's notice and its caller.

    :param recorder: the integration recording it (role ``recorder``, this site).
    :raises ValidationFailed: an unknown notice or banner build, choices that do
        not cover the notice's categories, a method that contradicts them, a
        foreign language.
    :raises Forbidden: a subject id or token the caller may not use.
    """
    notice_hash = data["notice"]
    if notice_hash not in site.by_hash:
        raise ValidationFailed(
            "The notice is not one this site currently serves; reload it.",
            {"notice": ["Unknown notice hash for this site."]},
        )
    claims = _subject_token(site, data.get("token"), data.get("subject"))
    _check_caller(data, recorder, claims)
    choices = _checked_choices(site, data["choices"])
    gpc = bool(data.get("gpc")) or context.gpc_header
    _check_method(
        site, data["method"], choices, bool(data.get("gpc")), context.gpc_header
    )
    language = data.get("language") or site.by_hash[notice_hash]
    if match_language(language, site.config["languages"]) is None:
        raise ValidationFailed(
            "The language is not one of the site's.",
            {"language": [f"Use one of {site.config['languages']}."]},
        )
    build = data.get("banner_build")
    if build is not None and not is_known_build(build):
        raise ValidationFailed(
            "The banner build is not one this service has served.",
            {"banner_build": ["Unknown build hash."]},
        )
    return CheckedDecision(
        site=site,
        data=data,
        choices=choices,
        language=language,
        gpc=gpc,
        subject=data.get("subject") or (claims.subject if claims else None),
        claims=claims,
        recorder=recorder,
        context=context,
        idempotency_key=idempotency_key,
    )
