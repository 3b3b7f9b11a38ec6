"""Who is told about warnings, breaches and escalations, what the message says, and its delivery."""
