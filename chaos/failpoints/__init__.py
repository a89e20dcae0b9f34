"""chaos.failpoints."""
