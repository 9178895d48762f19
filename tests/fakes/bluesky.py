"""A fake Bluesky PDS: app-password sessions (createSession, refreshSession with rotation and a
grace period, deleteSession), getProfile, uploadBlob, createRecord for posts with facets checked
at UTF-8 byte offsets and external or image embeds, listRecords, and the PDS's errors and
``RateLimit-*`` headers. See docs/networks.md, "Bluesky"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime
from typing import Any, ClassVar

import regex
from flask import Response, request

from tests.fakes.base import Answer, FakeNetwork, Member, Token

ACCESS_LIFETIME = 120 * 60
REFRESH_LIFETIME = 90 * 86400
REFRESH_GRACE = 2 * 3600
BLOB_LIMIT = 50 * 1024 * 1024
IMAGE_LIMIT = 2_000_000
THUMB_LIMIT = 1_000_000
POST = "app.bsky.feed.post"
#: Every member's app password unless a test gives another.
APP_PASSWORD = "abcd-efgh-ijkl-mnop"  # noqa: S105 - a fake's well-known test credential
FEATURES = {"app.bsky.richtext.facet#link", "app.bsky.richtext.facet#mention",
            "app.bsky.richtext.facet#tag"}
B32 = "abcdefghijklmnopqrstuvwxyz234567"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_of(jwt: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (what a client reads ``exp`` from)."""
    payload = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


