"""Calls routing makes to others on the platform's outbound queue: the warm hand-over to a provider
(`providers`) and the zaak in the case system through the Zaken API (`zgw`, `zgw_sender`)."""
