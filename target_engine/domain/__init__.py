"""target_engine/domain."""
