"""One module per CLI verb; each exposes `register(subparsers)` and a `run(args) -> int`."""