class FakeBluesky(FakeNetwork):
    network = "bluesky"
    oauth_endpoints = frozenset({"session", "refresh", "delete_session"})
    default_limits: ClassVar[dict[str, tuple[int, int]]] = {
        "session": (30, 300), "post": (1666, 3600), "blob": (1000, 300)}

    def __init__(self) -> None:
        self.secret = secrets.token_bytes(32)
        #: Largest blob uploadBlob takes (the PDS's limit); lexicon limits apply on posting.
        self.blob_limit = BLOB_LIMIT
        self.pds_did = "did:web:pds.fake"
        super().__init__()

    # -- people ------------------------------------------------------------------------------

    def member_id(self) -> str:
        number = int.from_bytes(secrets.token_bytes(15))
        return "did:plc:" + "".join(B32[(number >> (5 * i)) & 31] for i in range(24))

    def add_member(self, username: str, name: str | None = None,
                   password: str | None = APP_PASSWORD) -> Member:
        """A member; ``username`` becomes the handle (``eva`` -> ``eva.bsky.social``)."""
        handle = username if "." in username else f"{username}.bsky.social"
        return super().add_member(handle, name or username.title(), password)

    def find(self, actor: str) -> Member | None:
        return next((m for m in self.members.values()
                     if actor in {m.id, m.username, f"{m.username.split('.')[0]}@example.org"}),
                    None)

    # -- routes ------------------------------------------------------------------------------

    def routes(self) -> None:
        xrpc = "/xrpc/"
        self.route(xrpc + "com.atproto.server.createSession", "session", ("POST",))(
            self.create_session)
        self.route(xrpc + "com.atproto.server.refreshSession", "refresh", ("POST",))(
            self.refresh_session)
        self.route(xrpc + "com.atproto.server.deleteSession", "delete_session", ("POST",))(
            self.delete_session)
        self.route(xrpc + "app.bsky.actor.getProfile", "me")(self.get_profile)
        self.route(xrpc + "com.atproto.repo.uploadBlob", "blob", ("POST",))(self.upload_blob)
        self.route(xrpc + "com.atproto.repo.createRecord", "post", ("POST",))(self.create_record)
        self.route(xrpc + "com.atproto.repo.listRecords", "lookup")(self.list_records)

    # -- errors as the PDS answers them ------------------------------------------------------

    def error(self, status: int, name: str, message: str,
              headers: dict[str, str] | None = None) -> Response:
        return self.json({"error": name, "message": message}, status, headers)

    def invalid(self, message: str, name: str = "InvalidRequest") -> Answer:
        return Answer(self.error(400, name, message))

    def expired_answer(self) -> Response:
        return self.error(400, "ExpiredToken", "Token has expired")

    def rate_headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        window = self.limits.get(request.endpoint or "", (limit, 300))[1]
        return {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(int(reset)), "RateLimit-Policy": f"{limit};w={window}"}

    def rate_limited_answer(self, limit: int, reset: float, retry_after: int | None) -> Response:
        headers = self.rate_headers(limit, 0, reset)
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return self.error(429, "RateLimitExceeded", "Rate Limit Exceeded", headers)

    def server_error_answer(self, status: int) -> Response:
        if status == 500:
            return self.error(500, "InternalServerError", "Internal Server Error")
        return self.error(status, "UpstreamFailure", "Upstream Failure")

    # -- sessions ----------------------------------------------------------------------------

    def jwt(self, claims: dict[str, Any]) -> str:
        signing = f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}." \
                  f"{b64(json.dumps(claims).encode())}"
        signature = hmac.new(self.secret, signing.encode(), hashlib.sha256).digest()
        return f"{signing}.{b64(signature)}"

    def new_session(self, member: Member) -> dict[str, Any]:
        now = self.now()
        access = self.jwt({"scope": "com.atproto.appPass", "sub": member.id, "aud": self.pds_did,
                           "iat": int(now), "exp": int(now + ACCESS_LIFETIME)})
        refresh = self.jwt({"scope": "com.atproto.refresh", "sub": member.id, "aud": self.pds_did,
                            "jti": secrets.token_urlsafe(16), "iat": int(now),
                            "exp": int(now + REFRESH_LIFETIME)})
        with self.lock:
            self.tokens[access] = Token(access, "access", member, "app-password",
                                        ["com.atproto.appPass"], now, now + ACCESS_LIFETIME)
            self.tokens[refresh] = Token(refresh, "refresh", member, "app-password",
                                         ["com.atproto.refresh"], now, now + REFRESH_LIFETIME,
                                         pair=access)
        return {"accessJwt": access, "refreshJwt": refresh, "handle": member.username,
                "did": member.id, "didDoc": self.did_doc(member), "active": True}

    def did_doc(self, member: Member) -> dict[str, Any]:
        return {"@context": ["https://www.w3.org/ns/did/v1"], "id": member.id,
                "alsoKnownAs": [f"at://{member.username}"],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": self.url}]}

    def issue_tokens(self, member: Member | None = None) -> dict[str, Any]:
        """A session as createSession gives it, without the request."""
        with self.app.test_request_context():
            return self.new_session(member or self.signed_in)

    def create_session(self) -> Response:
        body = request.get_json(silent=True) or {}
        member = self.find(str(body.get("identifier", "")))
        if member is not None:
            self.count("session", member.id)
        if member is None or not member.password or not secrets.compare_digest(
                member.password, str(body.get("password", ""))):
            return self.error(401, "AuthenticationRequired", "Invalid identifier or password")
        return self.json({**self.new_session(member),
                          "email": f"{member.username.split('.')[0]}@example.org",
                          "emailConfirmed": True})

    def session_token(self, kind: str) -> Token:
        """The token of this request's bearer, as the PDS checks it."""
        value = self.bearer()
        if value is None:
            raise Answer(self.error(401, "AuthenticationRequired", "Authentication Required"))
        token = self.tokens.get(value)
        if token is None:
            raise Answer(self.error(401, "InvalidToken", "Token could not be verified"))
        if token.kind != kind:
            raise self.invalid("Invalid token type", "InvalidToken")
        now = self.now()
        if token.revoked and (token.grace_until is None or token.grace_until <= now):
            raise self.invalid("Token has been revoked", "ExpiredToken")
        if token.expires_at is not None and token.expires_at <= now:
            raise Answer(self.expired_answer())
        return token

    def refresh_session(self) -> Response:
        with self.lock:
            old = self.session_token("refresh")
            if not old.revoked:
                # The old refresh token keeps working for a grace period after rotation.
                old.revoked, old.grace_until = True, self.now() + REFRESH_GRACE
            session = self.new_session(old.member)
        return self.json(session)

    def delete_session(self) -> Response:
        token = self.session_token("refresh")
        self.revoke(token.value)
        token.grace_until = None
        return Response(status=200)

    def member(self) -> Member:
        token = self.session_token("access")
        self.count(request.endpoint or "", token.member.id)
        return token.member

    # -- the API -----------------------------------------------------------------------------

    def get_profile(self) -> Response:
        if self.bearer() is not None:
            self.member()
        member = self.find(request.args.get("actor", ""))
        if member is None:
            raise self.invalid("Profile not found")
        return self.json({"did": member.id, "handle": member.username,
                          "displayName": member.name, "avatar": member.avatar,
                          "description": "", "followersCount": 12, "followsCount": 34,
                          "postsCount": sum(1 for p in self.posts if p["member"] is member)})

    def upload_blob(self) -> Response:
        member = self.member()
        mime = request.mimetype
        if request.content_length and request.content_length > self.blob_limit:
            return self.error(413, "PayloadTooLarge", "request entity too large")
        content = request.get_data()
        if not mime or not content:
            raise self.invalid("A Content-Type and a body are required")
        cid = "bafkrei" + b64(hashlib.sha256(content).digest()).lower().replace("-", "a")[:52]
        blob = {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(content)}
        with self.lock:
            self.media[cid] = {"blob": blob, "member": member, "content": content}
        return self.json({"blob": blob})

    def create_record(self) -> Response:
        member = self.member()
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("repo") not in {member.id, member.username}:
            raise self.invalid("Input/repo must be the authenticated account")
        if body.get("collection") != POST:
            raise self.invalid(f"the fake takes only {POST} records")
        record = body.get("record")
        if not isinstance(record, dict) or record.get("$type", POST) != POST:
            raise self.invalid(f"Invalid {POST} record: Record must be an object")
        text = record.get("text", "")
        links = self.check_post(member, record, text)
        rkey = self.tid()
        uri = f"at://{member.id}/{POST}/{rkey}"
        cid = "bafyrei" + secrets.token_hex(26)
        with self.lock:
            self.posts.append({"id": uri, "rkey": rkey, "cid": cid, "member": member,
                               "text": text, "links": links, "facets": record.get("facets"),
                               "embed": record.get("embed"), "record": record, "body": body,
                               "url": f"https://bsky.app/profile/{member.username}/post/{rkey}"})
        return self.json({"uri": uri, "cid": cid,
                          "commit": {"cid": "bafyrei" + secrets.token_hex(26), "rev": rkey},
                          "validationStatus": "valid"})

    def tid(self) -> str:
        micros = int(self.now() * 1_000_000) * 1024 + len(self.posts) % 1024
        return "".join(B32[(micros >> (5 * i)) & 31] for i in reversed(range(13)))

    def check_post(self, member: Member, record: dict[str, Any], text: Any
                   ) -> list[tuple[str, str]]:
        """Check a post as the lexicon does; returns the linked text and its URI per link
        facet. Offsets that do not fall on UTF-8 character boundaries are refused (Bluesky
        would accept them and show a broken link)."""
        where = f"Invalid {POST} record: Record"
        if not isinstance(text, str):
            raise self.invalid(f"{where}/text must be a string")
        raw = text.encode("utf-8")
        if len(regex.findall(r"\X", text)) > 300:
            raise self.invalid(f"{where}/text must not be longer than 300 graphemes")
        if len(raw) > 3000:
            raise self.invalid(f"{where}/text must not be longer than 3000 characters")
        try:
            datetime.fromisoformat(str(record.get("createdAt", "")).replace("Z", "+00:00"))
        except ValueError as error:
            raise self.invalid(f"{where}/createdAt must be an valid atproto datetime") from error
        if len(record.get("langs") or []) > 3:
            raise self.invalid(f"{where}/langs must not have more than 3 elements")
        links: list[tuple[str, str]] = []
        for n, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") or {}
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end
                    <= len(raw)):
                raise self.invalid(f"{where}/facets/{n}/index is outside the text")
            try:
                covered = raw[start:end].decode("utf-8")
            except UnicodeDecodeError as error:
                raise self.invalid(f"{where}/facets/{n}/index splits a character") from error
            features = facet.get("features") or []
            if not features or any(f.get("$type") not in FEATURES for f in features):
                raise self.invalid(f"{where}/facets/{n}/features must be link, mention or tag")
            for feature in features:
                if feature["$type"].endswith("#link"):
                    if not str(feature.get("uri", "")).startswith(("http://", "https://")):
                        raise self.invalid(f"{where}/facets/{n}/features/uri must be a uri")
                    links.append((covered, feature["uri"]))
        self.check_embed(member, record.get("embed"), where)
        return links

    def check_embed(self, member: Member, embed: Any, where: str) -> None:
        if embed is None:
            return
        kind = embed.get("$type") if isinstance(embed, dict) else None
        if kind == "app.bsky.embed.external":
            external = embed.get("external") or {}
            if not all(isinstance(external.get(k), str) for k in ("uri", "title",
                                                                   "description")):
                raise self.invalid(f"{where}/embed/external must have uri, title, description")
            if "thumb" in external:
                self.check_blob(member, external["thumb"], THUMB_LIMIT, f"{where}/embed/thumb")
        elif kind == "app.bsky.embed.images":
            images = embed.get("images") or []
            if not 1 <= len(images) <= 4:
                raise self.invalid(f"{where}/embed/images must have 1 to 4 elements")
            for n, image in enumerate(images):
                if not isinstance(image.get("alt"), str):
                    raise self.invalid(f"{where}/embed/images/{n} must have the property alt")
                self.check_blob(member, image.get("image"), IMAGE_LIMIT,
                                f"{where}/embed/images/{n}/image")
        else:
            raise self.invalid(f"{where}/embed must be external or images in the fake")

    def check_blob(self, member: Member, blob: Any, limit: int, where: str) -> None:
        link = ((blob or {}).get("ref") or {}).get("$link") if isinstance(blob, dict) else None
        item = self.media.get(link or "")
        if item is None or item["member"] is not member:
            raise self.invalid(f"Could not find blob: {link}", "BlobNotFound")
        if not item["blob"]["mimeType"].startswith("image/"):
            raise self.invalid(f"{where} has the wrong MIME type")
        if item["blob"]["size"] > limit:
            raise self.invalid(f"{where} is too big: {item['blob']['size']} > {limit} bytes")

    def list_records(self) -> Response:
        member = self.find(request.args.get("repo", ""))
        if member is None:
            raise self.invalid(f"Could not find repo: {request.args.get('repo')}")
        limit = min(int(request.args.get("limit", 50)), 100)
        mine = [p for p in reversed(self.posts) if p["member"] is member
                and request.args.get("collection") == POST][:limit]
        return self.json({"records": [{"uri": p["id"], "cid": p["cid"], "value": p["record"]}
                                      for p in mine]})
