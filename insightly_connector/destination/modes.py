"""The four record modes a resource may declare under `write:`. Light on purpose: the spec's compile step, the
writer and the `write` verb's help all name them, and building the help must not load the writer."""

RECORD_MODES = ("create", "update", "upsert", "delete")
