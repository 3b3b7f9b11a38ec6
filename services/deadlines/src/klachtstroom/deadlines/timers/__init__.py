"""Durable timers: which a term needs and when (pure), and the engine that fires them exactly once."""
