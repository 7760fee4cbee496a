"""Talking to the API: one client per credential, its limiter, its auth, and the one error policy
that turns an answer into a resolution."""

from insightly_connector.http.client import Client  # noqa: F401  (temporary: the old import path)
