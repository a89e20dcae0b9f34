"""chaos.container."""
