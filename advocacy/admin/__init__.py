"""Administration pages: accounts, departments, topics, hub settings and the audit log.
Writes go through the features' operations; this package only holds the pages."""
