"""The reports: pure counts over `CaseFacts` rows (annual, provider, mediated) and the rules they share."""
