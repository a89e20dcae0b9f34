"""harness.load.locustfiles."""
