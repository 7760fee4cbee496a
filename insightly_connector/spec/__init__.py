"""The connector declaration: connector.yaml loaded, validated and compiled once into frozen objects
that carry behaviour, plus the credential bound to its one host."""


def __getattr__(name: str) -> object:  # temporary: the old import path, resolved lazily to avoid import cycles
    if name in ('Resource', 'load_spec'):
        import importlib

        return getattr(importlib.import_module("insightly_connector.spec.loader"), name)
    raise AttributeError(name)
