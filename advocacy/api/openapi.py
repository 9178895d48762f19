"""The OpenAPI 3.1 document of the JSON API (design.md §4)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from advocacy.notifications.models import NotificationKind
from advocacy.stories.states import StoryStatus


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


def _errors(*codes: int) -> dict[str, Any]:
    texts = {400: "Malformed request", 401: "Missing or invalid token",
             403: "Role does not allow this", 404: "Not found (or not yours to see)",
             409: "State does not allow this", 413: "File too large",
             415: "Unsupported content", 422: "Invalid input", 429: "Rate limited"}
    return {str(code): _error(texts[code]) for code in codes}


def _list_of(name: str) -> dict[str, Any]:
    return {"type": "object", "required": ["items"], "properties": {
        "items": {"type": "array", "items": _ref(name)},
        "page": {"type": "integer"}, "per_page": {"type": "integer"},
        "total": {"type": "integer"}, "pages": {"type": "integer"}}}


STORY_ID = {"name": "story_id", "in": "path", "required": True, "schema": {"type": "integer"}}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"], "properties": {
            "code": {"type": "string"}, "message": {"type": "string"},
            "details": {"type": "object"}}}}},
    "Topic": {"type": "object", "required": ["slug", "name"], "properties": {
        "slug": {"type": "string"}, "name": {"type": "string"}}},
    "User": {"type": "object", "properties": {
        "id": {"type": "integer"}, "email": {"type": "string"}, "name": {"type": "string"},
        "role": {"enum": ["employee", "curator", "admin"]},
        "department": {"type": ["string", "null"]}, "language": {"type": ["string", "null"]}}},
    "Token": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "prefix": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        "revoked": {"type": "boolean"}}},
    "Media": {"type": "object", "required": ["id", "kind", "url", "width", "height"],
              "properties": {
                  "id": {"type": "integer"}, "kind": {"enum": ["photo", "video"]},
                  "url": {"type": "string", "format": "uri"},
                  "width": {"type": "integer"}, "height": {"type": "integer"},
                  "original_width": {"type": "integer"}, "original_height": {"type": "integer"},
                  "duration": {"type": ["number", "null"], "description": "Vlogs only"},
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
                                    "disclosure such as #ad)"}}},
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
                         "name": {"type": "string", "maxLength": 120}},
                         required=("email", "password")),
                     "responses": {"201": _json({"allOf": [_ref("Token"), {
                         "type": "object", "required": ["token"],
                         "properties": {"token": {"type": "string"}}}]}, "The new token"),
                         **_errors(400, 401, 415, 422, 429)}},
            "get": {"summary": "Your tokens", "responses": {
                "200": _json(_list_of("Token"), "Tokens"), **_errors(401)}}},
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
                    "parameters": [
                        {"name": "page", "in": "query", "schema": {"type": "integer",
                                                                    "minimum": 1,
                                                                    "maximum": 999999}},
                        {"name": "per_page", "in": "query",
                         "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                         "description": "Larger values are answered with 100 per page"},
                        {"name": "status", "in": "query",
                         "schema": {"enum": [s.value for s in StoryStatus]}}],
                    "responses": {"200": _json(_list_of("Story"), "Stories"),
                                  **_errors(400, 401)}},
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
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "advocacy API", "version": "1",
                 "description": "Employee stories, curation and sharing."},
        # Relative to where this document is served, so no Host header can redirect clients.
        "servers": [{"url": url_for("api.me").removesuffix("/me")}],
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": paths,
    }


def _curation_paths(story: dict[str, Any]) -> dict[str, Any]:
    """The guidelines check, the review desk, the thread and notifications."""
    networks = ["linkedin", "x", "mastodon", "bluesky", "facebook", "whatsapp", "email"]
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
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "per_page", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
            "responses": {"200": _json({"allOf": [_list_of("Story"), {
                "type": "object", "properties": {"counts": {
                    "type": "object", "additionalProperties": {"type": "integer"},
                    "description": "Stories per state (drafts aside)"}}}]},
                "Each item also has `age_seconds` and `reviewers` (who has it open)"),
                **_errors(400, 401, 403, 422)}}},
        "/stories/{story_id}/review": {"parameters": [STORY_ID], "post": {
            "summary": "Decide on a submitted story (curators)",
            "description": "Anything but approve needs a comment. 409 `stale` when "
                           "`version` is not the story's, `illegal_transition` when someone "
                           "decided first; 403 `own_story` for a curator's own story unless "
                           "an admin allows it; 422 `guidelines_block` with the findings.",
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
            "parameters": [{"name": "page", "in": "query",
                            "schema": {"type": "integer", "minimum": 1}}],
            "responses": {"200": _json({"allOf": [_list_of("Notification"), {
                "type": "object", "properties": {"unread": {"type": "integer"}}}]},
                "Notifications"), **_errors(400, 401)}}},
    }
