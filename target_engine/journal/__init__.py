"""target_engine/journal."""
