"""Keeping the stored terms and timers of each case in step with its events (the unit of work)."""
