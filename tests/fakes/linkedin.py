"""A fake LinkedIn: OAuth 2.0 (3-legged, client secret, no PKCE), OpenID userinfo, the
versioned Images and Posts APIs with their required headers, and LinkedIn's errors. One server
stands for both www.linkedin.com (OAuth) and api.linkedin.com (API). See docs/networks.md,
"LinkedIn"."""

from __future__ import annotations

import base64
import io
import json
import re
from typing import Any
from urllib.parse import unquote

from flask import Response, request
from PIL import Image, UnidentifiedImageError

from tests.fakes.base import Answer, FakeNetwork, Member, _Planned

ACCESS_LIFETIME = 60 * 86400
REFRESH_LIFETIME = 365 * 86400
TEXT_LIMIT = 3000
IMAGE_LIMIT = 5 * 1024 * 1024
VERSION = re.compile(r"^\d{6}(\.\d{2})?$")
#: Reserved characters of the "little" text format (escaped with a backslash in commentary).
RESERVED = set("\\<>#~_|[]*(){}@")
#: The markup the little format allows: mentions and hashtags.
MARKUP = re.compile(r"@\[[^\]\\]*\]\(urn:li:[a-zA-Z]+:[^)\s]+\)|\{hashtag\|\\?#\|[^}]+\}")


