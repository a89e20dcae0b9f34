"""harness.load."""
