"""HTTP routes and the page of the term watch: terms, calendar, escalation, timers, notifications."""
