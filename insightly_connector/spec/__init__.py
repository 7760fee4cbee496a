"""The connector declaration: connector.yaml loaded, validated and compiled once into frozen objects
that carry behaviour, plus the credential bound to its one host."""

