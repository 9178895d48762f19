"""Ambassadors: employees who opted in to share approved stories, and the topics they follow."""
