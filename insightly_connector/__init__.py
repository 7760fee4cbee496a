"""Declarative Insightly CRM connector: a generic runner driven by connector.yaml."""

__version__ = "0.1.0"
