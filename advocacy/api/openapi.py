"""The OpenAPI 3.1 document of the JSON API (the contract: docs/api.md)."""

from __future__ import annotations

from typing import Any, get_args

from flask import current_app, url_for

from advocacy.accounts.operations import MAX_TOKEN_SECONDS
from advocacy.channels import Network, Unit
from advocacy.notifications.models import NotificationKind
from advocacy.sharing.models import ShareStatus
from advocacy.stories.states import StoryStatus

NETWORKS = [network.value for network in Network]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _json_request(properties: dict[str, Any], *, required: tuple[str, ...] = (),
                  optional: bool = False) -> dict[str, Any]:
    """A JSON object body with exactly these fields (the API refuses others with 400)."""
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                              "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": not optional, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


ERROR_TEXTS = {400: "Malformed request", 401: "Missing or invalid token",
               403: "Role does not allow this", 404: "Not found (or not yours to see)",
               409: "State does not allow this", 413: "Request or file too large",
               410: "Gone", 412: "Precondition failed",
               415: "Unsupported content", 422: "Invalid input", 429: "Rate limited",
               503: "A service of the hub is not answering; nothing was saved. Try again "
                    "after the `Retry-After` header's seconds"}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _error(ERROR_TEXTS[code]) for code in codes}


#: What an error's ``details`` hold, by error code (besides ``fields``).
ERROR_DETAILS: dict[str, dict[str, Any]] = {
    "unknown_fields": {"required": ["unknown"], "properties": {
        "unknown": {"type": "array", "items": {"type": "string"}}}},
    "unknown_network": {"required": ["allowed"], "properties": {
        "allowed": {"type": "array", "items": {"enum": NETWORKS}}}},
    "text_too_long": {"required": ["count", "limit", "unit"], "properties": {
        "count": {"type": "integer", "description": "The text as the network counts it, "
                                                    "tracked link included"},
        "limit": {"type": "integer"}, "unit": {"enum": list(get_args(Unit))},
        "bytes_over": {"const": True, "description": "Bluesky: within its 300 graphemes, "
                                                     "yet over its 3,000 bytes"}},
        "description": "A text over 10,000 characters is refused before it is counted for a "
                       "network: then `limit` is 10000 and `unit` characters"},
    "guidelines_block": {"required": ["findings"], "properties": {
        "findings": {"type": "array", "items": _ref("Finding"),
                     "description": "Every finding, the blocking ones and the others"}}},
    "invalid_instance": {"required": ["reason"], "properties": {"reason": {
        "type": "string", "description": "Which rule refused the name: missing, too_long, "
        "characters, scheme, path, query, fragment, userinfo, port, ip_address, invalid, "
        "private or single_label; where the hub calls the server, also not_found (it does "
        "not resolve) or private_address (it resolves to a private address)"}}},
    "page_out_of_range": {"required": ["pages"], "properties": {"pages": {"type": "integer"}}},
    "invalid_per_page": {"required": ["max"], "properties": {"max": {"const": 100}}},
    "embargoed": {"properties": {"embargo_until": {
        "type": "string", "format": "date-time",
        "description": "Only for those who may see the story: its author and curators"}}},
    "not_approved": {"required": ["status"], "properties": {
        "status": {"enum": [s.value for s in StoryStatus]}}},
    "illegal_transition": {"required": ["status", "action"], "properties": {
        "status": {"enum": [s.value for s in StoryStatus]}, "action": {"type": "string"}}},
    "stale": {"properties": {"version": {"type": "integer"},
                             "status": {"enum": [s.value for s in StoryStatus]}}},
    "too_large": {"properties": {"max_bytes": {"type": "integer"},
                                 "length": {"type": "integer"}, "offset": {"type": "integer"}}},
    "offset_mismatch": {"required": ["offset"], "properties": {"offset": {"type": "integer"}}},
    "parts_missing": {"required": ["parts"], "properties": {
        "parts": {"type": "array", "items": {"type": "integer"}}}},
    "size_mismatch": {"required": ["received", "length"], "properties": {
        "received": {"type": "integer"}, "length": {"type": "integer"}}},
    "rate_limited": {"properties": {"limit": {"type": "string"}}},
    "videos_not_ready": {"required": ["processing", "failed"], "properties": {
        "processing": {"type": "array", "items": {"type": "integer"},
                       "description": "Media ids of videos still uploading or processing"},
        "failed": {"type": "array", "items": {"type": "integer"},
                   "description": "Media ids of videos that failed"}}},
}


def _add_outages(paths: dict[str, Any]) -> None:
    """Every operation may meet a database that does not answer; those that take files (a
    multipart body) or hand out media may also meet a storage that does not."""
    for path, operations in paths.items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue  # path-wide parameters
            content = operation.get("requestBody", {}).get("content", {})
            codes = ["database_unavailable"]
            if "multipart/form-data" in content or "/media" in path:
                codes.append("storage_unavailable")
            operation["responses"].setdefault("503", _refusals({503: tuple(codes)})["503"])


def _refusals(codes: dict[int, tuple[str, ...]]) -> dict[str, Any]:
    """Error responses naming the codes each status can carry, with their ``details``."""
    responses: dict[str, Any] = {}
    for status, names in sorted(codes.items()):
        known = [{"if": {"properties": {"code": {"const": name}}},
                  "then": {"properties": {"details": {"type": "object", **ERROR_DETAILS[name]}}}}
                 for name in names if name in ERROR_DETAILS]
        error: dict[str, Any] = {"type": "object", "properties": {"code": {"enum": list(names)}}}
        if known:
            error["allOf"] = known
        listed = ", ".join(f"`{name}`" for name in names)
        responses[str(status)] = _json(
            {"allOf": [_ref("Error"), {"type": "object", "properties": {"error": error}}]},
            f"{ERROR_TEXTS[status]}: {listed}")
    return responses


#: The refusals of every route that reads a JSON body, and of every route.
BODY_REFUSALS: dict[int, tuple[str, ...]] = {
    400: ("invalid_json", "unknown_fields"), 413: ("too_large",),
    415: ("unsupported_media_type",)}
SIGNED_IN: dict[int, tuple[str, ...]] = {401: ("unauthorized",)}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": _ref(name)},
        "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "total": {"type": "integer"}, "pages": {"type": "integer"}}}


STORY_ID = {"name": "story_id", "in": "path", "required": True, "schema": {"type": "integer"}}
#: Paged lists: anything else is refused with 422 `invalid_page` or `invalid_per_page`.
PAGE: dict[str, Any] = {"name": "page", "in": "query", "schema": {
    "type": "integer", "minimum": 1, "maximum": 999999, "default": 1}}
