"""Talking to the API: one client per credential, its limiter, its auth, and the one error policy
that turns an answer into a resolution."""

