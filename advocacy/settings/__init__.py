"""Hub settings that admins change at runtime (policies, not deployment configuration)."""
