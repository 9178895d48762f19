"""The curator's desk: review queue, decisions, light edits, revisions and the comment thread."""
