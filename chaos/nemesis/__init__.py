"""chaos.nemesis."""
