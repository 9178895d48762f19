"""The upload endpoints under /api/v1/uploads: tus 1.0 and presigned S3 multipart.

Authorised by a bearer token, or by the signed-in session with the CSRF token in an
``X-CSRFToken`` header (see :func:`advocacy.security.accepts_session_with_csrf`). Every
answer carries ``Tus-Resumable: 1.0.0``; errors are the hub's JSON errors with the status
codes tus prescribes.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.http import http_date

from advocacy.api.bodies import json_body, string_field
from advocacy.api.serializers import iso, media_json
from advocacy.database import as_utc
from advocacy.errors import Rejected, json_error
from advocacy.media.models import VideoUpload
from advocacy.security import accepts_session_with_csrf, public, requires
from advocacy.uploads import operations as uploads
from advocacy.uploads.operations import CHECKSUM_ALGORITHMS, TUS_EXTENSIONS, TUS_VERSION

blueprint = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")

#: Requests of these endpoints must speak tus 1.0 (``Tus-Resumable: 1.0.0``); DELETE is
#: shared with presigned uploads and is checked only when it names a version.
TUS_ENDPOINTS = frozenset({"uploads.create", "uploads.status", "uploads.patch"})
ONE_URL = "/<upload_id>"


@blueprint.before_request
def _speaks_tus() -> Response | None:
    """412 with the version we speak for a tus request in another (or no) version."""
    if request.method == "OPTIONS":
        return None
    version = request.headers.get("Tus-Resumable")
    tus = request.endpoint in TUS_ENDPOINTS or (
        request.endpoint == "uploads.terminate" and version is not None)
    if tus and version != TUS_VERSION:
        response = json_error(412, "tus_version",
                              _l("This server speaks tus %(version)s only.",
                                 version=TUS_VERSION), {"tus_version": TUS_VERSION})
        response.headers["Tus-Version"] = TUS_VERSION
        return response
    return None


@blueprint.after_request
def _tus_resumable(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    return response


def _whole_number(name: str, raw: str | None) -> int:
    """A header holding a non-negative integer (digits only, as tus says)."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        raise Rejected("invalid_header", _l("The header %(name)s must be a whole number of "
                                            "bytes.", name=name),
                       status=400, details={"header": name})
    return int(raw)


