"""Resumable video uploads: tus 1.0 through the hub, and presigned S3 multipart uploads
straight from the browser to the bucket. A finished upload hands its video to the media
pipeline (``advocacy.media.operations.video_uploaded``); an abandoned one is removed."""
