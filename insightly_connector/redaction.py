"""Scrub secrets out of anything the connector prints or writes.

Basic auth puts base64(key + ":") on the wire, and some clients send base64(key); a leak of any of
those forms is a leak of the key, so all of them are redacted, longest first (a shorter secret can
be a prefix of a longer one)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from urllib.parse import quote

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary text and protect nothing


def secret_forms(secret: str) -> set[str]:
    """The raw secret, its URL-encoded form, and the encodings it travels in within an Authorization header."""
    forms = {secret, quote(secret, safe="")}
    for raw in (secret, secret + ":"):
        encoded = base64.b64encode(raw.encode()).decode()
        forms.add(encoded)
        forms.add(encoded.rstrip("="))
    return {form for form in forms if len(form) >= _MIN_SECRET_LENGTH}


class Redactor:
    """Replaces every known secret form with a mask, in text and in bytes."""

    def __init__(self, secrets: Iterable[str] = ()):
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms |= secret_forms(secret)
        self._forms = sorted(forms, key=len, reverse=True)
        self._byte_forms = [form.encode() for form in self._forms]

    def add(self, secret: str) -> None:
        """Register one more secret, e.g. when a credential is loaded after start-up."""
        if secret:
            self._forms = sorted(set(self._forms) | secret_forms(secret), key=len, reverse=True)
            self._byte_forms = [form.encode() for form in self._forms]

    def scrub(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return text

    def scrub_bytes(self, data: bytes) -> bytes:
        for form in self._byte_forms:
            if form in data:
                data = data.replace(form, MASK.encode())
        return data

    def __bool__(self) -> bool:
        return bool(self._forms)


#: Every secret loaded in this process, so that the CLI can scrub all output whatever produced it.
process_redactor = Redactor()
