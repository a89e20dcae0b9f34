"""target_engine/service."""