PER_PAGE: dict[str, Any] = {"name": "per_page", "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 100}}
PAGING_REFUSALS = ("invalid_page", "invalid_per_page")

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "details": {"type": "object", "properties": {"fields": {
                "type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}},
                "description": "Messages per input field, for fields in error"}}}}}}},
    "Topic": {"type": "object", "required": ["slug", "name"], "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}}},
    "User": {"type": "object", "properties": {
        "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
        "role": {"enum": ["employee", "curator", "admin"]},
        "department": {"type": ["string", "null"]}, "language": {"type": ["string", "null"]}}},
    "Token": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time",
                         "description": "Recorded at most every five minutes"},
        "expires_at": {"type": ["string", "null"], "format": "date-time",
                       "description": "When the token stops working; null: never"},
        "expired": {"type": "boolean"},
        "revoked": {"type": "boolean", "description": "Revoked by its owner, or with every "
                    "other token by a password change, signing out everywhere or deactivation"},
        "revoked_at": {"type": ["string", "null"], "format": "date-time"}}},
    "Media": {"type": "object", "required": ["id", "kind", "url", "width", "height"],
              "description": "A photo, or a video (`kind`): a video has `status`, `error`, "
                             "`duration`, `poster` and a `url` only once it is ready",
              "properties": {
                  "id": {"type": "integer"}, "kind": {"enum": ["photo", "video"]},
                  "url": {"type": ["string", "null"], "format": "uri",
                          "description": "A photo's `large` rendition; a video's playable "
                                         "MP4 (H.264/AAC, byte ranges), null until `ready`"},
                  "width": {"type": ["integer", "null"]},
                  "height": {"type": ["integer", "null"]},
                  "original_width": {"type": "integer"}, "original_height": {"type": "integer"},
                  "status": {"enum": ["uploading", "processing", "ready", "failed"],
                             "description": "Videos only: still uploading, being converted, "
                                            "playable, or refused (see `error`)"},
                  "error": {"type": ["object", "null"], "description": "Videos only, when "
                            "failed: why, in the reader's language",
                            "properties": {"code": {"enum": [
                                "empty", "too_large", "not_a_video", "truncated", "no_video",
                                "too_many_pixels", "too_long", "undecodable",
                                "processing_failed", "original_lost"]},
                                "message": {"type": "string"}}},
                  "duration": {"type": ["number", "null"],
                               "description": "Videos only: seconds, once processed"},
                  "content_type": {"type": ["string", "null"],
                                   "description": "Videos only: video/mp4 once ready"},
                  "bytes": {"type": "integer", "description": "Videos only: the upload's size "
                            "until processed, then the playable file's"},
                  "poster": {"type": ["object", "null"], "description": "Videos only: the "
                             "poster frame's photo renditions (large, feed, thumb, card)",
                             "additionalProperties": {
                                 "type": "object", "properties": {
                                     "url": {"type": "string", "format": "uri"},
                                     "width": {"type": "integer"},
                                     "height": {"type": "integer"}}}},
                  "renditions": {"type": "object", "additionalProperties": {
                      "type": "object", "properties": {
                          "url": {"type": "string", "format": "uri"},
                          "width": {"type": "integer"}, "height": {"type": "integer"}}}},
                  "removed_metadata": {"type": "array", "items": {"type": "string"}},
                  "consent_confirmed": {"type": "boolean"}}},
    "Finding": {"type": "object", "required": ["rule", "severity", "message", "spans"],
                "properties": {
        "rule": {"type": "string"}, "kind": {"type": "string"},
        "severity": {"enum": ["block", "warn", "info"]},
        "message": {"type": "string", "description": "In the caller's language"},
        "hint": {"type": ["string", "null"]},
        "field": {"type": ["string", "null"],
                  "description": "Which text the spans index (title, body, text); null for "
                                 "findings about topics, dates, photos or a missing text"},
        "spans": {"type": "array", "description": "[start, end) character offsets",
                  "items": {"type": "array", "items": {"type": "integer"}}},
        "embargo_until": {"type": ["string", "null"], "format": "date"},
        "media_index": {"type": ["integer", "null"]},
        "addition": {"type": ["string", "null"],
                     "description": "Text whose addition resolves the finding (a required "
                                    "disclosure such as #ad)"},
        "detail": {"type": ["string", "null"],
                   "description": "For a finding about one photo or video (media_index): "
                                  "which one, and what about it missed the rule"}}},
    "Person": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}}},
    "Decision": {"type": "object", "properties": {
        "id": {"type": "integer"},
        "decision": {"enum": ["approve", "request_changes", "reject"]},
        "comment": {"type": "string"}, "curator": _ref("Person"),
        "topics": {"type": "array", "items": {"type": "string"}},
        "captions": {"type": "object", "additionalProperties": {"type": "string"}},
        "embargo_until": {"type": ["string", "null"], "format": "date-time"},
        "expires_at": {"type": ["string", "null"], "format": "date-time"},
        "findings": {"type": "array", "items": _ref("Finding")},
        "created_at": {"type": "string", "format": "date-time"}}},
    "Comment": {"type": "object", "properties": {
        "id": {"type": "integer"}, "body": {"type": "string"}, "author": _ref("Person"),
        "created_at": {"type": "string", "format": "date-time"}}},
    "Revision": {"type": "object", "properties": {
        "number": {"type": "integer"}, "kind": {"enum": ["submission", "curator_edit"]},
        "title": {"type": "string"}, "body": {"type": "string"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "findings": {"type": "array", "items": _ref("Finding")},
        "explanation": {"type": ["string", "null"]}, "by": _ref("Person"),
        "created_at": {"type": "string", "format": "date-time"}}},
    "Notification": {"type": "object", "properties": {
        "id": {"type": "integer"},
        "kind": {"enum": [k.value for k in NotificationKind]},
        "text": {"type": "string"}, "story_id": {"type": ["integer", "null"]},
        "read": {"type": "boolean"}, "created_at": {"type": "string", "format": "date-time"},
        "post_url": {"type": ["string", "null"],
                     "description": "For share_retracted: the ambassador's post to remove"}}},
    "Story": {"type": "object",
              "required": ["id", "title", "body", "status", "topics", "media", "findings"],
              "properties": {
                  "author": {"type": "object", "description": "Null id and name when the "
                             "author chose to be credited anonymously (shown to the author "
                             "and curators regardless)", "properties": {
                      "id": {"type": ["integer", "null"]}, "name": {"type": ["string", "null"]}}},
                  "created_at": {"type": "string", "format": "date-time"},
                  "updated_at": {"type": "string", "format": "date-time"},
                  "submitted_at": {"type": ["string", "null"], "format": "date-time"},
                  "id": {"type": "integer"}, "title": {"type": "string"},
                  "body": {"type": "string"}, "status": {"enum": [s.value for s in StoryStatus]},
                  "topics": {"type": "array", "items": {"type": "string"}},
                  "media": {"type": "array", "items": _ref("Media")},
                  "findings": {"type": "array", "items": _ref("Finding")},
                  "consent": {"type": "boolean"}, "version": {"type": "integer"},
                  "approved_at": {"type": ["string", "null"], "format": "date-time"},
                  "embargo_until": {"type": ["string", "null"], "format": "date-time"},
                  "expires_at": {"type": ["string", "null"], "format": "date-time"},
                  "captions": {"type": "object", "additionalProperties": {"type": "string"}},
                  "public_url": {"type": ["string", "null"], "format": "uri"},
                  "retracted_at": {"type": ["string", "null"], "format": "date-time"}}},
    "StoryPatch": {"type": "object", "additionalProperties": False,
                   "description": "Only the fields sent change; null leaves a field as it is.",
                   "properties": {
        "title": {"type": ["string", "null"], "minLength": 1, "maxLength": 150},
        "body": {"type": ["string", "null"], "minLength": 1, "maxLength": 10000},
        "topics": {"type": ["array", "null"], "items": {"type": "string"},
                   "description": "Slugs of existing topics (GET /topics)"},
        "consent": {"type": ["boolean", "null"]},
        "version": {"type": "integer", "description": "Refuse with 409 if the story changed"}}},
    "StoryUpload": {"type": "object", "required": ["title", "body"], "properties": {
        "title": {"type": "string", "minLength": 1, "maxLength": 150},
        "body": {"type": "string", "minLength": 1, "maxLength": 10000},
        "topics": {"type": "array", "items": {"type": "string"},
                   "description": "Slugs of existing topics (GET /topics)"},
        "media": {"type": "array", "items": {"type": "string", "format": "binary"}},
        "consent": {"type": "boolean"}}},
    "Ambassador": {"type": "object", "required": ["opted_in", "topics", "mastodon_instance",
                                                  "named_in_reports", "opted_in_at"],
                   "description": "Whether you opted in and your choices; after opting out "
                                  "(or before opting in) false, empty and null.",
                   "properties": {
        "opted_in": {"type": "boolean"},
        "topics": {"type": "array", "items": {"type": "string"},
                   "description": "Slugs of the topics whose stories your feed shows"},
        "mastodon_instance": {"type": ["string", "null"],
                              "description": "Your Mastodon server's host name, for Mastodon "
                                             "share links"},
        "named_in_reports": {"type": "boolean",
                             "description": "Whether curators' reports may name you"},
        "opted_in_at": {"type": ["string", "null"], "format": "date-time"}}},
    "FeedItem": {"allOf": [_ref("Story"), {
        "type": "object", "required": ["shared_on"], "properties": {"shared_on": {
            "type": "array", "items": {"enum": NETWORKS}, "uniqueItems": True,
            "description": "The networks you shared this story to already, sorted"}}}]},
    "Share": {"type": "object",
              "required": ["id", "story_id", "network", "status", "text", "tracked_url",
                           "intent_url", "post_url", "created_at", "posted_at", "clicks"],
              "properties": {
        "id": {"type": "integer"}, "story_id": {"type": "integer"},
        "network": {"enum": NETWORKS},
        "status": {"enum": [s.value for s in ShareStatus],
                   "description": "`opened`: the share link was handed out (the hub cannot "
                                  "see whether you posted); `posted`: you said you posted it"},
        "text": {"type": "string", "description": "Your text with the tracked link in it"},
        "tracked_url": {"type": "string", "format": "uri",
                        "description": "This share's own link (/l/<code>), counting clicks "
                                       "on its way to the story's public page"},
        "intent_url": {"type": ["string", "null"], "format": "uri",
                       "description": "The network's share link: it opens your own composer "
                                      "with the text (a mailto: link for e-mail); nothing is "
                                      "posted until you post it there. Null for Mastodon "
                                      "while you have no server set"},
        "post_url": {"type": ["string", "null"], "format": "uri",
                     "description": "Your post's address, when you gave it"},
        "created_at": {"type": "string", "format": "date-time"},
        "posted_at": {"type": ["string", "null"], "format": "date-time"},
        "clicks": _ref("NetworkFigures")}},
    "Composition": {"type": "object",
                    "required": ["network", "text", "length", "findings", "similarity",
                                 "nearly_identical"], "properties": {
        "network": {"enum": NETWORKS},
        "text": {"type": "string",
                 "description": "The text as it would be shared, with a stand-in tracked link "
                                "as long as the real one"},
        "length": {"type": "object", "required": ["count", "limit", "unit", "fits"],
                   "properties": {
            "count": {"type": "integer", "minimum": 0},
            "limit": {"type": ["integer", "null"],
                      "description": "Null where the network sets no limit (Facebook, "
                                     "WhatsApp, e-mail)"},
            "unit": {"enum": list(get_args(Unit)),
                     "description": "`weighted` on X (links 23, wide characters 2), "
                                    "`graphemes` on Bluesky, `characters` elsewhere"},
            "fits": {"type": "boolean",
                     "description": "Whether the network takes it (Bluesky also caps a post "
                                    "at 3,000 bytes)"}}},
        "findings": {"type": "array", "items": _ref("Finding"),
                     "description": "The brand guidelines on this text for this network; a "
                                    "finding with `addition` offers the text to add"},
        "similarity": {"type": "number", "minimum": 0, "maximum": 1,
                       "description": "Closeness to the latest posts of this story on this "
                                      "network (yours included)"},
        "nearly_identical": {"type": "boolean",
                             "description": "Similarity of 0.9 or more: networks treat such "
                                            "posts as duplicates and readers as staged"}}},
    "NetworkFigures": {"type": "object", "required": ["shares", "clicks", "visitors",
                                                      "previews"], "properties": {
        "shares": {"type": "integer", "minimum": 0},
        "clicks": {"type": "integer", "minimum": 0,
                   "description": "Clicks by people on tracked links (not bots or previews)"},
        "visitors": {"type": "integer", "minimum": 0,
                     "description": "People who clicked, each counted once a day"},
        "previews": {"type": "integer", "minimum": 0,
                     "description": "Networks fetching the link for its preview card"}}},
    "Figures": {"allOf": [_ref("NetworkFigures"), {
        "type": "object", "required": ["networks", "days"], "properties": {
            "networks": {"type": "object", "propertyNames": {"enum": NETWORKS},
                         "additionalProperties": _ref("NetworkFigures"),
                         "description": "The same figures per network shared to"},
            "days": {"type": "array", "description": "Per day (UTC), oldest first",
                     "items": {"type": "object", "required": ["day", "shares", "clicks"],
                               "properties": {
                                   "day": {"type": "string", "format": "date"},
                                   "shares": {"type": "integer", "minimum": 0},
                                   "clicks": {"type": "integer", "minimum": 0}}}}}}]},
    "TeamRow": {"allOf": [_ref("NetworkFigures"), {
        "type": "object", "required": ["department", "ambassadors"], "properties": {
            "department": {"type": ["string", "null"],
                           "description": "Null for people in no department"},
            "ambassadors": {"type": "integer", "minimum": 0,
                            "description": "Who is an ambassador now"},
}}]},
}


