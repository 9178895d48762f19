"""The append-only audit log: who decided, edited or changed a rule, and when."""
