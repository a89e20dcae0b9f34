"""Integrity checkers: pure functions over a run folder's data (history, journal copy, answers)."""
