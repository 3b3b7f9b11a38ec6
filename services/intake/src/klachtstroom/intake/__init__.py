"""Intake: web form, API, e-mail and KCC registration, triage and deduplication."""
