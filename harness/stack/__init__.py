"""harness.stack: start, supervise and stop the game-day processes (engines, feed, proxies, gateway)."""
