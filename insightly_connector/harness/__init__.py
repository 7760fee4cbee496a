"""A local emulator of the Insightly CRM REST API v3.1, for tests, benchmarks and trying the connector.

It models Insightly from the Swagger file and the notes on live behaviour, never from `connector.yaml`.
"""

__all__ = ["Harness", "RequestLogEntry", "demo_key"]


def __getattr__(name: str):
    """Import lazily, so `python -m insightly_connector.harness.derive_table` runs without the server."""
    if name in ("Harness", "demo_key"):
        from insightly_connector.harness import harness
        return getattr(harness, name)
    if name == "RequestLogEntry":
        from insightly_connector.harness.request_log import RequestLogEntry
        return RequestLogEntry
    raise AttributeError(name)