def openapi_document() -> dict[str, Any]:
    """The document, with the server URL of the current request."""
    story = _json(_ref("Story"), "The story")
    urlencoded = {"schema": {"type": "object", "required": ["title", "body"], "properties": {
        "title": {"type": "string"}, "body": {"type": "string"},
        "topics": {"type": "array", "items": {"type": "string"}},
        "consent": {"type": "boolean"}}}}
    multipart = {"required": True, "content": {"application/x-www-form-urlencoded": urlencoded,
                                               "multipart/form-data": {
        "schema": _ref("StoryUpload"),
        "encoding": {"topics": {"style": "form", "explode": True},
                     "media": {"contentType": "image/jpeg, image/png, image/webp, image/heic"}}}}}
    paths: dict[str, Any] = {
        "/tokens": {
            "post": {"summary": "Exchange e-mail and password for a token", "security": [],
                     "requestBody": _json_request({
                         "email": {"type": "string"}, "password": {"type": "string"},
                         "name": {"type": "string", "maxLength": 120},
                         "expires_in": {
                             "type": ["integer", "null"], "minimum": 1,
                             "maximum": MAX_TOKEN_SECONDS,
                             "description": "Seconds until the token stops working (at most "
                                            "366 days); null: never; absent: the hub's default "
                                            "(ADVOCACY_TOKEN_EXPIRY_DAYS, 90 days unless set)"}},
                         required=("email", "password")),
                     "responses": {"201": _json({"allOf": [_ref("Token"), {
                         "type": "object", "required": ["token"],
                         "properties": {"token": {"type": "string"}}}]}, "The new token"),
                         **_refusals({**BODY_REFUSALS, 401: ("invalid_credentials",),
                                      422: ("missing_field", "invalid_type",
                                            "invalid_characters", "name_too_long",
                                            "invalid_expiry"),
                                      429: ("rate_limited",)})}},
            "get": {"summary": "Your tokens, newest first, revoked and expired ones included",
                    "responses": {"200": _json(_list_of("Token"), "Tokens"),
                                  **_refusals(SIGNED_IN)}}},
        "/tokens/{token_id}": {"delete": {
            "summary": "Revoke a token",
            "parameters": [{"name": "token_id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Revoked"}, **_errors(401, 404)}}},
        "/me": {"get": {"summary": "Who you are", "responses": {
            "200": _json(_ref("User"), "You"), **_errors(401)}}},
        "/topics": {"get": {"summary": "Topics", "responses": {
            "200": _json(_list_of("Topic"), "Topics"), **_errors(401)}}},
        "/stories": {
            "get": {"summary": "Your stories, most recently changed first",
                    "parameters": [PAGE, PER_PAGE, {
                        "name": "status", "in": "query",
                        "schema": {"enum": [s.value for s in StoryStatus]}}],
                    "responses": {"200": _json(_list_of("Story"), "Stories"),
                                  **_refusals({**SIGNED_IN, 422: (*PAGING_REFUSALS,
                                                                  "invalid_status")})}},
            "post": {"summary": "Write a story (a draft), with photos", "requestBody": multipart,
                     "responses": {"201": story, **_errors(400, 401, 413, 415, 422)}}},
        "/stories/{story_id}": {
            "parameters": [STORY_ID],
            "get": {"summary": "One story", "responses": {"200": story, **_errors(401, 404)}},
            "patch": {"summary": "Change a draft or a story sent back for changes",
                      "requestBody": {"required": True, "content": {"application/json": {
                          "schema": _ref("StoryPatch")}}},
                      "responses": {"200": story,
                                    **_errors(400, 401, 404, 409, 413, 415, 422)}}},
        "/stories/{story_id}/media": {"parameters": [STORY_ID], "post": {
            "summary": "Add photos", "requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "media": {"type": "array",
                              "items": {"type": "string", "format": "binary"}},
                    "consent": {"type": "boolean"}}}}}},
            "responses": {"201": story, **_errors(400, 401, 404, 409, 413, 415, 422)}}},
        "/stories/{story_id}/media/{media_id}": {"parameters": [STORY_ID, {
            "name": "media_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "delete": {"summary": "Remove a photo", "responses": {
                "204": {"description": "Removed"}, **_errors(401, 404, 409)}}},
        "/stories/{story_id}/submit": {"parameters": [STORY_ID], "post": {
            "summary": "Submit for review, after the brand-guidelines pre-flight",
            "description": "422 `guidelines_block` with `details.findings` when a finding "
                           "blocks it; 422 `explanation_required` when there are warnings "
                           "and no explanation.",
            "requestBody": _json_request({
                "explanation": {"type": "string", "maxLength": 2000,
                                "description": "Why it should go out despite warnings"}},
                optional=True),
            "responses": {"200": story, **_errors(400, 401, 404, 409, 415, 422)}}},
        "/stories/{story_id}/withdraw": {"parameters": [STORY_ID], "post": {
            "summary": "Withdraw from review", "responses": {
                "200": story, **_errors(401, 404, 409)}}},
        **_curation_paths(story),
        **_sharing_paths(story),
        **_upload_paths(),
    }
    _add_outages(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "advocacy API", "version": "1",
                 "description": "Employee stories, curation and sharing."},
        # Relative to where this document is served, so no Host header can redirect clients.
        "servers": [{"url": url_for("api.me").removesuffix("/me")}],
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "A token from POST /tokens. A revoked or expired token "
                                      "is answered 401 `unauthorized`, like a wrong one; "
                                      "changing the password, signing out everywhere and "
                                      "deactivation revoke all of an account's tokens"},
            # Video uploads only (the story form's own uploads): see accepts_session_with_csrf.
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "The signed-in browser session, on /uploads routes "
                                       "only, and only with `csrf`"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRFToken",
                     "description": "The page's CSRF token; required with `session` for every "
                                    "method but HEAD and OPTIONS (400 `csrf` otherwise)"}}},
        "paths": paths,
    }


