"""Where the key may go: one strict reading of a base URL, bound to the one origin it names.

A URL that two parsers read differently is how a key reaches a host nobody checked
(`http://a\\@b/` is host `b` to `urllib.parse` but host `a` to urllib3). So a base URL is accepted
only in a plain form (scheme, host, optional port, optional path: no userinfo, query, fragment,
backslash, whitespace or percent-escapes in the host) and only when that strict reading and the
standard library's agree on its host and port. The result is an `Origin`, and the HTTP transport
(`http/transport.py`) is built for that origin alone: it never parses a host out of a URL to decide
where to connect, and it refuses (`ForeignHostRefused`) any request URL that names another one."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from insightly_connector.errors import ConfigError
from insightly_connector.redaction import process_redactor

_MAX_URL_CHARS = 2048
_SHOWN_CHARS = 80
_PLAIN_URL = re.compile(
    r"(?P<scheme>https?)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
    r"(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>/[A-Za-z0-9._~!$&'()*+,;=:%/-]*)?",
    flags=re.ASCII)
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"


@dataclass(frozen=True)
class Origin:
    """The scheme, host and port a request connects to: what the key is bound to."""

    scheme: str
    host: str
    port: int

    @property
    def is_loopback(self) -> bool:
        return is_loopback_host(self.host)


def parse_base_url(text: object, field: str) -> tuple[Origin, str]:
    """The origin and path of a base URL given in `field`, or a ConfigError naming the field."""
    if not isinstance(text, str) or not text:
        raise ConfigError(f"{field}: must be a URL such as http://127.0.0.1:8765/v1")
    if len(text) > _MAX_URL_CHARS:
        raise ConfigError(f"{field}: a URL of {len(text)} characters is refused (at most {_MAX_URL_CHARS})")
    match = _PLAIN_URL.fullmatch(text)
    if match is None:
        raise ConfigError(f"{field}: {shown(text)} is refused: only scheme://host[:port][/path] is accepted, "
                          "with no user name, query, fragment, backslash or spaces")
    port_text = match.group("port")
    scheme = match.group("scheme").lower()
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    if not 1 <= port <= 65535:
        raise ConfigError(f"{field}: port {port_text} is out of range (1 to 65535)")
    host = match.group("host").lower().strip("[]")
    if match.group("host").startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ConfigError(f"{field}: {shown(text)} has no valid IPv6 address between the brackets") from None
    origin = Origin(scheme, host, port)
    if url_origin(text) != origin:
        raise ConfigError(f"{field}: {shown(text)} is refused: URL parsers disagree on its host")
    return origin, match.group("path") or ""


def host_pattern(pattern: str) -> re.Pattern[str]:
    """An allowed-host pattern where `*` stands for exactly one DNS label, or for part of one."""
    parts = []
    for label in pattern.lower().split("."):
        if label == "*":
            parts.append(_LABEL)
        else:
            parts.append("[a-z0-9-]*".join(re.escape(piece) for piece in label.split("*")))
    return re.compile(r"\.".join(parts))


def host_allowed(host: str, patterns: list[str]) -> bool:
    return any(host_pattern(pattern).fullmatch(host) for pattern in patterns)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def shown(text: str) -> str:
    """A user's value quoted in a message, cut short (a megabyte echoed back helps nobody) and with
    every loaded secret masked (a key pasted into a URL must not come back in the error)."""
    text = process_redactor.scrub(text)
    return repr(text if len(text) <= _SHOWN_CHARS else text[:_SHOWN_CHARS] + "…")


class ForeignHostRefused(Exception):
    """A request was about to leave for a host the credential was not validated for."""


def url_origin(url: str) -> Origin | None:
    """The origin the standard library reads in `url`; None for a URL with a user name or no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.username is not None or parts.password is not None or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    return Origin(scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80))
