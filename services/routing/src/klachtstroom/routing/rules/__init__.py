"""Routing rules: the rule set and how it decides (`ruleset`, pure), and its stored versions, seed
and the values routing knows (`versions`)."""
