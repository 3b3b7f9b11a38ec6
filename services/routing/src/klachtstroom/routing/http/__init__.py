"""Every HTTP route and page of routing, thin: authorise, validate, call casework, answer. The case
API (`cases`), letters, providers, rules, ZGW notifications, the ombudsman's outcome, privacy, and
the case worker's pages (`pages`, templates in `page_templates/`)."""
