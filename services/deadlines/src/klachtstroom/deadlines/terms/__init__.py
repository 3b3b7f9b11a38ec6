"""Where a term is computed: the Termijnenwet calendar, case events as facts, the terms of a case. Pure."""
