"""Engine configuration files and their loader (I/O lives here, outside the pure domain)."""
