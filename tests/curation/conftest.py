"""The curation tests use the shared fixtures of tests/conftest.py (person, submitted, rules)."""
