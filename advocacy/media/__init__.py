"""Media: photos (and later vlogs) of stories, their processing and storage."""
