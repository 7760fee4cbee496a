"""Writing: records planned, validated, addressed by the write templates, sent, confirmed or rejected."""
