"""DPV nodes of a consent record: consent events and one category's process.

A category of the notice becomes a ``dpv:Process`` with its purpose, the data it
keeps on the device, recipients and services; each has a consent status (given,
refused, or withdrawn). ``iso27560`` assembles these into records and receipts.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

# Where the GDPR applies: the EU, the EEA and their member states.
GDPR_AREA = frozenset(
    "EU EEA AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL "
    "NO PL PT RO SE SI SK".split()
)
# How a decision was made, in words for the record's indication method.
_METHOD_WORDS = {
    "accept_all": "the 'Accept all' button",
    "reject_all": "the 'Reject all' button",
    "custom": "their own choice per category",
    "api": "the site's code on the visitor's behalf",
}
_LAYER_WORDS = {
    "first": "of the banner's first layer",
    "preferences": "in the banner's preferences",
    "api": "through the site's integration",
}


def ref(iri: str) -> dict[str, str]:
    """A node reference: JSON-LD reads a bare string as text, not as an IRI."""
    return {"@id": iri}


def gdpr_applies(jurisdiction: str) -> bool:
    return jurisdiction.upper() in GDPR_AREA


def record_iri(receipt_id: str) -> str:
    return f"urn:uuid:{receipt_id}"


def subject_iri(site: str, subject: str) -> str:
    """A pseudonymous data subject: the random id the banner made, within a site."""
    return f"urn:consent-subject:{quote(site, safe='')}:{quote(subject, safe='')}"


def notice_iri(notice_hash: str) -> str:
    """The notice named by its hash (RFC 6920 ``ni`` URI, SHA-256)."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(notice_hash)).rstrip(b"=")
    return f"ni:///sha-256;{digest.decode()}"


def as_time(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def jurisdiction_node(code: str) -> dict[str, str] | str:
    """``loc:EU`` for country and union codes; free text otherwise."""
    upper = code.upper()
    return ref(f"loc:{upper}") if upper in GDPR_AREA or len(upper) == 2 else code


def consent_status(
    given: bool, was_given: bool | None, facts: Mapping[str, Any]
) -> dict[str, Any]:
    """A consent event: given, refused, or withdrawn (given before, now not).

    ``was_given`` is None when the superseded receipt is unknown (purged, or
    none): then the receipt's action alone tells a withdrawal.
    """
    kind = "dpv:ConsentGiven" if given else "dpv:ConsentRefused"
    withdrawn = was_given if was_given is not None else facts["action"] == "withdraw"
    if not given and withdrawn:
        kind = "dpv:ConsentWithdrawn"
    method = _METHOD_WORDS.get(facts["method"], facts["method"])
    layer = _LAYER_WORDS.get(facts["layer"], facts["layer"])
    return {
        "@type": kind,
        "dpv:isIndicatedAtTime": as_time(facts["created_at"]),
        "dpv:isIndicatedBy": ref(facts["subject_iri"]),
        "dpv:hasIndicationMethod": f"{facts['method']}: the visitor used {method} "
        f"{layer}" + (" (Global Privacy Control signal sent)" if facts["gpc"] else ""),
        "dpv:hasDuration": {
            "@type": "dpv:UntilTimeDuration",
            "rdf:value": as_time(facts["expires_at"]),
        },
    }


def _was(previous: Mapping[str, bool], key: str) -> bool | None:
    """Whether the superseded receipt granted ``key``; None without one."""
    return bool(previous.get(key)) if previous else None


def _personal_data(cookies: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What a category stores on the visitor's device: its cookies and storage keys."""
    items = [
        {
            "@type": "dpv:PersonalData",
            "skos:broader": ref("pd:DeviceBased"),
            "dct:identifier": cookie.get("name") or cookie.get("pattern"),
            **({"dct:description": d} if (d := cookie.get("description")) else {}),
        }
        for cookie in cookies
    ]
    # The consent choice itself is kept on the device, whatever else the category has.
    return items or [
        {"@type": "dpv:PersonalData", "skos:broader": ref("pd:DeviceBased")}
    ]


def _recipients(
    category: Mapping[str, Any], controller: str
) -> list[dict[str, Any] | dict[str, str]]:
    """The controller, plus the providers of the category's services and third
    parties, with where they process."""
    found: list[dict[str, Any] | dict[str, str]] = [ref(controller)]
    for service in category.get("services") or []:
        found.append(
            {
                "@type": ["dpv:Recipient", "dpv:ThirdParty"],
                "dpv:hasName": service["provider"],
                "dpv:hasLocation": ref(f"loc:{service['country']}"),
                **({"schema:url": s} if (s := service.get("privacy_url")) else {}),
            }
        )
    for party in category.get("third_parties") or []:
        node: dict[str, Any] = {
            "@type": ["dpv:Recipient", "dpv:ThirdParty"],
            "dpv:hasName": party["name"],
        }
        if party.get("url"):
            node["schema:url"] = party["url"]
        found.append(node)
    return found


def category_process(
    category: Mapping[str, Any],
    facts: Mapping[str, Any],
    previous: Mapping[str, bool],
    shared: Mapping[str, Any],
) -> dict[str, Any]:
    """One category of the notice: its purpose, data, recipients, services, status."""
    cat_id = category["id"]
    choices = facts["choices"]
    purpose: dict[str, Any] = {
        "@type": "dpv:Purpose",
        "dct:title": category.get("title", cat_id),
        "dct:description": category.get("description", ""),
    }
    if category.get("required"):
        purpose["skos:broader"] = ref("dpv:ServiceProvision")
    cookies = list(category.get("cookies") or [])
    services = []
    for service in category.get("services") or []:
        cookies.extend(service.get("cookies") or [])
        sid = service["id"]
        services.append(
            {
                "@type": "dpv:Service",
                "dct:identifier": sid,
                "dct:title": service["name"],
                "dct:description": service.get("purpose", ""),
                "dpv:hasConsentStatus": consent_status(
                    bool(choices.get(sid)), _was(previous, sid), facts
                ),
            }
        )
    process: dict[str, Any] = {
        "@id": f"{record_iri(facts['id'])}#{cat_id}",
        "@type": "dpv:Process",
        "dct:identifier": cat_id,
        "dpv:hasPurpose": purpose,
        "dpv:hasNecessity": ref(
            "dpv:Required" if category.get("required") else "dpv:Optional"
        ),
        "dpv:hasPersonalData": _personal_data(cookies),
        "dpv:hasDataController": ref(shared["controller"]),
        "dpv:hasRecipient": _recipients(category, shared["controller"]),
        "dpv:hasStorageCondition": shared["storage"],
        "dpv:hasJurisdiction": shared["jurisdiction"],
        "dpv:hasConsentStatus": consent_status(
            bool(choices.get(cat_id)), _was(previous, cat_id), facts
        ),
    }
    if services:
        process["dpv:hasService"] = services
    if not category.get("required"):
        process["dpv:hasLegalBasis"] = shared["legal_basis"]
    return process
