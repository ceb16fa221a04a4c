"""opsflow's engine: process packages, the runtime API, persistence and timers (no web code)."""
