"""Accounts: people, roles, departments, sign-in and API tokens."""
