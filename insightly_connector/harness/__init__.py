"""A local emulator of the Insightly CRM REST API v3.1, for tests, benchmarks and trying the connector.

It models Insightly from the Swagger file and the notes on live behaviour, never from `connector.yaml`.
"""

from insightly_connector.harness.harness import Harness, demo_key
from insightly_connector.harness.request_log import RequestLogEntry

__all__ = ["Harness", "RequestLogEntry", "demo_key"]
