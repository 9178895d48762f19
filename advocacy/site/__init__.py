"""The hub's front door: home, language switch and health check."""
