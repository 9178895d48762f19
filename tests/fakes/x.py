"""A fake X (API v2): OAuth 2.0 with PKCE, users/me, media upload (simple and chunked, both the
dedicated endpoints and the older ``command=`` style), posts, a member's recent posts, and
X's own errors and ``x-rate-limit-*`` headers. See docs/networks.md, "X"."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any, ClassVar

from flask import Response, request
from PIL import Image, UnidentifiedImageError
from twitter_text import parse_tweet

from tests.fakes.base import Answer, FakeNetwork, Member, _Planned

ACCESS_LIFETIME = 7200
IMAGE_LIMIT = 5 * 1024 * 1024
POST_FIELDS = {"text", "media", "reply", "quote_tweet_id", "poll", "reply_settings",
               "for_super_followers_only", "direct_message_deep_link", "geo", "nullcast",
               "community_id", "share_with_followers", "card_uri", "made_with_ai",
               "paid_partnership", "edit_options"}
URL = re.compile(r"https?://\S+")
INVALID = "https://api.x.com/2/problems/invalid-request"


class FakeX(FakeNetwork):
    network = "x"
    code_lifetime = 30.0
    oauth_endpoints = frozenset({"authorize", "token", "revoke"})
    default_limits: ClassVar[dict[str, tuple[int, int]]] = {
        "post": (100, 900), "me": (75, 900), "media": (500, 900), "media_chunk": (1875, 900),
        "timeline": (900, 900)}

    def __init__(self) -> None:
        self.client_id = "x-client-id"
        self.client_secret = "x-client-secret"
        #: Confidential clients (Web App) authenticate with HTTP Basic; public ones send
        #: ``client_id`` in the body and no secret.
        self.confidential = True
        #: None: any http(s) redirect address; else the registered ones, matched exactly.
        self.redirect_uris: set[str] | None = None
        super().__init__()

    # -- routes ------------------------------------------------------------------------------

    def routes(self) -> None:
        for rule in ("/i/oauth2/authorize", "/2/oauth2/authorize"):
            self.app.add_url_rule(rule, "authorize", self.authorize, methods=["GET", "POST"])
        self.route("/2/oauth2/token", "token", ("POST",))(self.token)
        self.route("/2/oauth2/revoke", "revoke", ("POST",))(self.revoke_endpoint)
        self.route("/2/users/me", "me")(self.me)
        self.route("/2/users/<member_id>/tweets", "timeline")(self.timeline)
        self.route("/2/tweets", "post", ("POST",))(self.create_post)
        self.route("/2/media/upload", "media", ("GET", "POST"))(self.media_upload)
        self.route("/2/media/upload/initialize", "media_chunk", ("POST",))(self.initialize)
        self.app.add_url_rule("/2/media/upload/<media_id>/append", "media_chunk_append",
                              self.append, methods=["POST"])
        self.app.add_url_rule("/2/media/upload/<media_id>/finalize", "media_chunk_finalize",
                              self.finalize, methods=["POST"])

    # -- errors as X answers them ------------------------------------------------------------

    @staticmethod
    def problem(status: int, title: str, detail: str, type_: str = "about:blank",
                headers: dict[str, str] | None = None, **extra: object) -> Response:
        return FakeNetwork.json({"title": title, "detail": detail, "type": type_,
                                 "status": status, **extra}, status, headers,
                                mimetype="application/problem+json")

    def invalid(self, detail: str, parameter: str | None = None) -> Answer:
        answer = self.problem(400, "Invalid Request", detail, INVALID)
        if parameter:
            answer.set_data(json.dumps({**answer.get_json(), "errors": [
                {"message": detail, "parameters": {parameter: []}}]}))
        return Answer(answer)

    def expired_answer(self) -> Response:
        return self.problem(401, "Unauthorized", "Unauthorized")

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": str(int(reset))}

    def rate_limited_answer(self, limit: int, reset: float, retry_after: int | None) -> Response:
        headers = self.rate_headers(limit, 0, reset)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return self.problem(429, "Too Many Requests", "Too Many Requests", headers=headers)

    def server_error_answer(self, status: int) -> Response:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}
        title = titles.get(status, "Server Error")
        return self.problem(status, title, title)

    def special_answer(self, planned: _Planned) -> Response:
        if planned.failure == "duplicate":
            return self.duplicate()
        return super().special_answer(planned)

    def duplicate(self) -> Response:
        return self.problem(403, "Forbidden",
                            "You are not allowed to create a Tweet with duplicate content.")

    # -- OAuth -------------------------------------------------------------------------------

    def oauth_error(self, error: str, description: str, status: int = 400) -> Response:
        return self.json({"error": error, "error_description": description}, status)

    def authorize(self) -> Response:
        args = request.values
        if args.get("client_id") != self.client_id:
            return self.refused_page("Something went wrong: unknown client_id.")
        redirect_uri = args.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")) or (
                self.redirect_uris is not None and redirect_uri not in self.redirect_uris):
            return self.refused_page("Something went wrong: redirect_uri does not match.")
        state = args.get("state", "")
        if args.get("response_type") != "code" or not state or len(state) > 500:
            return self.refused_page("Something went wrong: response_type or state.")
        method = args.get("code_challenge_method", "plain")
        if not args.get("code_challenge") or method not in {"S256", "plain"}:
            return self.refused_page("Something went wrong: PKCE code_challenge is required.")
        scopes = args.get("scope", "").split()
        if request.method == "GET":
            return self.authorise_page("the hub", scopes)
        if request.form.get("decision") != "allow":
            return self.back_to(redirect_uri, error="access_denied", state=state)
        grant = self.grant(self.client_id, redirect_uri, scopes)
        grant.method = method
        return self.back_to(redirect_uri, state=state, code=grant.code)

    def client_ok(self) -> bool:
        if self.confidential:
            return self.basic_auth() == (self.client_id, self.client_secret)
        return request.form.get("client_id") == self.client_id

    def token(self) -> Response:
        if not self.client_ok():
            return self.oauth_error("unauthorized_client", "Missing valid authorization header",
                                    401)
        form = request.form
        if form.get("grant_type") == "authorization_code":
            grant = self.redeem(form.get("code"), self.client_id, form.get("redirect_uri"),
                                form.get("code_verifier"))
            if isinstance(grant, str):
                return self.oauth_error(grant, "Value passed for the token was invalid.")
            return self.token_answer(grant.member, grant.scopes)
        if form.get("grant_type") == "refresh_token":
            with self.lock:
                old = self.live(form.get("refresh_token"), "refresh")
                if old is None:
                    return self.oauth_error("invalid_request",
                                            "Value passed for the token was invalid.")
                old.revoked = True  # refresh tokens rotate: each works once
            return self.token_answer(old.member, old.scopes)
        return self.oauth_error("unsupported_grant_type", "grant_type is not supported")

    def token_answer(self, member: Member, scopes: list[str]) -> Response:
        access, refresh = self.issue(member, self.client_id, scopes, ACCESS_LIFETIME,
                                     with_refresh="offline.access" in scopes)
        body: dict[str, Any] = {"token_type": "bearer", "expires_in": ACCESS_LIFETIME,
                                "access_token": access.value, "scope": " ".join(scopes)}
        if refresh is not None:
            body["refresh_token"] = refresh.value
        return self.json(body)

    def issue_tokens(self, member: Member | None = None,
                     scopes: str = "tweet.read tweet.write users.read media.write offline.access"
                     ) -> dict[str, Any]:
        """Tokens as the token endpoint gives them, without the browser round trip."""
        with self.app.test_request_context():
            answer = self.token_answer(member or self.signed_in, scopes.split())
        return dict(answer.get_json())

    def revoke_endpoint(self) -> Response:
        if not self.client_ok():
            return self.oauth_error("unauthorized_client", "Missing valid authorization header",
                                    401)
        self.revoke(request.form.get("token", ""))
        return self.json({"revoked": True})

    # -- the API -----------------------------------------------------------------------------

    def member(self, *needed: str, bucket: str | None = None) -> Member:
        token = self.live(self.bearer())
        if token is None:
            raise Answer(self.expired_answer())
        if not set(needed) <= set(token.scopes):
            raise Answer(self.problem(403, "Forbidden", "Forbidden"))
        self.count(bucket or request.endpoint or "", token.member.id)
        return token.member

    def me(self) -> Response:
        member = self.member("tweet.read", "users.read")
        data = {"id": member.id, "name": member.name, "username": member.username}
        if "profile_image_url" in request.args.get("user.fields", ""):
            data["profile_image_url"] = member.avatar
        return self.json({"data": data})

    def create_post(self) -> Response:
        member = self.member("tweet.read", "tweet.write", "users.read")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise self.invalid("The request body is not valid JSON.")
        unknown = set(body) - POST_FIELDS
        if unknown:
            raise self.invalid(f"The following fields are not allowed: {sorted(unknown)}",
                               sorted(unknown)[0])
        text = body.get("text")
        media_ids = (body.get("media") or {}).get("media_ids", [])
        if not isinstance(media_ids, list) or len(media_ids) > 4 or (
                "media" in body and not media_ids):
            raise self.invalid("media.media_ids must hold 1 to 4 ids.", "media.media_ids")
        if not text and not media_ids:
            raise self.invalid("text is required when there is no media.", "text")
        if text is not None and (not isinstance(text, str) or not parse_tweet(text).valid):
            raise self.invalid("Your Tweet text is too long.", "text")
        for media_id in media_ids:
            item = self.media.get(str(media_id))
            if item is None or item["member"] is not member or item["state"] != "succeeded":
                raise self.invalid(f"Your media IDs are invalid: {media_id}", "media.media_ids")
        with self.lock:
            if text and any(p["member"] is member and p["text"] == text for p in self.posts):
                raise Answer(self.duplicate())
            post_id = self.next_id()
            shown = URL.sub(lambda m: f"https://t.co/{post_id[-10:]}", text or "")
            self.posts.append({"id": post_id, "member": member, "text": text or "",
                               "shown": shown, "urls": URL.findall(text or ""),
                               "media_ids": [str(m) for m in media_ids], "body": body,
                               "url": f"https://x.com/{member.username}/status/{post_id}"})
        return self.json({"data": {"id": post_id, "text": shown,
                                   "edit_history_post_ids": [post_id]}}, 201)

    def timeline(self, member_id: str) -> Response:
        self.member("tweet.read", "users.read")
        if member_id not in self.members:
            return self.problem(404, "Not Found Error", f"Could not find user with id: "
                                f"[{member_id}].", "https://api.x.com/2/problems/resource-not-found")
        count = min(max(int(request.args.get("max_results", 10)), 5), 100)
        mine = [p for p in reversed(self.posts) if p["member"].id == member_id][:count]
        data = [{"id": p["id"], "text": p["shown"], "edit_history_tweet_ids": [p["id"]],
                 "entities": {"urls": [{"url": f"https://t.co/{p['id'][-10:]}",
                                        "expanded_url": u, "display_url": u.split("//")[-1]}
                                       for u in p["urls"]]}} for p in mine]
        meta: dict[str, Any] = {"result_count": len(data)}
        if data:
            meta.update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
        return self.json({"data": data, "meta": meta} if data else {"meta": meta})

    # -- media -------------------------------------------------------------------------------

    def new_media(self, member: Member, media_type: str, category: str, total: int) -> dict[str,
                                                                                            Any]:
        media_id = self.next_id()
        prefix = {"tweet_video": "13", "amplify_video": "13", "tweet_gif": "16"}.get(category,
                                                                                     "3")
        item = {"id": media_id, "media_key": f"{prefix}_{media_id}", "member": member,
                "media_type": media_type, "category": category, "total_bytes": total,
                "chunks": {}, "state": "uploading", "polls": 0}
        with self.lock:
            self.media[media_id] = item
        return item

    @staticmethod
    def described(item: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": item["id"], "media_key": item["media_key"],
                                "expires_after_secs": 86400}
        if item["state"] != "uploading":
            data["size"] = item["total_bytes"]
        if "image" in item:
            data["image"] = item["image"]
        if item["state"] in {"pending", "in_progress", "failed"} or item["polls"]:
            data["processing_info"] = {"state": item["state"], "check_after_secs": 1,
                                       "progress_percent": 100 if item["state"] == "succeeded"
                                       else 50 if item["state"] == "in_progress" else 0}
        return data

    def media_upload(self) -> Response:
        """``POST /2/media/upload``: one request with the whole image, or the older chunked
        style with a ``command`` field; ``GET`` with ``command=STATUS`` polls processing."""
        command = (request.values.get("command") or "").upper()
        if request.method == "GET":
            self.member("media.write")
            return self.status(request.args.get("media_id", ""))
        if command == "INIT":
            return self.initialize()
        if command == "APPEND":
            return self.append(request.form.get("media_id", ""))
        if command == "FINALIZE":
            return self.finalize(request.form.get("media_id", ""))
        member = self.member("media.write")
        if "media" in request.files:
            content = request.files["media"].read()
            category = request.form.get("media_category", "tweet_image")
        else:
            body = request.get_json(silent=True) or {}
            try:
                content = base64.b64decode(body.get("media", ""), validate=True)
            except ValueError as error:
                raise self.invalid("media is not valid base64.", "media") from error
            category = body.get("media_category", "tweet_image")
        if not content:
            raise self.invalid("media is required.", "media")
        if len(content) > IMAGE_LIMIT:
            raise self.invalid("File size exceeds 5242880 bytes.", "media")
        item = self.new_media(member, "", category, len(content))
        item["chunks"] = {0: content}
        self.complete(item)
        return self.json({"data": self.described(item)})

    def initialize(self) -> Response:
        member = self.member("media.write", bucket="media_chunk")
        fields = self.params()
        try:
            total = int(fields.get("total_bytes", 0))
        except (TypeError, ValueError):
            total = 0
        media_type = str(fields.get("media_type", ""))
        if total <= 0 or not media_type:
            raise self.invalid("media_type and total_bytes are required.", "total_bytes")
        category = str(fields.get("media_category") or (
            "tweet_video" if media_type.startswith("video/") else "tweet_image"))
        item = self.new_media(member, media_type, category, total)
        return self.json({"data": self.described(item)})

    def owned(self, media_id: str) -> dict[str, Any]:
        member = self.member("media.write", bucket="media_chunk")
        item = self.media.get(media_id)
        if item is None or item["member"] is not member:
            raise self.invalid(f"Media id not found: {media_id}", "media_id")
        return item

    def append(self, media_id: str) -> Response:
        item = self.owned(media_id)
        try:
            index = int(request.form.get("segment_index", ""))
        except ValueError:
            index = -1
        upload = request.files.get("media")
        if upload is None or not 0 <= index <= 999 or item["state"] != "uploading":
            raise self.invalid("media and a segment_index 0-999 are required.", "segment_index")
        item["chunks"][index] = upload.read()
        return self.json({"data": {"expires_at": int(self.now()) + 86400}})

    def finalize(self, media_id: str) -> Response:
        item = self.owned(media_id)
        received = sum(len(c) for c in item["chunks"].values())
        if received != item["total_bytes"]:
            raise self.invalid(f"File size mismatch: received {received} bytes, "
                               f"expected {item['total_bytes']}.", "media_id")
        self.complete(item)
        return self.json({"data": self.described(item)})

    def complete(self, item: dict[str, Any]) -> None:
        content = b"".join(item["chunks"][i] for i in sorted(item["chunks"]))
        item["content"] = content
        item["total_bytes"] = len(content)
        if item["category"] in {"tweet_video", "amplify_video", "tweet_gif"}:
            item["state"] = "pending"  # processed over the next STATUS polls
            return
        try:
            with Image.open(io.BytesIO(content)) as image:
                item["image"] = {"image_type": Image.MIME.get(image.format or "", ""),
                                 "w": image.width, "h": image.height}
        except UnidentifiedImageError as error:
            raise self.invalid("media type unrecognized.", "media") from error
        item["state"] = "succeeded"

    def status(self, media_id: str) -> Response:
        item = self.media.get(media_id)
        if item is None:
            raise self.invalid(f"Media id not found: {media_id}", "media_id")
        item["polls"] += 1
        if item["state"] == "pending":
            item["state"] = "in_progress"
        elif item["state"] == "in_progress":
            item["state"] = "succeeded"
        return self.json({"data": self.described(item)})
