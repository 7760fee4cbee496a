"""Talking to the API: one client per credential, its limiter, its auth, and the one error policy
that turns an answer into a resolution."""


def __getattr__(name: str) -> object:  # temporary: the old import path, resolved lazily to avoid import cycles
    if name in ('Client',):
        import importlib

        return getattr(importlib.import_module("insightly_connector.http.client"), name)
    raise AttributeError(name)
