"""chaos.process."""
