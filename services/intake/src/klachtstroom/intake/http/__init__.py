"""HTTP routes and pages of intake: the JSON API, the form, the KCC screen, import, duplicates, contact."""