def _curation_paths(story: dict[str, Any]) -> dict[str, Any]:
    """The guidelines check, the review desk, the thread and notifications."""
    networks = NETWORKS
    return {
        "/guidelines/check": {"post": {
            "summary": "Check a text against the brand guidelines, as you (your department)",
            "requestBody": _json_request({
                "text": {"type": "string", "maxLength": 50000},
                "topics": {"type": "array", "items": {"type": "string"}},
                "network": {"enum": networks}}, required=("text",)),
            "responses": {"200": _json({"type": "object", "properties": {
                "findings": {"type": "array", "items": _ref("Finding")},
                "blocking": {"type": "boolean"}}}, "Findings"),
                **_errors(400, 401, 413, 415, 422, 429)}}},
        "/review-queue": {"get": {
            "summary": "Stories waiting for review, oldest first (curators)",
            "parameters": [
                {"name": "topic", "in": "query", "schema": {"type": "string"}},
                {"name": "department", "in": "query", "schema": {"type": "integer"}},
                PAGE, PER_PAGE],
            "responses": {"200": _json({"allOf": [_list_of("Story"), {
                "type": "object", "properties": {"counts": {
                    "type": "object", "additionalProperties": {"type": "integer"},
                    "description": "Stories per state (drafts aside)"}}}]},
                "Each item also has `age_seconds` and `reviewers` (who has it open)"),
                **_errors(401, 403),
                **_refusals({422: (*PAGING_REFUSALS, "unknown_topic", "invalid_characters",
                                   "invalid_department")})}}},
        "/stories/{story_id}/review": {"parameters": [STORY_ID], "post": {
            "summary": "Decide on a submitted story (curators)",
            "description": "Anything but approve needs a comment. 409 `stale` when "
                           "`version` is not the story's, `illegal_transition` when someone "
                           "decided first; 403 `own_story` for a curator's own story unless "
                           "an admin allows it; 422 `guidelines_block` with the findings; "
                           "409 `videos_not_ready` while a video is still processing or has "
                           "failed (its author must remove it first).",
            "requestBody": _json_request({
                "decision": {"enum": ["approve", "request_changes", "reject"]},
                "comment": {"type": "string", "maxLength": 4000},
                "captions": {"type": "object", "propertyNames": {"enum": networks},
                             "additionalProperties": {"type": "string"}},
                "topics": {"type": "array", "items": {"type": "string"}},
                "embargo_until": {"type": "string",
                                  "description": "A date or a time with its offset"},
                "expires_at": {"type": "string",
                               "description": "A date or a time with its offset"},
                "version": {"type": "integer"}}, required=("decision",)),
            "responses": {"200": story, **_errors(400, 401, 403, 404, 409, 415, 422)}}},
        "/stories/{story_id}/curator-edit": {"parameters": [STORY_ID], "post": {
            "summary": "A curator's light edit of a story under review",
            "description": "Kept as a credited revision and shown to the author as a diff. "
                           "Fields not sent stay as they are; 422 `no_changes` when nothing "
                           "changes; 409 `stale` when `version` is not the story's.",
            "requestBody": _json_request({
                "title": {"type": "string", "minLength": 1, "maxLength": 150},
                "body": {"type": "string", "minLength": 1, "maxLength": 10000},
                "version": {"type": "integer"}}),
            "responses": {"200": story, **_errors(400, 401, 403, 404, 409, 415, 422)}}},
        "/stories/{story_id}/comments": {
            "parameters": [STORY_ID],
            "get": {"summary": "The thread: comments and decisions (author and curators)",
                    "responses": {"200": _json({"allOf": [_list_of("Comment"), {
                        "type": "object", "properties": {"decisions": {
                            "type": "array", "items": _ref("Decision")}}}]}, "The thread"),
                        **_errors(401, 404)}},
            "post": {"summary": "Write in the thread",
                     "requestBody": _json_request(
                         {"body": {"type": "string", "maxLength": 4000}}, required=("body",)),
                     "description": "409 `not_in_conversation` for a withdrawn story.",
                     "responses": {"201": _json(_ref("Comment"), "The comment"),
                                   **_errors(400, 401, 404, 409, 415, 422, 429)}}},
        "/stories/{story_id}/revisions": {"parameters": [STORY_ID], "get": {
            "summary": "Every submitted version and curator edit, oldest first",
            "responses": {"200": _json(_list_of("Revision"), "Revisions"),
                          **_errors(401, 404)}}},
        "/notifications": {"get": {
            "summary": "Your notifications, newest first",
            "parameters": [PAGE],
            "responses": {"200": _json({"allOf": [_list_of("Notification"), {
                "type": "object", "properties": {"unread": {"type": "integer"}}}]},
                "Notifications"), **_refusals({**SIGNED_IN, 422: ("invalid_page",)})}}},
    }


