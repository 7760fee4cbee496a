"""What a run says: records and messages as JSON lines, Airbyte or Singer, and progress on stderr."""
