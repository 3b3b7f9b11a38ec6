"""E-mail in: the SMTP receiver, the IMAP mailbox poller, and reading a message (pure)."""