class FakeLinkedIn(FakeNetwork):
    network = "linkedin"
    code_lifetime = 30.0
    oauth_endpoints = frozenset({"authorize", "token", "revoke"})

    def __init__(self) -> None:
        self.client_id = "linkedin-client-id"
        self.client_secret = "linkedin-client-secret"
        self.redirect_uris: set[str] | None = None
        #: Refresh tokens come only to apps LinkedIn approved for them (UNCONFIRMED which).
        self.issue_refresh_tokens = False
        #: LinkedIn's refusal redirect is UNCONFIRMED: ``user_cancelled_authorize`` (or
        #: ``user_cancelled_login``, or the standard ``access_denied``).
        self.deny_error = "user_cancelled_authorize"
        #: The token answer's ``scope``: comma-joined in the contract's example (UNCONFIRMED);
        #: " " for the standard form.
        self.scope_separator = ","
        #: ``LinkedIn-Version`` values that answer 426.
        self.retired_versions: set[str] = set()
        #: Token revocation (``POST /oauth/v2/revoke``) is UNCONFIRMED; False: it 404s.
        self.offers_revocation = True
        #: Whether a member token may read an image back (postiz says it cannot).
        self.images_readable = True
        super().__init__()

    def routes(self) -> None:
        self.route("/oauth/v2/authorization", "authorize", ("GET", "POST"))(self.authorize)
        self.route("/oauth/v2/accessToken", "token", ("POST",))(self.token)
        self.route("/oauth/v2/revoke", "revoke", ("POST",))(self.revoke_endpoint)
        self.route("/v2/userinfo", "me")(self.userinfo)
        self.route("/rest/images", "image_init", ("POST",))(self.initialize_upload)
        self.route("/upload/images/<image_id>", "image_upload", ("PUT",))(self.upload)
        self.route("/rest/images/<path:urn>", "image")(self.image)
        self.route("/rest/posts", "post", ("POST",))(self.create_post)
        self.route("/rest/posts", "lookup")(self.find_posts)

    # -- errors as LinkedIn answers them -----------------------------------------------------

    def error(self, status: int, message: str, code: str | None = None,
              service_code: int | None = None, headers: dict[str, str] | None = None) -> Response:
        body: dict[str, Any] = {"status": status, "message": message}
        if code:
            body["code"] = code
        if service_code is not None:
            body["serviceErrorCode"] = service_code
        return self.json(body, status, headers)

    def expired_answer(self) -> Response:
        return self.error(401, "Invalid access token", service_code=65600)

    def rate_limited_answer(self, limit: int, reset: float, retry_after: int | None) -> Response:
        # LinkedIn documents no rate-limit headers; Retry-After only when a test asks for it.
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return self.error(429, "Resource level throttle limit for calls to this resource is "
                          "reached.", headers=headers)

    def server_error_answer(self, status: int) -> Response:
        return self.error(status, "Internal Server Error" if status == 500 else "Unavailable")

    def special_answer(self, planned: _Planned) -> Response:
        if planned.failure == "retired_version":
            return self.retired(request.headers.get("LinkedIn-Version", ""))
        return super().special_answer(planned)

    def retired(self, version: str) -> Response:
        return self.error(426, f"Requested version {version} is not active",
                          "NONEXISTENT_VERSION")

    # -- OAuth -------------------------------------------------------------------------------

    def authorize(self) -> Response:
        args = request.values
        redirect_uri = args.get("redirect_uri", "")
        if args.get("client_id") != self.client_id:
            return self.refused_page("The passed in client_id is invalid.")
        if "#" in redirect_uri or not redirect_uri.startswith(("http://", "https://")) or (
                self.redirect_uris is not None and redirect_uri not in self.redirect_uris):
            return self.refused_page("The redirect_uri does not match the registered value.")
        if args.get("response_type") != "code":
            return self.refused_page("response_type must be code.")
        scopes = args.get("scope", "").replace(",", " ").split()
        state = args.get("state")
        if request.method == "GET":
            return self.authorise_page("the hub", scopes)
        if request.form.get("decision") != "allow":
            return self.back_to(redirect_uri, error=self.deny_error,
                                error_description="The user cancelled the authorization",
                                state=state)
        grant = self.grant(self.client_id, redirect_uri, scopes)
        grant.challenge = None  # no PKCE for web apps
        return self.back_to(redirect_uri, code=grant.code, state=state)

    def oauth_error(self, error: str, description: str, status: int = 400) -> Response:
        return self.json({"error": error, "error_description": description}, status)

    def token(self) -> Response:
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            return self.oauth_error("invalid_client", "Client authentication failed", 401)
        if form.get("grant_type") == "authorization_code":
            grant = self.redeem(form.get("code"), self.client_id, form.get("redirect_uri"), None)
            if isinstance(grant, str):
                return self.oauth_error(grant, "The provided authorization grant is invalid, "
                                        "expired or revoked")
            return self.token_answer(grant.member, grant.scopes)
        if form.get("grant_type") == "refresh_token":
            refresh = self.live(form.get("refresh_token"), "refresh")
            if refresh is None:
                return self.oauth_error("invalid_request", "The provided refresh token is "
                                        "invalid or expired")
            return self.token_answer(refresh.member, refresh.scopes, refresh)
        return self.oauth_error("unsupported_grant_type", "grant_type is not supported")

    def token_answer(self, member: Member, scopes: list[str],
                     refresh: Any = None) -> Response:
        access, new_refresh = self.issue(member, self.client_id, scopes, ACCESS_LIFETIME,
                                         REFRESH_LIFETIME, with_refresh=(
                                             self.issue_refresh_tokens and refresh is None))
        refresh = refresh or new_refresh
        body: dict[str, Any] = {"access_token": access.value, "expires_in": ACCESS_LIFETIME,
                                "scope": self.scope_separator.join(scopes),
                                "token_type": "Bearer"}
        if "openid" in scopes:
            body["id_token"] = self.id_token(member)
        if refresh is not None:
            # A refreshed access token gets 60 fresh days; the refresh token keeps its clock.
            refresh.pair = access.value
            body["refresh_token"] = refresh.value
            body["refresh_token_expires_in"] = round(refresh.expires_at - self.now())
        return self.json(body)

    def issue_tokens(self, member: Member | None = None,
                     scopes: str = "openid profile w_member_social") -> dict[str, Any]:
        """Tokens as the token endpoint gives them, without the browser round trip."""
        with self.app.test_request_context():
            answer = self.token_answer(member or self.signed_in, scopes.split())
        return dict(answer.get_json())

    def id_token(self, member: Member) -> str:
        def part(data: dict[str, Any]) -> str:
            raw = json.dumps(data).encode()
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        claims = {"iss": "https://www.linkedin.com/oauth", "aud": self.client_id,
                  "sub": member.id, "name": member.name, "iat": int(self.now()),
                  "exp": int(self.now()) + 3600}
        return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.fake-signature"

    def revoke_endpoint(self) -> Response:
        if not self.offers_revocation:
            return Response("Not Found", 404)
        form = request.form
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id,
                                                                  self.client_secret):
            return self.oauth_error("invalid_client", "Client authentication failed", 401)
        self.revoke(form.get("token", ""))
        return Response(status=200)

    # -- the API -----------------------------------------------------------------------------

    def member(self, *needed: str, versioned: bool = True) -> Member:
        value = self.bearer()
        if value is None:
            raise Answer(self.error(401, "Empty oauth2_access_token", service_code=401))
        token = self.live(value)
        if token is None:
            raise Answer(self.expired_answer())
        if versioned:
            version = request.headers.get("LinkedIn-Version")
            if not version:
                raise Answer(self.error(400, "A version must be present. Please specify a "
                                        "version by adding the LinkedIn-Version header.",
                                        "VERSION_MISSING"))
            if not VERSION.match(version) or version in self.retired_versions:
                raise Answer(self.retired(version))
            if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                raise Answer(self.error(400, "X-Restli-Protocol-Version 2.0.0 is required",
                                        "BAD_REQUEST"))
        if not set(needed) <= set(token.scopes):
            raise Answer(self.error(403, f"Not enough permissions to access: "
                                    f"{request.method} {request.path}", "ACCESS_DENIED", 100))
        self.count(request.endpoint or "", token.member.id)
        return token.member

    def urn(self, member: Member) -> str:
        return f"urn:li:person:{member.id}"

    def invalid(self, message: str) -> Answer:
        return Answer(self.error(422, message, "UNPROCESSABLE_ENTITY"))

    def userinfo(self) -> Response:
        member = self.member("openid", "profile", versioned=False)
        given, _, family = member.name.partition(" ")
        return self.json({"sub": member.id, "name": member.name, "given_name": given,
                          "family_name": family, "picture": member.avatar,
                          "locale": {"country": "NL", "language": "nl"}})

    def initialize_upload(self) -> Response:
        member = self.member("w_member_social")
        if request.args.get("action") != "initializeUpload":
            raise Answer(self.error(400, "action=initializeUpload is required", "BAD_REQUEST"))
        body = request.get_json(silent=True) or {}
        owner = (body.get("initializeUploadRequest") or {}).get("owner")
        if owner != self.urn(member):
            raise Answer(self.error(403, "owner is not the member of the token",
                                    "ACCESS_DENIED"))
        image_id = f"C4E10AQ{self.next_id()}"
        urn = f"urn:li:image:{image_id}"
        with self.lock:
            self.media[urn] = {"id": urn, "member": member, "status": "WAITING_UPLOAD"}
        return self.json({"value": {"uploadUrlExpiresAt": int(self.now() * 1000) + 3600_000,
                                    "uploadUrl": f"{self.url}/upload/images/{image_id}",
                                    "image": urn}})

    def upload(self, image_id: str) -> Response:
        member = self.member(versioned=False)
        item = self.media.get(f"urn:li:image:{image_id}")
        if item is None or item["member"] is not member:
            return Response(status=404)
        content = request.get_data()
        try:
            with Image.open(io.BytesIO(content)) as image:
                image_format = image.format
        except UnidentifiedImageError:
            image_format = None
        if image_format not in {"JPEG", "PNG", "GIF"} or len(content) > IMAGE_LIMIT:
            item["status"] = "PROCESSING_FAILED"
            return Response(status=400)
        item.update(status="AVAILABLE", content=content, format=image_format)
        return Response(status=201)

    def image(self, urn: str) -> Response:
        member = self.member()
        item = self.media.get(unquote(urn))
        if not self.images_readable or item is None or item["member"] is not member:
            raise Answer(self.error(403, "Not enough permissions to access: GET /images",
                                    "ACCESS_DENIED", 100))
        return self.json({"id": item["id"], "owner": self.urn(member),
                          "status": item["status"]})

    def create_post(self) -> Response:
        member = self.member("w_member_social")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise self.invalid("The request body is not valid JSON")
        if body.get("author") != self.urn(member):
            raise Answer(self.error(403, "author is not the member of the token",
                                    "ACCESS_DENIED"))
        commentary = body.get("commentary", "")
        self.check_post(body, commentary)
        content = body.get("content") or {}
        for urn in self.images_in(content):
            item = self.media.get(urn)
            if item is None or item["member"] is not member or item["status"] != "AVAILABLE":
                raise self.invalid(f"{urn} is not an available image of the author")
        with self.lock:
            urn = f"urn:li:share:{self.next_id()}"
            self.posts.append({"id": urn, "member": member, "commentary": commentary,
                               "text": re.sub(r"\\(.)", r"\1", commentary),
                               "article": content.get("article"), "media": content.get("media"),
                               "body": body, "url": f"https://www.linkedin.com/feed/update/{urn}"})
        return Response(status=201, headers={"x-restli-id": urn})

    def check_post(self, body: dict[str, Any], commentary: Any) -> None:
        if not isinstance(commentary, str) or len(commentary) > TEXT_LIMIT:
            raise self.invalid(f"commentary must be text of at most {TEXT_LIMIT} characters")
        plain = MARKUP.sub("", re.sub(r"\\.", "", commentary))
        unescaped = sorted(RESERVED & set(plain))
        if unescaped:
            # LinkedIn takes these and drops or mangles the text after them; the fake refuses
            # so that a missing escape fails a test instead of a post.
            raise self.invalid(f"commentary has unescaped reserved characters: {unescaped}")
        if body.get("visibility") not in {"PUBLIC", "CONNECTIONS", "LOGGED_IN"}:
            raise self.invalid("visibility must be PUBLIC, CONNECTIONS or LOGGED_IN")
        if (body.get("distribution") or {}).get("feedDistribution") is None:
            raise self.invalid("distribution.feedDistribution is required")
        if body.get("lifecycleState") not in {"PUBLISHED", "DRAFT"}:
            raise self.invalid("lifecycleState must be PUBLISHED or DRAFT")
        article = (body.get("content") or {}).get("article")
        if article is not None and not str(article.get("source", "")).startswith(
                ("http://", "https://")):
            raise self.invalid("content.article.source must be a URL")

    @staticmethod
    def images_in(content: dict[str, Any]) -> list[str]:
        urns = [(content.get("article") or {}).get("thumbnail"),
                (content.get("media") or {}).get("id")]
        urns += [i.get("id") for i in (content.get("multiImage") or {}).get("images", [])]
        return [u for u in urns if u]

    def find_posts(self) -> Response:
        """``GET /rest/posts?q=author&author=…``: needs ``r_member_social``, which a
        "Share on LinkedIn" app does not get."""
        member = self.member("r_member_social")
        if request.args.get("q") != "author" or unquote(
                request.args.get("author", "")) != self.urn(member):
            raise Answer(self.error(400, "q=author and the member's author URN are required",
                                    "BAD_REQUEST"))
        count = int(request.args.get("count", 10))
        mine = [p for p in reversed(self.posts) if p["member"] is member][:count]
        elements = [{"id": p["id"], "author": self.urn(member), "commentary": p["commentary"],
                     "content": p["body"].get("content"), "visibility": p["body"]["visibility"],
                     "lifecycleState": p["body"]["lifecycleState"]} for p in mine]
        return self.json({"elements": elements,
                          "paging": {"start": 0, "count": count, "total": len(elements)}})
