"""target_engine."""

# First: choose the compiled or the pure-Python domain before anything imports it (see native.py).
from . import native  # noqa: F401
