"""Auth schemes, declared in `credential.auth` and looked up by `type` in one registry.

A scheme turns the credential's fields into the `Authorization` header value and the list of
secrets that must never be shown. Add a scheme here and a spec can name it; nothing else changes."""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from insightly_connector.spec.templating import render_build


@dataclass(frozen=True)
class BoundAuth:
    """A scheme filled from one credential: what goes on the wire, and what must be redacted."""

    header: str
    secrets: tuple[str, ...]


class AuthScheme(ABC):
    @abstractmethod
    def bind(self, fields: Mapping[str, Any]) -> BoundAuth:
        """Fill the scheme's `${field}` templates from the credential."""


@dataclass(frozen=True)
class BasicAuth(AuthScheme):
    """HTTP Basic: `username:password`, base64."""

    username: str
    password: str

    def bind(self, fields: Mapping[str, Any]) -> BoundAuth:
        username = render_build(self.username, fields)
        password = render_build(self.password, {**fields, "password": fields.get("password", "")})
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        return BoundAuth(f"Basic {token}", tuple(value for value in (username, password) if value))


@dataclass(frozen=True)
class BearerAuth(AuthScheme):
    """A bearer token (OAuth-style access token or API token)."""

    token: str

    def bind(self, fields: Mapping[str, Any]) -> BoundAuth:
        token = render_build(self.token, fields)
        return BoundAuth(f"Bearer {token}", (token,))


AUTH_SCHEMES: dict[str, type[AuthScheme]] = {"basic": BasicAuth, "bearer": BearerAuth}


def compile_auth(declared: Mapping[str, Any]) -> AuthScheme:
    """The meta-schema has already checked `type` and the scheme's own keys."""
    settings = {key: value for key, value in declared.items() if key != "type"}
    return AUTH_SCHEMES[declared["type"]](**settings)
