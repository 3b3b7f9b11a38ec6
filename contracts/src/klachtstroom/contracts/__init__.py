"""Event contracts of klachtstroom: envelope, payloads, topics and vocabulary."""
