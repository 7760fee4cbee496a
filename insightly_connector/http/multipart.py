"""A multipart/form-data body, encoded as urllib3 encoded it (and as browsers and curl do).

Field values are text; a file is (file name, bytes, content type). Parameter values in the part headers
are quoted the WHATWG way: `"`, CR and LF are percent-encoded, everything else is UTF-8 as is."""

from __future__ import annotations

import os
from collections.abc import Mapping


def encode_form(fields: Mapping[str, str | tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """The body and its content type (with the random boundary that separates the parts)."""
    boundary = os.urandom(16).hex()
    parts = []
    for name, value in fields.items():
        disposition = f"form-data; {_param('name', name)}"
        if isinstance(value, tuple):
            file_name, data, content_type = value
            head = f"Content-Disposition: {disposition}; {_param('filename', file_name)}\r\n" \
                   f"Content-Type: {content_type}\r\n\r\n"
        else:
            head, data = f"Content-Disposition: {disposition}\r\n\r\n", str(value).encode()
        parts.append(f"--{boundary}\r\n{head}".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _param(name: str, value: str) -> str:
    return f'{name}="{value.translate({10: "%0A", 13: "%0D", 34: "%22"})}"'
