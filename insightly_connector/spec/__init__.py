"""The connector declaration: connector.yaml loaded, validated and compiled once into frozen objects
that carry behaviour, plus the credential bound to its one host."""

from insightly_connector.spec.loader import Resource, load_spec  # noqa: F401  (temporary: the old import path)
