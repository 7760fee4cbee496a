"""Temporary: the old import path, until every importer uses insightly_connector.spec.credential."""

from insightly_connector.spec.credential import load_credential  # noqa: F401
