"""The Airbyte protocol's command lines (the CDK's `spec`, `check`, `discover`, `read`, `write`)."""
