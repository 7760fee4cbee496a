"""Reading: which resources, how each is paged, the incremental window and the state file."""
