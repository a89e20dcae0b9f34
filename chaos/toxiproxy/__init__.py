"""chaos.toxiproxy."""
