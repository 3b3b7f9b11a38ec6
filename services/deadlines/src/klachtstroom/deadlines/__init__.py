"""klachtstroom deadlines: the Termijnenwet calendar, term computation, warnings and escalation."""
