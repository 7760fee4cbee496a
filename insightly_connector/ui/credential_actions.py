"""The form's two buttons: Test runs the runner's own `check`, Save validates and writes the credential file.

Test answers in plain words: a headline for each outcome `check` can give (verified, wrong key, valid on
another pod with that pod, a refusal the spec declares such as API access disabled, network failure), and
`check`'s own sentence. Neither answer ever carries a secret: the key is scrubbed from every message."""

from __future__ import annotations

import re
from typing import Any

from insightly_connector.commands import check as check_verb
from insightly_connector.errors import ConfigError
from insightly_connector.redaction import process_redactor
from insightly_connector.spec.credential import load_credential
from insightly_connector.spec.loader import Spec
from insightly_connector.ui.credential_store import CredentialStore

HEADLINES = {
    check_verb.VERIFIED: "Verified",
    check_verb.WRONG_KEY: "Wrong key",
    check_verb.WRONG_POD: "Valid on another pod",
    check_verb.NETWORK_FAILURE: "Network failure",
    check_verb.REDIRECT_REFUSED: "Redirect refused",
    check_verb.QUOTA: "Daily quota spent",
}
INVALID = "invalid_credential"


def test_credential(spec: Spec, store: CredentialStore, fields: dict[str, Any],
                    pod_base_urls: dict[str, str]) -> dict[str, Any]:
    """`check` (without the per-resource probe) on the form's fields, as an outcome the page shows."""
    try:
        credential = load_credential(store.merged(fields), spec, pod_base_urls=pod_base_urls)
    except ConfigError as exc:
        return _outcome(INVALID, "Not a valid credential", str(exc))
    result = check_verb.check(spec, credential, probe_resources=False)
    outcome = _outcome(result.status, headline(result.status, result.message), result.message)
    outcome["verified_at"] = result.verified_at
    outcome["pods_tried"] = result.pods_tried
    if result.status == check_verb.WRONG_POD:
        # `check` tries the other pods in order and stops at the first that accepts the key: the last one tried.
        outcome["pod"] = result.pods_tried[-1]
        outcome["headline"] = f"{outcome['headline']}: {outcome['pod']}"
    return outcome


def save_credential(spec: Spec, store: CredentialStore, fields: dict[str, Any],
                    pod_base_urls: dict[str, str]) -> dict[str, Any]:
    """Validate the fields as the runner will read them, then write the file; answer with the masked view."""
    merged = store.merged(fields)
    try:
        load_credential(merged, spec, pod_base_urls=pod_base_urls)
    except ConfigError as exc:
        return {"saved": False, "message": process_redactor.scrub(str(exc))}
    store.save(merged)
    return {"saved": True, "message": f"saved to {store.path.resolve()} (readable by you only)",
            **store.masked_view()}


def headline(status: str, message: str = "") -> str:
    """Plain words for a status: ours, else the status name (e.g. an answer the spec declares) spelled out,
    with any word the message writes in capitals (an acronym such as API) written that way."""
    if status in HEADLINES:
        return HEADLINES[status]
    capitals = {word for word in re.findall(r"[A-Za-z]+", message) if word.isupper()}
    words = [word.upper() if word.upper() in capitals else word for word in status.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _outcome(status: str, title: str, message: str) -> dict[str, Any]:
    return {"status": status, "headline": title, "message": process_redactor.scrub(message),
            "ok": status == check_verb.VERIFIED}
