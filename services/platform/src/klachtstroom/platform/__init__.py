"""Shared runtime of the klachtstroom services: settings, db, outbox/inbox, broker, telemetry, app."""
