"""target_engine."""
