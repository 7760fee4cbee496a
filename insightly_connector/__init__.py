"""A declarative connector: a generic runner driven by connector.yaml (the bundled one declares Insightly CRM)."""

__version__ = "0.1.0"
