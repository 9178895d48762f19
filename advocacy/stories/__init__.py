"""Stories: what employees hand in, and the state machine they move through."""
