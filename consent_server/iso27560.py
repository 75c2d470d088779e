"""Receipts as ISO/IEC TS 27560 consent records and receipts: JSON-LD in W3C DPV.

The shapes follow the DPV profiles for ISO/IEC TS 27560 (w3c/dpv,
guides/consent-27560.html and schema/dpv-27560): each stored receipt becomes a
``dpv:ConsentRecord`` (profile ``record-eu-gdpr`` where the GDPR applies, else
``record``), and what staff or a visitor are handed is a ``dpv:ConsentReceipt``
(``receipt-eu-gdpr`` or ``receipt``) that wraps one or more records. A category of
the notice is a ``dpv:Process`` with its purpose, and its services are
``dpv:Service`` nodes inside it; each carries its own consent status.

Pure functions of stored data (no database, no request), so the single receipt,
the subject's history, the export and the visitor's file all say the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .dpv_nodes import (
    as_time,
    category_process,
    consent_status,
    gdpr_applies,
    jurisdiction_node,
    notice_iri,
    record_iri,
    ref,
    subject_iri,
)
from .models import Receipt

# Prefixes of the DPV family and the vocabularies its ISO 27560 guide uses.
DPV_CONTEXT: dict[str, str] = {
    "dpv": "https://w3id.org/dpv#",
    "dct": "http://purl.org/dc/terms/",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pd": "https://w3id.org/dpv/pd#",
    "loc": "https://w3id.org/dpv/loc#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    # The W3C security vocabulary names a detached JWS (``sec:jws``).
    "sec": "https://w3id.org/security#",
}
PROFILE_BASE = "https://w3id.org/dpv/schema/dpv-27560#"
MEDIA_TYPE = "application/ld+json"

# GDPR rights a consent record names (eu-gdpr concepts of the DPV).
_RIGHTS = (
    ("eu-gdpr:A7-3", "Right to withdraw consent"),
    ("eu-gdpr:A15", "Right of access"),
    ("eu-gdpr:A16", "Right to rectification"),
    ("eu-gdpr:A17", "Right to erasure"),
    ("eu-gdpr:A18", "Right to restriction of processing"),
    ("eu-gdpr:A20", "Right to data portability"),
    ("eu-gdpr:A21", "Right to object"),
)


def receipt_facts(receipt: Receipt | Any) -> dict[str, Any]:
    """The fields of a stored receipt (a ``Receipt`` or a row of the receipts table)
    a record is made of, named as the export names them."""
    return {
        "id": receipt.id,
        "site": receipt.site,
        "subject": receipt.subject,
        "action": receipt.action,
        "method": receipt.method,
        "layer": receipt.layer,
        "choices": dict(receipt.choices),
        "policy_version": receipt.policy_version,
        "notice": receipt.notice_hash,
        "language": receipt.language,
        "jurisdiction": receipt.jurisdiction,
        "gpc": receipt.gpc,
        "previous": receipt.previous_id,
        "created_at": receipt.created_at,
        "expires_at": receipt.expires_at,
        "jws": receipt.jws,
    }


def _controller_entity(
    controller_iri: str, controller: Mapping[str, Any]
) -> dict[str, Any]:
    """The controller as an ISO 27560 party: name, identifier, contact, address."""
    contact: dict[str, Any] = {
        "@type": "schema:ContactPoint",
        "schema:email": controller["email"],
    }
    if controller.get("contact"):
        contact["schema:name"] = controller["contact"]
    entity: dict[str, Any] = {
        "@id": controller_iri,
        "@type": ["dpv:Entity", "dpv:DataController"],
        "dpv:hasIdentifier": controller_iri,
        "dpv:hasName": controller["name"],
        "schema:contactPoint": contact,
    }
    if controller.get("address"):
        entity["schema:address"] = {
            "@type": "schema:PostalAddress",
            "schema:streetAddress": controller["address"],
        }
    return entity


def _notices(
    facts: Mapping[str, Any], notice: Mapping[str, Any], base_url: str
) -> list[dict[str, Any]]:
    """The exact notice (by hash, and where to read it) and the policy it pins."""
    site = quote(facts["site"], safe="")
    found: list[dict[str, Any]] = [
        {
            "@id": notice_iri(facts["notice"]),
            "@type": "dpv:ConsentNotice",
            "dct:identifier": facts["notice"],
            "dct:language": facts["language"],
            "schema:version": facts["policy_version"],
            "schema:url": f"{base_url}/v1/sites/{site}/notice?lang="
            + quote(facts["language"], safe=""),
        }
    ]
    policy_sha256, policy_url = notice.get("policy_sha256"), notice.get("policy_url")
    if policy_sha256 or policy_url:
        policy: dict[str, Any] = {
            "@type": "dpv:PrivacyNotice",
            "schema:version": facts["policy_version"],
            "schema:url": policy_url or f"{base_url}/v1/sites/{site}/policy",
        }
        if policy_sha256:
            policy["@id"] = notice_iri(policy_sha256)
            policy["dct:identifier"] = policy_sha256
        found.append(policy)
    return found


def consent_record(
    facts: Mapping[str, Any],
    notice: Mapping[str, Any] | None,
    base_url: str,
    previous_choices: Mapping[str, bool] | None = None,
) -> dict[str, Any]:
    """One receipt as a ``dpv:ConsentRecord`` (without ``@context``).

    ``notice`` is the stored notice the receipt names; ``previous_choices`` those
    of the receipt it supersedes, so that a consent taken back reads "withdrawn".
    """
    base_url = base_url.rstrip("/")
    notice = notice or {}
    previous = previous_choices or {}
    site = facts["site"]
    subject = subject_iri(site, facts["subject"])
    # Spelled once: every consent event of the record repeats them.
    facts = {
        **facts,
        "subject_iri": subject,
        "created_at": as_time(facts["created_at"]),
        "expires_at": as_time(facts["expires_at"]),
    }
    gdpr = gdpr_applies(facts["jurisdiction"])
    controller = notice.get("controller") or {"name": site, "email": ""}
    controller_iri = f"{base_url}/v1/sites/{quote(site, safe='')}/notice#controller"
    legal_basis = [ref("dpv:ExpressedConsent")]
    if gdpr:
        legal_basis.append(ref("eu-gdpr:A6-1-a"))
    locations = [ref("dpv:WithinDevice")] + [
        ref(f"loc:{c}") for c in notice.get("storage_countries") or []
    ]
    shared = {
        "controller": controller_iri,
        "storage": [{"@type": "dpv:StorageLocation", "dpv:hasLocation": locations}],
        "jurisdiction": jurisdiction_node(facts["jurisdiction"]),
        "legal_basis": legal_basis,
    }
    categories = notice.get("categories") or [
        {"id": key, "required": False} for key in facts["choices"]
    ]
    optional = [c["id"] for c in categories if not c.get("required")]
    choices = facts["choices"]
    email = controller.get("email")
    exercised_at = [f"mailto:{email}"] if email else []
    record: dict[str, Any] = {
        "@id": record_iri(facts["id"]),
        "@type": "dpv:ConsentRecord",
        "dct:identifier": facts["id"],
        "dpv:hasIdentifier": facts["id"],
        "dct:conformsTo": ref(PROFILE_BASE + ("record-eu-gdpr" if gdpr else "record")),
        "dct:created": as_time(facts["created_at"]),
        "dpv:hasDataSubject": ref(subject),
        "dpv:hasDataController": ref(controller_iri),
        "dpv:hasJurisdiction": shared["jurisdiction"],
        "dpv:hasLegalBasis": legal_basis,
        "dct:language": facts["language"],
        "dpv:hasNotice": _notices(facts, notice, base_url),
        "dpv:hasProcess": [
            category_process(c, facts, previous, shared) for c in categories
        ],
        "dpv:hasConsentControl": {
            "@type": ["dpv:ProvideConsent", "dpv:WithdrawConsent"],
            "dct:description": "The cookie settings link on every page of the site "
            "opens the banner again: withdrawing takes as few steps as consenting.",
            "dpv:isExercisedAt": exercised_at,
        },
        "dpv:hasRight": [
            {
                "@type": ["dpv:DataSubjectRight", iri],
                "dct:title": title,
                "dpv:isExercisedAt": exercised_at,
            }
            for iri, title in (_RIGHTS if gdpr else _RIGHTS[:1])
        ],
        "dpv:hasConsentStatus": consent_status(
            any(choices.get(c) for c in optional),
            any(previous.get(c) for c in optional) if previous else None,
            facts,
        ),
        "dpv:hasEntity": [
            _controller_entity(controller_iri, controller),
            {
                "@id": subject,
                "@type": ["dpv:Entity", "dpv:DataSubject"],
                "dpv:hasIdentifier": facts["subject"],
            },
        ],
    }
    if gdpr:
        record["dpv:hasApplicableLaw"] = ref("eu-gdpr:GDPR")
    if facts.get("previous"):
        record["dct:replaces"] = ref(record_iri(facts["previous"]))
    if facts.get("jws"):
        record["sec:jws"] = facts["jws"]
    return record


def standalone(node: dict[str, Any]) -> dict[str, Any]:
    """A record or receipt as a JSON-LD document of its own (with ``@context``)."""
    return {"@context": DPV_CONTEXT, **node}


def consent_receipt(records: list[dict[str, Any]], created: datetime) -> dict[str, Any]:
    """A ``dpv:ConsentReceipt`` handing over ``records`` (a JSON-LD document).

    Its id is derived from the records it holds, so the same records always make a
    receipt with the same id; ``dct:created`` says when this copy was made.
    """
    ids = [r["dct:identifier"] for r in records]
    receipt_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "consent-receipt:" + ",".join(ids)))
    gdpr = all(r["dct:conformsTo"]["@id"].endswith("-eu-gdpr") for r in records)
    publishers = {r["dpv:hasDataController"]["@id"] for r in records}
    subjects = {r["dpv:hasDataSubject"]["@id"] for r in records}
    return standalone(
        {
            "@id": record_iri(receipt_id),
            "@type": "dpv:ConsentReceipt",
            "dct:identifier": receipt_id,
            "dpv:hasIdentifier": receipt_id,
            "dct:conformsTo": ref(
                PROFILE_BASE + ("receipt-eu-gdpr" if gdpr else "receipt")
            ),
            "dct:created": created.isoformat(),
            "dct:publisher": [ref(p) for p in sorted(publishers)],
            "schema:recipient": [ref(s) for s in sorted(subjects)],
            "dpv:hasRecordOfActivity": records,
        }
    )
