"""Signals to the college: urgent complaints and trends, stored once, emitted and delivered."""
