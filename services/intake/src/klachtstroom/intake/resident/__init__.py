"""The resident's side of a complaint: the own status link, updates, messages and feedback.

A resident gets one unguessable link (`/status/{code}`, only its hash is stored) that shows in
B1 Dutch where the complaint stands; intake follows routing's case events and deadlines' terms
to keep that page and the messages to the resident up to date (follow.py), queues each message
once in the same transaction (messages.py) and sends it in the background (sender.py).
"""
