"""A fake Mastodon instance: app registration, OAuth 2.0 with optional S256 PKCE, tokens that
never expire, verify_credentials, media that may process asynchronously, statuses with
``Idempotency-Key``, an account's statuses, and Mastodon's errors and ``X-RateLimit-*``
headers. See docs/networks.md, "Mastodon"."""

from __future__ import annotations

import html
import io
import re
import secrets
from datetime import UTC, datetime
from typing import Any, ClassVar

import regex
from flask import Response, request
from PIL import Image, UnidentifiedImageError

from tests.fakes.base import Answer, FakeNetwork, Member

OOB = "urn:ietf:wg:oauth:2.0:oob"
URL = re.compile(r"https?://[^\s<>\"]+")
MENTION = re.compile(r"@(\w+)@[\w.-]+\w")


def covers(granted: list[str], needed: str) -> bool:
    """``write`` grants ``write:statuses``; ``read`` grants ``read:accounts``."""
    return needed in granted or needed.split(":")[0] in granted


class FakeMastodon(FakeNetwork):
    network = "mastodon"
    #: Doorkeeper's default; the contract gives no figure (UNCONFIRMED).
    code_lifetime = 600.0
    oauth_endpoints = frozenset({"authorize", "token", "revoke", "apps"})
    default_limits: ClassVar[dict[str, tuple[int, int]]] = {"api": (300, 300),
                                                            "media": (30, 1800)}

    def __init__(self) -> None:
        #: Registered apps: client_id -> name, secret, redirect_uris, scopes.
        self.apps: dict[str, dict[str, Any]] = {}
        self.max_characters = 500
        #: Later uploads answer 202 and their media answers 206 this many times, then 200
        #: (videos always take at least one).
        self.processing_polls = 0
        #: ``X-RateLimit-Reset``: "iso" (Mastodon) or "epoch" (GoToSocial).
        self.reset_format = "iso"
        self.idempotency: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
        super().__init__()

    def routes(self) -> None:
        self.route("/api/v1/apps", "apps", ("POST",))(self.register_app_endpoint)
        self.route("/.well-known/oauth-authorization-server", "discovery")(self.discovery)
        self.route("/oauth/authorize", "authorize", ("GET", "POST"))(self.authorize)
        self.route("/oauth/token", "token", ("POST",))(self.token)
        self.route("/oauth/revoke", "revoke", ("POST",))(self.revoke_endpoint)
        self.route("/api/v1/accounts/verify_credentials", "me")(self.verify_credentials)
        self.route("/api/v2/instance", "instance")(self.instance)
        self.route("/api/v2/media", "media", ("POST",))(self.upload)
        self.route("/api/v1/media/<media_id>", "media_status")(self.media_status)
        self.route("/api/v1/statuses", "post", ("POST",))(self.create_status)
        self.route("/api/v1/accounts/<account_id>/statuses", "lookup")(self.account_statuses)

    # -- errors as Mastodon answers them -----------------------------------------------------

    def error(self, status: int, message: str, headers: dict[str, str] | None = None,
              **extra: str) -> Response:
        return self.json({"error": message, **extra}, status, headers)

    def expired_answer(self) -> Response:
        return self.error(401, "The access token is invalid")

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        if self.reset_format == "epoch":
            stamp = str(int(reset))
        else:
            stamp = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": stamp}

    def rate_limited_answer(self, limit: int, reset: float, retry_after: int | None) -> Response:
        headers = self.rate_headers(limit, 0, reset)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return self.error(429, "Too many requests", headers)

    def server_error_answer(self, status: int) -> Response:
        # In front of Mastodon sits a proxy: a 5xx is an HTML page, not JSON.
        return Response("<!DOCTYPE html><html><body><h1>We're sorry, but something went "
                        "wrong.</h1></body></html>", status, mimetype="text/html")

    # -- apps and OAuth ----------------------------------------------------------------------

    def register_app(self, name: str = "Advocacy hub", redirect_uris: list[str] | None = None,
                     scopes: str = "write:statuses write:media profile") -> dict[str, Any]:
        app: dict[str, Any] = {"id": self.next_id(), "name": name, "website": None,
               "scopes": scopes.split(), "redirect_uris": redirect_uris or [OOB],
               "redirect_uri": "\n".join(redirect_uris or [OOB]),
               "client_id": secrets.token_urlsafe(24), "client_secret": secrets.token_urlsafe(32),
               "client_secret_expires_at": 0}
        with self.lock:
            self.apps[app["client_id"]] = app
        return dict(app)

    def register_app_endpoint(self) -> Response:
        fields = self.params()
        uris = fields.get("redirect_uris") or []
        if isinstance(uris, str):
            uris = uris.split()
        if not fields.get("client_name"):
            return self.error(422, "Validation failed: Application name can't be blank")
        if not uris or any(u != OOB and not re.match(r"^[a-z][a-z0-9+.-]*://\S+$", u)
                           for u in uris):
            return self.error(422, "Validation failed: Redirect URI must be an absolute URI.")
        app = self.register_app(str(fields["client_name"]), list(uris),
                                str(fields.get("scopes") or "read"))
        app["website"] = fields.get("website")
        return self.json(app)

    def discovery(self) -> Response:
        return self.json({
            "issuer": f"{self.url}/", "authorization_endpoint": f"{self.url}/oauth/authorize",
            "token_endpoint": f"{self.url}/oauth/token",
            "revocation_endpoint": f"{self.url}/oauth/revoke",
            "app_registration_endpoint": f"{self.url}/api/v1/apps",
            "scopes_supported": ["read", "write", "profile", "write:statuses", "write:media",
                                 "read:accounts", "read:statuses"],
            "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"]})

    def authorize(self) -> Response:
        args = request.values
        app = self.apps.get(args.get("client_id", ""))
        if app is None:
            return self.refused_page("Client authentication failed due to unknown client.")
        redirect_uri = args.get("redirect_uri", "")
        if redirect_uri not in app["redirect_uris"]:
            return self.refused_page("The redirect uri included is not valid.")
        if args.get("response_type") != "code":
            return self.refused_page("The authorization server does not support this "
                                     "response type.")
        state = args.get("state")
        scopes = (args.get("scope") or "read").split()
        if not all(covers(app["scopes"], s) for s in scopes):
            return self.back_to(redirect_uri, error="invalid_scope", state=state,
                                error_description="The requested scope is invalid.")
        if args.get("code_challenge") and args.get("code_challenge_method") != "S256":
            return self.back_to(redirect_uri, error="invalid_request", state=state,
                                error_description="Only S256 is supported.")
        if request.method == "GET":
            return self.authorise_page(app["name"], scopes)
        if request.form.get("decision") != "allow":
            return self.back_to(redirect_uri, error="access_denied", state=state,
                                error_description="The resource owner or authorization "
                                "server denied the request.")
        grant = self.grant(app["client_id"], redirect_uri, scopes)
        return self.back_to(redirect_uri, code=grant.code, state=state)

    def client(self, fields: dict[str, Any]) -> dict[str, Any] | None:
        client_id, secret = self.basic_auth() or (fields.get("client_id"),
                                                  fields.get("client_secret"))
        app = self.apps.get(client_id or "")
        if app is None or not secrets.compare_digest(app["client_secret"], secret or ""):
            return None
        return app

    def oauth_error(self, error: str, description: str, status: int = 400) -> Response:
        return self.json({"error": error, "error_description": description}, status)

    def token(self) -> Response:
        fields = self.params()
        app = self.client(fields)
        if app is None:
            return self.oauth_error("invalid_client", "Client authentication failed due to "
                                    "unknown client, no client authentication included, or "
                                    "unsupported authentication method.", 401)
        if fields.get("grant_type") != "authorization_code":
            return self.oauth_error("unsupported_grant_type", "The authorization grant type "
                                    "is not supported by the authorization server.")
        grant = self.redeem(fields.get("code"), app["client_id"], fields.get("redirect_uri"),
                            fields.get("code_verifier"))
        if isinstance(grant, str):
            return self.oauth_error(grant, "The provided authorization grant is invalid, "
                                    "expired, revoked, does not match the redirection URI "
                                    "used in the authorization request, or was issued to "
                                    "another client.")
        return self.json(self.token_body(grant.member, app["client_id"], grant.scopes))

    def token_body(self, member: Member, client_id: str, scopes: list[str]) -> dict[str, Any]:
        access, _ = self.issue(member, client_id, scopes, None)  # never expires
        return {"access_token": access.value, "token_type": "Bearer",
                "scope": " ".join(scopes), "created_at": int(self.now())}

    def issue_tokens(self, member: Member | None = None,
                     scopes: str = "write:statuses write:media profile") -> dict[str, Any]:
        """A registered app and a token for it, without the browser round trip."""
        app = self.register_app(scopes=scopes)
        return {**self.token_body(member or self.signed_in, app["client_id"], scopes.split()),
                "client_id": app["client_id"], "client_secret": app["client_secret"]}

    def revoke_endpoint(self) -> Response:
        fields = self.params()
        app = self.client(fields)
        token = self.tokens.get(fields.get("token", ""))
        if app is None or (token is not None and token.client_id != app["client_id"]):
            return self.oauth_error("unauthorized_client", "You are not authorized to revoke "
                                    "this token", 403)
        if token is not None:
            self.revoke(token.value)
        return self.json({})

    # -- the API -----------------------------------------------------------------------------

    def member(self, *needed: str) -> Member:
        if self.bearer() is None:
            raise Answer(self.error(401, "This method requires an authenticated user"))
        token = self.live(self.bearer())
        if token is None:
            raise Answer(self.expired_answer())
        if not any(covers(token.scopes, n) for n in needed):
            raise Answer(self.error(403, "This action is outside the authorized scopes"))
        self.count("api", token.member.id)
        return token.member

    def account(self, member: Member) -> dict[str, Any]:
        return {"id": member.id, "username": member.username, "acct": member.username,
                "display_name": member.name, "url": f"{self.url}/@{member.username}",
                "avatar": member.avatar, "avatar_static": member.avatar, "note": "",
                "locked": False, "bot": False}

    def verify_credentials(self) -> Response:
        member = self.member("profile", "read:accounts")
        return self.json({**self.account(member), "source": {"privacy": "public",
                                                             "language": "nl", "note": ""}})

    def instance(self) -> Response:
        return self.json({"domain": "127.0.0.1", "title": "Fake Mastodon", "version": "4.4.0",
                          "configuration": {
                              "statuses": {"max_characters": self.max_characters,
                                           "max_media_attachments": 4,
                                           "characters_reserved_per_url": 23},
                              "media_attachments": {
                                  "supported_mime_types": ["image/jpeg", "image/png",
                                                           "image/gif", "image/webp",
                                                           "video/mp4"],
                                  "image_size_limit": 16_777_216,
                                  "image_matrix_limit": 33_177_600,
                                  "video_size_limit": 103_809_024,
                                  "description_limit": 1500}}})

    def upload(self) -> Response:
        member = self.member("write:media")
        self.count("media", member.id)
        upload = request.files.get("file")
        content = upload.read() if upload else b""
        kind = "video" if upload and (upload.mimetype or "").startswith("video/") else "image"
        meta: dict[str, Any] = {}
        if kind == "image":
            try:
                with Image.open(io.BytesIO(content)) as image:
                    meta = {"original": {"width": image.width, "height": image.height,
                                         "size": f"{image.width}x{image.height}",
                                         "aspect": image.width / image.height}}
            except UnidentifiedImageError:
                return self.error(422, "Validation failed: File content type is invalid, "
                                  "File is invalid")
        elif not content:
            return self.error(422, "Validation failed: File content type is invalid, "
                              "File is invalid")
        media_id = self.next_id()
        polls = self.processing_polls if kind == "image" else max(self.processing_polls, 1)
        item = {"id": media_id, "member": member, "type": kind, "content": content,
                "meta": meta, "description": request.form.get("description"),
                "polls_left": polls, "url": f"{self.url}/system/media/{media_id}.jpg"}
        with self.lock:
            self.media[media_id] = item
        return self.json(self.attachment(item), 202 if polls else 200)

    def attachment(self, item: dict[str, Any]) -> dict[str, Any]:
        ready = item["polls_left"] <= 0
        return {"id": item["id"], "type": item["type"], "url": item["url"] if ready else None,
                "preview_url": item["url"], "remote_url": None, "meta": item["meta"],
                "description": item["description"], "blurhash": "UFBWY:8_0Jxv4mx]t8of"}

    def media_status(self, media_id: str) -> Response:
        member = self.member("write:media")
        item = self.media.get(media_id)
        if item is None or item["member"] is not member:
            return self.error(404, "Record not found")
        if item["polls_left"] > 0:
            item["polls_left"] -= 1
            return self.json(self.attachment({**item, "polls_left": 1}), 206)
        return self.json(self.attachment(item))

    def length(self, text: str) -> int:
        counted = MENTION.sub(r"@\1", URL.sub("x" * 23, text))
        return len(regex.findall(r"\X", counted))

    def create_status(self) -> Response:
        member = self.member("write:statuses")
        key = request.headers.get("Idempotency-Key")
        with self.lock:
            if key:
                kept = self.idempotency.get((member.id, key))
                if kept is not None and kept[0] > self.now() - 3600:
                    return self.json(kept[1])
            status = self.new_status(member, self.params(), key)
            if key:
                self.idempotency[(member.id, key)] = (self.now(), status)
        return self.json(status)

    def new_status(self, member: Member, fields: dict[str, Any], key: str | None
                   ) -> dict[str, Any]:
        text = str(fields.get("status") or "")
        media_ids = fields.get("media_ids") or []
        if isinstance(media_ids, str):
            media_ids = [media_ids]
        attached = [self.media[m] for m in media_ids
                    if m in self.media and self.media[m]["member"] is member]
        if not text.strip() and not attached:
            raise Answer(self.error(422, "Validation failed: Text can't be blank"))
        if self.length(text) > self.max_characters:
            raise Answer(self.error(422, "Validation failed: Text character limit of "
                                    f"{self.max_characters} exceeded"))
        if len(attached) > 4:
            raise Answer(self.error(422, "Validation failed: Media attachments is too long"))
        if any(item["polls_left"] > 0 for item in attached):
            raise Answer(self.error(422, "Cannot attach files that have not finished "
                                    "processing. Try again in a moment!"))
        status_id = self.next_id()
        content = URL.sub(lambda m: f'<a href="{m.group(0)}" rel="nofollow noopener" '
                          f'target="_blank">{m.group(0)}</a>', html.escape(text, quote=False))
        status = {
            "id": status_id, "created_at": datetime.fromtimestamp(self.now(), UTC).isoformat(),
            "url": f"{self.url}/@{member.username}/{status_id}",
            "uri": f"{self.url}/users/{member.username}/statuses/{status_id}",
            "content": f"<p>{content}</p>", "visibility": fields.get("visibility", "public"),
            "language": fields.get("language"), "account": self.account(member),
            "media_attachments": [self.attachment(item) for item in attached], "card": None}
        self.posts.append({"id": status_id, "member": member, "text": text,
                           "media_ids": [a["id"] for a in attached], "idempotency_key": key,
                           "url": status["url"], "body": fields, "status": status})
        return status

    def account_statuses(self, account_id: str) -> Response:
        # Public statuses can be read without a token; a bad token still answers 401.
        if self.bearer() is not None:
            self.member("read", "read:statuses", "write:statuses", "profile")
        if account_id not in self.members:
            return self.error(404, "Record not found")
        limit = min(int(request.args.get("limit", 20)), 40)
        mine = [p["status"] for p in reversed(self.posts) if p["member"].id == account_id]
        return self.json(mine[:limit])