def _sharing_paths(story: dict[str, Any]) -> dict[str, Any]:
    """Opting in, the feed, sharing, impact, where a story travelled, teams and retraction."""
    share_id = {"name": "share_id", "in": "path", "required": True,
                "schema": {"type": "integer"}}
    share = _json(_ref("Share"), "The share")
    not_shareable = ("embargoed", "no_longer_public", "not_approved")
    network = {"enum": NETWORKS, "description": "Exactly as written here, lower case"}
    text = {"type": ["string", "null"], "maxLength": 10000,
            "description": "Your words; the tracked link goes where it says {link}, else "
                           "after a space at the end"}
    sharing_errors = "403 `not_an_ambassador` until you opt in; 404 when the story does not " \
        "exist or is not yours to know of (a draft, or in review or resubmitted and not " \
        "yours); 409 `embargoed` before its embargo ends (with `embargo_until` for its " \
        "author and curators), `no_longer_public` once retracted, withdrawn or expired, " \
        "`not_approved` for a story you may see that is not approved (your own, or one in " \
        "review for curators). The story is looked up before the body is read."
    return {
        "/ambassador": {
            "get": {"summary": "Whether you are an ambassador, and your choices",
                    "responses": {"200": _json(_ref("Ambassador"), "Your choices"),
                                  **_refusals(SIGNED_IN)}},
            "post": {
                "summary": "Opt in as an ambassador, change your choices, or opt out",
                "description": "`opt_in: true` makes you an ambassador (again) and changes "
                               "what else is sent: `topics` replaces the topics of your feed, "
                               "`mastodon_instance` is remembered for Mastodon share links "
                               "(null or an empty string forgets it), `named_in_reports` lets "
                               "curators' reports name you. `opt_in: false` opts out: your "
                               "topics and choices go and your shares keep only anonymous "
                               "totals (network, story, team, clicks) without you, your words "
                               "or your posts' addresses; other fields are then ignored.",
                "requestBody": _json_request({
                    "opt_in": {"type": "boolean"},
                    "topics": {"type": ["array", "null"], "items": {"type": "string"},
                               "description": "Slugs of existing topics (GET /topics)"},
                    "mastodon_instance": {
                        "type": ["string", "null"],
                        "description": "A host name such as mastodon.social; an https:// "
                                       "address or an @user@server handle is reduced to it"},
                    "named_in_reports": {"type": ["boolean", "null"]}}, required=("opt_in",)),
                "responses": {"200": _json(_ref("Ambassador"), "Your choices now"),
                              **_refusals({**BODY_REFUSALS, **SIGNED_IN, 422: (
                                  "missing_field", "invalid_type", "invalid_topics",
                                  "invalid_instance", "invalid_characters")})}}},
        "/feed": {"get": {
            "summary": "Stories you may share now, on your topics, newest approval first",
            "description": "Approved stories past their embargo and before their expiry, on "
                           "the topics you chose. Each is a story with `shared_on`, the "
                           "networks you shared it to already. The feed pages like a "
                           "timeline: `has_next` says whether an older page exists (there is "
                           "no total). An empty feed has one empty page; a page beyond the "
                           "last is 404 `page_out_of_range` (with `pages`).",
            "parameters": [PAGE, {**PER_PAGE, "schema": {
                **PER_PAGE["schema"], "default": current_app.config["FEED_PER_PAGE"]}}],
            "responses": {
                "200": _json({"allOf": [_list_of("FeedItem"), {
                    "type": "object", "required": ["page", "per_page", "has_next"],
                    "properties": {"has_next": {"type": "boolean"}}}]},
                    "A page of the feed"),
                **_refusals({**SIGNED_IN, 403: ("not_an_ambassador",),
                             404: ("page_out_of_range",), 422: PAGING_REFUSALS})}}},
        "/stories/{story_id}/shares": {"parameters": [STORY_ID], "post": {
            "summary": "Share a story: its own tracked link and the network's share link",
            "description": "Records the share (`opened`) with a tracked link of its own, put "
                           "where your text says {link}, else after a space at the end. "
                           "`intent_url` opens your own composer on the network with the "
                           "text: the hub never posts anything. The text, link included, must "
                           "fit the network as it counts it (422 `text_too_long` with `count`, "
                           "`limit` and `unit`) and pass the brand guidelines (422 "
                           "`guidelines_block` with `findings`). Mastodon needs your server: "
                           "`mastodon_instance`, remembered for next time, or the one you gave "
                           "before (422 `instance_required`, `invalid_instance`). `account_id` "
                           "and `scheduled_at` are for posting directly through a connected "
                           "account, which is not available yet: a value is refused with 422 "
                           "`unknown_account` or `scheduling_needs_account`. " + sharing_errors,
            "requestBody": _json_request({
                "network": network, "text": text,
                "mastodon_instance": {"type": ["string", "null"],
                                      "description": "Your Mastodon server; used and "
                                                     "remembered when `network` is mastodon"},
                "account_id": {"type": ["integer", "null"],
                               "description": "Reserved for direct posting: leave out"},
                "scheduled_at": {"type": ["string", "null"], "format": "date-time",
                                 "description": "Reserved for direct posting: leave out"}},
                required=("network",)),
            "responses": {"201": share, **_refusals({
                **BODY_REFUSALS, **SIGNED_IN, 403: ("not_an_ambassador",),
                404: ("not_found",), 409: not_shareable,
                422: ("unknown_network", "invalid_type", "text_too_long", "invalid_characters",
                      "guidelines_block", "instance_required", "invalid_instance",
                      "unknown_account", "scheduling_needs_account")})}}},
        "/stories/{story_id}/shares/check": {"parameters": [STORY_ID], "post": {
            "summary": "What the composer shows, recording nothing",
            "description": "The text with a stand-in tracked link of the real length, counted "
                           "as the network counts it (a text that does not fit is answered, "
                           "with `fits` false, not refused), the brand guidelines' findings "
                           "and how close it comes to the latest posts of this story on this "
                           "network. Rate limited per account together with "
                           "/guidelines/check (429). " + sharing_errors,
            "requestBody": _json_request({"network": network, "text": text},
                                         required=("network",)),
            "responses": {"200": _json(_ref("Composition"), "The composed text and checks"),
                          **_refusals({**BODY_REFUSALS, **SIGNED_IN,
                                       403: ("not_an_ambassador",), 404: ("not_found",),
                                       409: not_shareable,
                                       422: ("unknown_network", "invalid_type", "text_too_long",
                                             "invalid_characters"),
                                       429: ("rate_limited",)})}}},
        "/shares/{share_id}": {"parameters": [share_id], "get": {
            "summary": "One of your shares, with its clicks so far",
            "description": "Shares are personal: anyone else's is 404, and so are yours after "
                           "you opted out (they are anonymous totals then).",
            "responses": {"200": share, **_refusals({**SIGNED_IN, 404: ("not_found",)})}}},
        "/shares/{share_id}/posted": {"parameters": [share_id], "post": {
            "summary": "Say you posted it, optionally with your post's address",
            "description": "Sets `posted` (and `posted_at`, the first time). With `post_url` "
                           "the hub can link to your post, and point you at it should the "
                           "story be retracted; saying it again changes the address. An empty "
                           "request leaves it out. 409 once the story is no longer public.",
            "requestBody": _json_request({"post_url": {
                "type": ["string", "null"], "maxLength": 2048,
                "description": "The full http(s) address of your post"}}),
            "responses": {"200": share, **_refusals({
                **BODY_REFUSALS, **SIGNED_IN, 404: ("not_found",),
                409: ("no_longer_public", "embargoed", "not_approved"),
                422: ("invalid_post_url",)})}}},
        "/impact": {"get": {
            "summary": "What your shares did: in all, per network and per day",
            "description": "All your shares; `days` holds the last 30 days, today last.",
            "responses": {"200": _json(_ref("Figures"), "Your figures"),
                          **_refusals({**SIGNED_IN, 403: ("not_an_ambassador",)})}}},
        "/stories/{story_id}/travel": {"parameters": [STORY_ID], "get": {
            "summary": "Where a story went: its shares and clicks per network (its author "
                       "and curators)",
            "description": "Whoever shared it, anonymously: no sharer is named, and shares of "
                           "ambassadors who opted out still count. `days` is empty here. 404 "
                           "for anyone but the author and curators.",
            "responses": {"200": _json(_ref("Figures"), "The story's figures"),
                          **_refusals({**SIGNED_IN, 404: ("not_found",)})}}},
        "/reports/teams": {"get": {
            "summary": "Ambassadors, shares and clicks per department (curators); nobody "
                       "by name",
            "description": "A row for each department with ambassadors or shares, most clicks "
                           "first; shares of people who opted out stay in their team's "
                           "totals. Not paged: `total` is the number of rows.",
            "responses": {
                "200": _json({"type": "object", "required": ["items", "total"], "properties": {
                    "items": {"type": "array", "items": _ref("TeamRow")},
                    "total": {"type": "integer"}}}, "The teams"),
                **_refusals({**SIGNED_IN, 403: ("forbidden",)})}}},
        "/stories/{story_id}/retract": {"parameters": [STORY_ID], "post": {
            "summary": "Take an approved story back (curators)",
            "description": "The story becomes `archived` with `retracted_at`: its public page "
                           "answers 410, it leaves feeds and can no longer be shared, and its "
                           "author and everyone who shared it are notified with the reason "
                           "(each sharer with their post's address, when they gave it) so "
                           "posts come down. 409 `illegal_transition` unless it is approved, "
                           "`stale` when `version` is not the story's; 404 for drafts.",
            "requestBody": _json_request({
                "reason": {"type": "string", "maxLength": 2000,
                           "description": "Read by the author and the ambassadors"},
                "version": {"type": "integer", "description": "Refuse with 409 if the story "
                                                             "changed"}}, required=("reason",)),
            "responses": {"200": story, **_refusals({
                **BODY_REFUSALS, **SIGNED_IN, 403: ("forbidden",), 404: ("not_found",),
                409: ("illegal_transition", "stale"),
                422: ("invalid_type", "invalid_characters", "reason_required",
                      "reason_too_long")})}}},
    }


