"""What the resident's side brings to case handling: follow-up calls after poor feedback, the
desired outcome shown to the handler (fetched from intake), and the ombudsman's conclusion."""
