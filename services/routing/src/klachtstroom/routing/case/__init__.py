"""The case itself, pure: states, the Case record, commands and history events (`domain`), the Awb
chapter 9 state machine (`lifecycle.apply`), the API bodies of each action (`actions`), derived flags,
the JSON form of a case (`codec`) and the event a history entry becomes (`events`). No I/O."""
