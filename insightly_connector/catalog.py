"""Temporary: the old import path, until every importer uses insightly_connector.source.catalog."""

from insightly_connector.source.catalog import resolve_resources  # noqa: F401