def _upload_paths() -> dict[str, Any]:
    """Video uploads: tus 1.0 and presigned S3 multipart (advocacy/uploads)."""
    upload_id = {"name": "upload_id", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
                 "description": "From the `Location` of tus creation, or `id` of POST "
                                "/uploads/s3"}
    tus_header = {"name": "Tus-Resumable", "in": "header", "required": True,
                  "schema": {"const": "1.0.0"},
                  "description": "Any other version (or none) is answered 412 with "
                                 "`Tus-Version: 1.0.0`"}
    offset = {"Upload-Offset": {"schema": {"type": "integer"},
                                "description": "Bytes the hub holds"}}
    about = {"Upload-Expires": {"schema": {"type": "string"},
                                  "description": "RFC 9110 date after which an unfinished "
                                                 "upload is removed (each chunk or part URL "
                                                 "moves it on)"}}
    about["Upload-Media-Id"] = {"schema": {"type": "integer"},
                                  "description": "The story's video item this upload fills "
                                                 "(the hub's own header)"}
    auth: list[dict[str, list[str]]] = [{"bearer": []}, {"session": [], "csrf": []}]
    storage_down = _refusals({503: ("database_unavailable", "storage_unavailable")})
    gone = {"410": _error("The upload expired (it is removed within the hour): "
                          "`upload_expired`")}
    upload = _json({"type": "object", "required": ["id", "part_size", "parts_count",
                                                   "expires_at"], "properties": {
        "id": {"type": "string"}, "key": {"type": "string"},
        "media_id": {"type": "integer", "description": "The story's video item, "
                                                       "`uploading` until completed"},
        "size": {"type": "integer"},
        "part_size": {"type": "integer", "description": "Every part but the last has "
                                                        "exactly this many bytes"},
        "parts_count": {"type": "integer"},
        "expires_at": {"type": "string", "format": "date-time"}}}, "The upload")
    return {
        "/uploads": {
            "options": {"summary": "What the tus server speaks (tus discovery)", "security": [],
                        "responses": {"204": {"description": "tus 1.0.0", "headers": {
                            "Tus-Version": {"schema": {"const": "1.0.0"}},
                            "Tus-Extension": {"schema": {
                                "const": "creation,termination,expiration,checksum"}},
                            "Tus-Max-Size": {"schema": {"type": "integer"},
                                             "description": "ADVOCACY_MAX_VIDEO_BYTES"},
                            "Tus-Checksum-Algorithm": {"schema": {"const": "sha1"}}}}}},
            "post": {
                "summary": "tus creation: start a resumable video upload for your story",
                "description": "No body. `Upload-Metadata` holds base64 values of `story` (the "
                               "id of a story of yours you may edit), `filetype` and "
                               "`filename` (never kept). The video appears on the story as "
                               "`uploading`. A declared length over ADVOCACY_MAX_VIDEO_BYTES "
                               "is refused here, before any byte is sent. "
                               "`Upload-Defer-Length` is not supported. Authorised by a "
                               "bearer token, or by the signed-in session with the CSRF token "
                               "in `X-CSRFToken` (400 `csrf` without it).",
                "security": auth,
                "parameters": [tus_header, {
                    "name": "Upload-Length", "in": "header", "required": True,
                    "schema": {"type": "integer", "minimum": 1}}, {
                    "name": "Upload-Metadata", "in": "header", "required": True,
                    "schema": {"type": "string"},
                    "example": "story MTI=,filetype dmlkZW8vbXA0,filename bGluZTMubXA0"}],
                "responses": {
                    "201": {"description": "Created", "headers": {
                        "Location": {"schema": {"type": "string"},
                                     "description": "/api/v1/uploads/{upload_id}"},
                        **about}},
                    **_refusals({400: ("invalid_header", "invalid_metadata", "missing_story",
                                       "defer_length_unsupported", "csrf"),
                                 **SIGNED_IN, 404: ("not_found",),
                                 409: ("not_editable", "too_many_videos"),
                                 413: ("too_large",), 422: ("empty_file",)}),
                    "412": _error("Another tus version: `tus_version`"), **storage_down}}},
        "/uploads/{upload_id}": {
            "parameters": [upload_id],
            "head": {"summary": "tus: how far the upload is", "security": auth,
                     "parameters": [tus_header],
                     "responses": {"200": {"description": "Its offset (with "
                                                          "`Cache-Control: no-store`)",
                                           "headers": {**offset, **about, "Upload-Length": {
                                               "schema": {"type": "integer"}}}},
                                   **_errors(401, 404), **gone}},
            "patch": {
                "summary": "tus: send bytes from the upload's offset",
                "description": "The body is the next bytes of the file, any number of them "
                               "(bodies are streamed, never held: the hub's small body limit "
                               "does not apply for signed-in callers). 409 `offset_mismatch` "
                               "unless `Upload-Offset` is the upload's offset (a chunk sent "
                               "twice, or out of order); 413 `too_large` for bytes past the "
                               "declared length (nothing of the request is kept); 460 "
                               "`checksum_mismatch` when `Upload-Checksum: sha1 <base64>` does "
                               "not match (nothing kept). A connection that drops keeps the "
                               "bytes that arrived: ask HEAD and resume. With the last byte "
                               "the video goes to processing.",
                "security": auth,
                "parameters": [tus_header, {
                    "name": "Upload-Offset", "in": "header", "required": True,
                    "schema": {"type": "integer"}}, {
                    "name": "Upload-Checksum", "in": "header", "required": False,
                    "schema": {"type": "string"}, "example": "sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0="}],
                "requestBody": {"required": True, "content": {
                    "application/offset+octet-stream": {
                        "schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "204": {"description": "Stored", "headers": {**offset, **about}},
                    **_refusals({400: ("invalid_header", "checksum_unsupported", "csrf"),
                                 **SIGNED_IN, 404: ("not_found",),
                                 409: ("offset_mismatch", "not_tus", "tail_missing"),
                                 413: ("too_large",),
                                 415: ("unsupported_media_type",)}),
                    **gone, "412": _error("Another tus version: `tus_version`"),
                    "460": _error("Checksum mismatch: `checksum_mismatch`"), **storage_down}},
            "delete": {
                "summary": "tus termination, or abort a presigned upload",
                "description": "The bytes (and any multipart upload in the bucket) are "
                               "removed, and the video item leaves the story. A finished "
                               "upload is not terminated (409): remove the video from the "
                               "story instead.",
                "security": auth,
                "responses": {"204": {"description": "Removed"},
                              **_refusals({**SIGNED_IN, 404: ("not_found",),
                                           409: ("upload_completed",)}),
                              **gone, **storage_down}}},
        "/uploads/s3": {"post": {
            "summary": "Start a presigned multipart upload (S3 storage only)",
            "description": "The browser then PUTs each part straight to the bucket at the URL "
                           "of GET /uploads/{upload_id}/parts/{number}, keeps each answer's "
                           "`ETag`, and completes. 409 `use_tus` when the hub keeps files "
                           "itself (local storage): use tus.",
            "security": auth,
            "requestBody": _json_request({
                "filename": {"type": "string", "description": "Checked, never kept"},
                "filetype": {"type": "string", "example": "video/mp4"},
                "size": {"type": "integer", "minimum": 1},
                "story": {"type": "integer"}}, required=("size", "story")),
            "responses": {"201": upload, **_refusals({
                **BODY_REFUSALS, 400: (*BODY_REFUSALS[400], "missing_story", "csrf"),
                **SIGNED_IN, 404: ("not_found",),
                409: ("use_tus", "not_editable", "too_many_videos"),
                422: ("invalid_type", "empty_file")}), **storage_down}}},
        "/uploads/{upload_id}/parts": {"parameters": [upload_id], "get": {
            "summary": "The parts the bucket already holds (to resume after a reload)",
            "security": auth,
            "responses": {"200": _json({"allOf": [upload["content"]["application/json"][
                "schema"], {"type": "object", "required": ["parts"], "properties": {
                    "parts": {"type": "array", "items": {"type": "object", "properties": {
                        "number": {"type": "integer"}, "etag": {"type": "string"},
                        "size": {"type": "integer"}}}}}}]}, "The upload and its parts"),
                **_refusals({**SIGNED_IN, 404: ("not_found",),
                             409: ("not_s3_multipart", "upload_completed")}),
                **gone, **storage_down}}},
        "/uploads/{upload_id}/parts/{number}": {"parameters": [upload_id, {
            "name": "number", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 10000}}], "get": {
            "summary": "A presigned URL to PUT one part to",
            "description": "Valid for `expires_in` seconds; ask again for a retry after that. "
                           "The bucket must allow PUT from the hub's origin and expose "
                           "`ETag` (CORS; see the README).",
            "security": auth,
            "responses": {"200": _json({"type": "object", "required": ["url"], "properties": {
                "number": {"type": "integer"}, "url": {"type": "string", "format": "uri"},
                "expires_in": {"type": "integer"}}}, "Where to PUT the part"),
                **_refusals({**SIGNED_IN, 404: ("not_found",),
                             409: ("not_s3_multipart", "upload_completed"),
                             422: ("invalid_part",)}),
                **gone, **storage_down}}},
        "/uploads/{upload_id}/complete": {"parameters": [upload_id], "post": {
            "summary": "Join the parts: the video goes to processing",
            "description": "Name every part once, in order, with the `ETag` the bucket "
                           "answered. 409 `parts_missing` (with `details.parts`) when the "
                           "bucket lacks some; 422 `size_mismatch` when they do not add up to "
                           "the declared size. Either way nothing changes and the upload can "
                           "still be finished.",
            "security": auth,
            "requestBody": _json_request({"parts": {"type": "array", "minItems": 1,
                                                    "items": {"type": "object", "properties": {
                                                        "number": {"type": "integer"},
                                                        "etag": {"type": "string"}},
                                                        "required": ["number", "etag"]}}},
                                         required=("parts",)),
            "responses": {"200": _json(_ref("Media"), "The video item, now `processing`"),
                          **_refusals({**BODY_REFUSALS, **SIGNED_IN, 404: ("not_found",),
                                       409: ("not_s3_multipart", "upload_completed",
                                             "parts_missing"),
                                       422: ("invalid_type", "invalid_parts",
                                             "size_mismatch")}),
                          **gone, **storage_down}}},
    }
