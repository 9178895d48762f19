"""In-app notifications: the author hears about decisions, comments and edits."""
