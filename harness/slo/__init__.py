"""SLO checks: PromQL generation, pure evaluation, and a small Prometheus HTTP client."""
