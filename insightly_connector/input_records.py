"""Temporary: the old import path, until every importer uses insightly_connector.destination.input_records."""

from insightly_connector.destination.input_records import read_records  # noqa: F401
