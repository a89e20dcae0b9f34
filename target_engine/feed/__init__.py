"""The index price feed process: a seeded random walk (or CSV replay) served over TCP as
line-delimited JSON ticks ``{"symbol","price","ts_ms","seq"}``."""