def _metadata(raw: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs."""
    values: dict[str, str] = {}
    for pair in (raw or "").split(","):
        if not pair.strip():
            continue
        key, _, encoded = pair.strip().partition(" ")
        try:
            values[key] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise Rejected("invalid_metadata",
                           _l("Upload-Metadata must hold base64-encoded UTF-8 values."),
                           status=400, details={"key": key[:40]}) from None
    return values


def _story_id(raw: str | int | None) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise Rejected("missing_story", _l("Name the story the video belongs to (“story”)."),
                       status=400, field="story")
    return int(text)


def _upload_headers(upload: VideoUpload) -> dict[str, str]:
    """When an unfinished upload expires, and (not tus's, the hub's own) which item of the
    story it fills, so that a page can follow that item's processing."""
    headers = {}
    if upload.completed_at is None:
        headers["Upload-Expires"] = http_date(as_utc(upload.expires_at))
    if upload.media_id is not None:
        headers["Upload-Media-Id"] = str(upload.media_id)
    return headers


def _empty(status: int, headers: dict[str, str]) -> Response:
    response = Response(status=status)
    response.headers.update(headers)
    return response


# -- tus ----------------------------------------------------------------------------------


@blueprint.route("", methods=["OPTIONS"], endpoint="options", provide_automatic_options=False)
@blueprint.route(ONE_URL, methods=["OPTIONS"], endpoint="options",
                 provide_automatic_options=False)
@public  # what the server speaks is no secret
def options(upload_id: str | None = None) -> Response:
    return _empty(204, {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(TUS_EXTENSIONS),
        "Tus-Max-Size": str(current_app.config["MAX_VIDEO_BYTES"]),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    })


@blueprint.route("", methods=["POST"], endpoint="create", provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def create() -> Response:
    if "Upload-Defer-Length" in request.headers:
        raise Rejected("defer_length_unsupported",
                       _l("Declare the length of the upload (Upload-Length)."), status=400)
    length = _whole_number("Upload-Length", request.headers.get("Upload-Length"))
    metadata = _metadata(request.headers.get("Upload-Metadata"))
    upload = uploads.create_tus_upload(current_user, _story_id(metadata.get("story")),
                                       length=length, filetype=metadata.get("filetype"))
    return _empty(201, {"Location": url_for("uploads.status", upload_id=upload.id),
                        **_upload_headers(upload)})


@blueprint.route(ONE_URL, methods=["HEAD"], endpoint="status", provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def status(upload_id: str) -> Response:
    upload = uploads.upload_for(current_user, upload_id)
    return _empty(200, {"Upload-Offset": str(upload.offset), "Upload-Length": str(upload.length),
                        "Cache-Control": "no-store", **_upload_headers(upload)})


def _checksum() -> tuple[str, bytes] | None:
    raw = request.headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise Rejected("checksum_unsupported",
                       _l("Checksums are taken in %(algorithms)s.",
                          algorithms=", ".join(CHECKSUM_ALGORITHMS)), status=400)
    try:
        return algorithm, base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        raise Rejected("invalid_header", _l("The header %(name)s is not valid.",
                                            name="Upload-Checksum"),
                       status=400, details={"header": "Upload-Checksum"}) from None


@blueprint.route(ONE_URL, methods=["PATCH"], endpoint="patch", provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def patch(upload_id: str) -> Response:
    if request.mimetype != "application/offset+octet-stream":
        raise Rejected("unsupported_media_type",
                       _l("Send the bytes as application/offset+octet-stream."), status=415)
    offset = _whole_number("Upload-Offset", request.headers.get("Upload-Offset"))
    checksum = _checksum()
    upload = uploads.upload_for(current_user, upload_id)
    # With a Content-Length the server's own input, read to exactly that length (werkzeug's
    # guarded stream copies every piece once more; the length is checked against the
    # upload's, and so against ADVOCACY_MAX_VIDEO_BYTES); a chunked body through the guard.
    length = request.content_length
    stream = request.input_stream if length is not None else request.stream
    upload = uploads.receive_chunk(upload, offset=offset, stream=stream, content_length=length,
                                   checksum=checksum)
    return _empty(204, {"Upload-Offset": str(upload.offset), **_upload_headers(upload)})


@blueprint.route(ONE_URL, methods=["DELETE"], endpoint="terminate",
                 provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def terminate(upload_id: str) -> Response:
    uploads.terminate(uploads.upload_for(current_user, upload_id))
    return _empty(204, {})


# -- presigned S3 multipart ---------------------------------------------------------------------


def _upload_json(upload: VideoUpload) -> dict[str, Any]:
    return {"id": upload.id, "key": upload.key, "media_id": upload.media_id,
            "size": upload.length, "part_size": uploads.part_size_for(upload.length),
            "parts_count": uploads.parts_count(upload), "expires_at": iso(upload.expires_at)}


@blueprint.route("/s3", methods=["POST"], endpoint="create_s3", provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def create_s3() -> tuple[Response, int]:
    body = json_body(allowed={"filename", "filetype", "size", "story"})
    string_field(body, "filename")  # only checked: file names are never kept
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise Rejected("invalid_type", _l("“%(field)s” must be a whole number.", field="size"),
                       status=422, field="size")
    story = body.get("story")
    if isinstance(story, bool):
        story = None
    upload = uploads.create_s3_upload(current_user, _story_id(story), length=size,
                                      filetype=string_field(body, "filetype"))
    return jsonify(_upload_json(upload)), 201


@blueprint.route(f"{ONE_URL}/parts", methods=["GET"], endpoint="parts",
                 provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def parts(upload_id: str) -> Response:
    upload = uploads.upload_for(current_user, upload_id)
    return jsonify({**_upload_json(upload), "parts": uploads.stored_parts(upload)})


@blueprint.route(f"{ONE_URL}/parts/<int:number>", methods=["GET"], endpoint="part_url",
                 provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def part_url(upload_id: str, number: int) -> Response:
    upload = uploads.upload_for(current_user, upload_id)
    url = uploads.part_url(upload, number)
    return jsonify({"number": number, "url": url, "expires_in": uploads.PART_URL_SECONDS})


def _parts_field(body: dict[str, Any]) -> list[tuple[int, str]]:
    raw = body.get("parts")
    ok = isinstance(raw, list) and 0 < len(raw) <= uploads.MAX_PARTS and all(
        isinstance(p, dict) and isinstance(p.get("number"), int)
        and not isinstance(p.get("number"), bool) and isinstance(p.get("etag"), str)
        and len(p["etag"]) <= 200 for p in raw)
    if not ok:
        raise Rejected("invalid_type", _l("“parts” must list every part as {number, etag}."),
                       status=422, field="parts")
    return [(p["number"], p["etag"]) for p in raw]  # type: ignore[union-attr]


@blueprint.route(f"{ONE_URL}/complete", methods=["POST"], endpoint="complete",
                 provide_automatic_options=False)
@requires()
@accepts_session_with_csrf
def complete(upload_id: str) -> Response:
    upload = uploads.upload_for(current_user, upload_id)
    parts = _parts_field(json_body(allowed={"parts"}))
    return jsonify(media_json(uploads.complete_s3_upload(upload, parts)))
