"""Who may call which route: every rule of ``app.url_map`` as anonymous, employee, curator, admin.

:data:`EXPECTED` is the decision, one row per (endpoint, method). A route that exists without
a row fails :func:`test_every_route_has_a_row`, so nobody adds a route without deciding who
may use it; a row whose route is gone fails :func:`test_no_stale_rows`.

The matrix aims each route at the acting user's OWN object, in the state the route needs
(a draft to edit or submit, a submitted story to withdraw, an approved story to share or
retract, a share of their own), and acts as an ambassador where sharing needs one (see
:data:`SETUP` and the builders), so a row says what a role may do.
:data:`FOREIGN_DRAFT` and :data:`FOREIGN_SUBMITTED` aim the same routes at ANOTHER employee's
objects: drafts and shares are private to their author (curators and admins included) and
their ids do not leak; once submitted, curators may read a story but only its author may
change it, and nobody may share it before it is approved.

Browser pages authenticate by session cookie, the API under /api/v1 by bearer token only.
Anonymous callers are sent to /login?next=... on pages and get a 401 JSON error on the API.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.ambassadors.operations import opt_in
from advocacy.curation.models import Verdict
from advocacy.curation.operations import decide
from advocacy.security import PUBLIC, access_of
from advocacy.sharing.operations import share_story
from advocacy.stories.models import Story
from advocacy.stories.operations import create_story, submit_story
from advocacy.stories.states import StoryStatus
from tests.conftest import BACKEND, PASSWORD, login, photo_bytes
from tests.uploads.conftest import OCTETS, metadata

Status = int | set[int]
#: Presigned multipart uploads exist on the S3 storage only (the services backend).
S3_OR_409 = 201 if BACKEND == "services" else 409
OK_OR_409 = 200 if BACKEND == "services" else 409
ROLES = ("anonymous", "employee", "curator", "admin")
SIGNED_IN = ROLES[1:]
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
#: URL arguments that name a stored object (as opposed to a file name or rendition name).
#: ``ref`` is a story's slug or id on its public page /s/<ref>; a tracked link's ``code`` is
#: public by design and names nothing private.
OBJECT_ARGS = frozenset({"story_id", "asset_id", "media_id", "token_id", "share_id", "ref"})
#: URL arguments that name a story or something inside one.
STORY_ARGS = frozenset({"story_id", "asset_id", "media_id", "ref"})


def who(*, anonymous: Status, employee: Status, curator: Status, admin: Status,
        ) -> dict[str, Status]:
    """One row of a matrix: the status each role gets."""
    return {"anonymous": anonymous, "employee": employee, "curator": curator, "admin": admin}


def signed_in(*, employee: Status, curator: Status, admin: Status) -> dict[str, Status]:
    """One row for signed-in roles only (anonymous is decided by :data:`EXPECTED`)."""
    return {"employee": employee, "curator": curator, "admin": admin}


# -- the decision ---------------------------------------------------------------------

#: (endpoint, method) -> the status each role gets when it uses the route on its OWN object
#: (anonymous callers, who own nothing, are aimed at another employee's object).
EXPECTED: dict[tuple[str, str], dict[str, Status]] = {
    # site: public
    ("site.home", "GET"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("site.healthz", "GET"): who(anonymous=200, employee=200, curator=200, admin=200),
    ("site.language", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("static", "GET"): who(anonymous=200, employee=200, curator=200, admin=200),
    # accounts: sign-in is public (signed-in users are sent on), the account page is not
    ("accounts.login", "GET"): who(anonymous=200, employee=302, curator=302, admin=302),
    ("accounts.login", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("accounts.logout", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("accounts.account", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("admin.users", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("admin.users", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("admin.user", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("admin.user", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("admin.departments", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("admin.departments", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("admin.topics", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("admin.topics", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("accounts.create_token", "POST"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("accounts.change_password", "POST"): who(anonymous=302, employee=302, curator=302,
                                              admin=302),
    ("accounts.revoke_token", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("accounts.sign_out_everywhere", "POST"): who(anonymous=302, employee=302, curator=302,
                                                  admin=302),
    # stories: every role writes its own stories
    ("stories.mine", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("stories.new", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("stories.new", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("stories.detail", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("stories.edit", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("stories.edit", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("stories.submit", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("stories.withdraw", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    # curation: the review desk is for curators; the thread and versions for author and curators
    ("curation.queue", "GET"): who(anonymous=302, employee=403, curator=200, admin=200),
    ("curation.desk", "GET"): who(anonymous=302, employee=403, curator=200, admin=200),
    ("curation.decide", "POST"): who(anonymous=302, employee=403, curator=302, admin=302),
    # a curator's light edit of their own story follows the self-approval setting (off)
    ("curation.edit", "POST"): who(anonymous=302, employee=403, curator=403, admin=403),
    ("curation.presence", "POST"): who(anonymous=302, employee=403, curator=204, admin=204),
    ("curation.comment", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("curation.revisions", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    # brand guidelines: admins manage them; everyone's pre-flight checks their own text
    ("rulebook.rules", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("rulebook.rules", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("rulebook.change_rule", "POST"): who(anonymous=302, employee=403, curator=403,
                                          admin=302),
    ("rulebook.export", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("rulebook.try_text", "POST"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("rulebook.preflight", "POST"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("notifications.inbox", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("notifications.read", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("admin.settings", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    ("admin.settings", "POST"): who(anonymous=302, employee=403, curator=403, admin=302),
    ("admin.audit_log", "GET"): who(anonymous=302, employee=403, curator=403, admin=200),
    # media: public route with a per-object check; a draft's photo is its author's alone
    # (200 from local storage, 302 to a presigned URL on S3)
    ("media.file", "GET"): who(anonymous=404, employee={200, 302}, curator={200, 302},
                               admin={200, 302}),
    # the story form follows its videos' processing: the story's readers
    ("media.story_media", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("media.remove", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    # ambassadors: every role may opt in (the page), and once opted in read the feed
    ("ambassadors.page", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("ambassadors.page", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("ambassadors.opt_out", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("ambassadors.feed", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    # sharing: an ambassador shares an approved story; a share is its ambassador's alone;
    # a tracked link is public and sends anyone on to the story's public page
    ("sharing.compose", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("sharing.compose", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("sharing.check", "POST"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("sharing.detail", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("sharing.posted", "POST"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("sharing.follow", "GET"): who(anonymous=302, employee=302, curator=302, admin=302),
    ("public.story", "GET"): who(anonymous=200, employee=200, curator=200, admin=200),
    # impact: an ambassador's own figures; where a story travelled for its author (and
    # curators); team reports and retraction for curators
    ("analytics.impact", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("analytics.travel", "GET"): who(anonymous=302, employee=200, curator=200, admin=200),
    ("analytics.reports", "GET"): who(anonymous=302, employee=403, curator=200, admin=200),
    ("curation.retract", "POST"): who(anonymous=302, employee=403, curator=302, admin=302),
    # API: bearer token only
    ("api.openapi", "GET"): who(anonymous=200, employee=200, curator=200, admin=200),
    ("api.create_token", "POST"): who(anonymous=201, employee=201, curator=201, admin=201),
    ("api.list_tokens", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.revoke_token", "DELETE"): who(anonymous=401, employee=204, curator=204, admin=204),
    ("api.me", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.topics", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.list_stories", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.create_story", "POST"): who(anonymous=401, employee=201, curator=201, admin=201),
    ("api.get_story", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.update_story", "PATCH"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.add_media", "POST"): who(anonymous=401, employee=201, curator=201, admin=201),
    ("api.remove_media", "DELETE"): who(anonymous=401, employee=204, curator=204, admin=204),
    ("api.submit_story", "POST"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.withdraw_story", "POST"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.check_guidelines", "POST"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.review_queue", "GET"): who(anonymous=401, employee=403, curator=200, admin=200),
    ("api.review", "POST"): who(anonymous=401, employee=403, curator=200, admin=200),
    ("api.curator_edit", "POST"): who(anonymous=401, employee=403, curator=403, admin=403),
    ("api.thread", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.add_comment", "POST"): who(anonymous=401, employee=201, curator=201, admin=201),
    ("api.revisions", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.list_notifications", "GET"): who(anonymous=401, employee=200, curator=200,
                                           admin=200),
    ("api.ambassador_status", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.ambassador_choice", "POST"): who(anonymous=401, employee=200, curator=200,
                                           admin=200),
    ("api.feed", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.create_share", "POST"): who(anonymous=401, employee=201, curator=201, admin=201),
    ("api.check_share", "POST"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.get_share", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.share_posted", "POST"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.impact", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.travel", "GET"): who(anonymous=401, employee=200, curator=200, admin=200),
    ("api.team_report", "GET"): who(anonymous=401, employee=403, curator=200, admin=200),
    ("api.retract", "POST"): who(anonymous=401, employee=403, curator=200, admin=200),
    # video uploads: every role adds videos to its own drafts (token, or session with CSRF);
    # presigned multipart needs the S3 storage (409 `use_tus` / `not_s3_multipart` on local
    # files); completing parts that never arrived is 409 `parts_missing`: past authorisation
    ("uploads.create", "POST"): who(anonymous=401, employee=201, curator=201, admin=201),
    ("uploads.patch", "PATCH"): who(anonymous=401, employee=204, curator=204, admin=204),
    ("uploads.terminate", "DELETE"): who(anonymous=401, employee=204, curator=204, admin=204),
    ("uploads.create_s3", "POST"): who(anonymous=401, employee=S3_OR_409, curator=S3_OR_409,
                                       admin=S3_OR_409),
    ("uploads.parts", "GET"): who(anonymous=401, employee=OK_OR_409, curator=OK_OR_409,
                                  admin=OK_OR_409),
    ("uploads.part_url", "GET"): who(anonymous=401, employee=OK_OR_409, curator=OK_OR_409,
                                     admin=OK_OR_409),
    ("uploads.complete", "POST"): who(anonymous=401, employee=409, curator=409, admin=409),
}

#: Every route that names an object, aimed at ANOTHER employee's draft story (with a photo),
#: API token or share: nobody but the author learns that it exists, so everyone gets 404,
#: also with a body that would not validate (authorisation comes before validation). The
#: acting user is an ambassador on sharing routes, so only the object can stop them.
FOREIGN_DRAFT: dict[tuple[str, str], dict[str, Status]] = {
    ("accounts.revoke_token", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("stories.detail", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("stories.edit", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("stories.edit", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("stories.submit", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("stories.withdraw", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("media.file", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("media.story_media", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("media.remove", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.revoke_token", "DELETE"): signed_in(employee=404, curator=404, admin=404),
    ("api.get_story", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("api.update_story", "PATCH"): signed_in(employee=404, curator=404, admin=404),
    ("api.add_media", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.remove_media", "DELETE"): signed_in(employee=404, curator=404, admin=404),
    ("api.submit_story", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.withdraw_story", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("curation.desk", "GET"): signed_in(employee=403, curator=404, admin=404),
    ("curation.decide", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("curation.edit", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("curation.presence", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("curation.comment", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("curation.revisions", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("api.review", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("api.curator_edit", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("api.thread", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("api.add_comment", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.revisions", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("sharing.compose", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("sharing.compose", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("sharing.check", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("sharing.detail", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("sharing.posted", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("public.story", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("analytics.travel", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("curation.retract", "POST"): signed_in(employee=403, curator=404, admin=404),
    ("api.create_share", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.check_share", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.get_share", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("api.share_posted", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.travel", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("api.retract", "POST"): signed_in(employee=403, curator=404, admin=404),
}

#: Every story route aimed at ANOTHER employee's SUBMITTED story (with a photo): curators
#: (and admins) review it, so they may read it; changing it stays with its author. Not yet
#: approved, it is nobody's to share (409 for curators, who know it; 404 for employees, who
#: do not) and has no public page; only an approved story can be retracted (409).
FOREIGN_SUBMITTED: dict[tuple[str, str], dict[str, Status]] = {
    ("stories.detail", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("stories.edit", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("stories.edit", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("stories.submit", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("stories.withdraw", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("media.file", "GET"): signed_in(employee=404, curator={200, 302}, admin={200, 302}),
    ("media.story_media", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("media.remove", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.get_story", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("api.update_story", "PATCH"): signed_in(employee=404, curator=404, admin=404),
    ("api.add_media", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.remove_media", "DELETE"): signed_in(employee=404, curator=404, admin=404),
    ("api.submit_story", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("api.withdraw_story", "POST"): signed_in(employee=404, curator=404, admin=404),
    ("curation.desk", "GET"): signed_in(employee=403, curator=200, admin=200),
    ("curation.decide", "POST"): signed_in(employee=403, curator=302, admin=302),
    ("curation.edit", "POST"): signed_in(employee=403, curator=302, admin=302),
    ("curation.presence", "POST"): signed_in(employee=403, curator=204, admin=204),
    ("curation.comment", "POST"): signed_in(employee=404, curator=302, admin=302),
    ("curation.revisions", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("api.review", "POST"): signed_in(employee=403, curator=200, admin=200),
    ("api.curator_edit", "POST"): signed_in(employee=403, curator=200, admin=200),
    ("api.thread", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("api.add_comment", "POST"): signed_in(employee=404, curator=201, admin=201),
    ("api.revisions", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("sharing.compose", "GET"): signed_in(employee=404, curator=409, admin=409),
    ("sharing.compose", "POST"): signed_in(employee=404, curator=409, admin=409),
    ("sharing.check", "POST"): signed_in(employee=404, curator=409, admin=409),
    ("public.story", "GET"): signed_in(employee=404, curator=404, admin=404),
    ("analytics.travel", "GET"): signed_in(employee=404, curator=200, admin=200),
    # the page flashes the refusal (409 conflict) and goes back to the story
    ("curation.retract", "POST"): signed_in(employee=403, curator=302, admin=302),
    ("api.create_share", "POST"): signed_in(employee=404, curator=409, admin=409),
    ("api.check_share", "POST"): signed_in(employee=404, curator=409, admin=409),
    ("api.travel", "GET"): signed_in(employee=404, curator=200, admin=200),
    ("api.retract", "POST"): signed_in(employee=403, curator=409, admin=409),
}

#: Page routes that accept an API token by design: the media URLs in API answers must open
#: with the token the API client already holds.
BEARER_PAGES = frozenset({("media.file", "GET")})

# -- the objects a request needs --------------------------------------------------------


class Target(Enum):
    """Whose object a parameterised URL names."""

    OWN = "the acting user's own, in the state the route needs"
    FOREIGN_DRAFT = "another employee's draft / token / share"
    FOREIGN_SUBMITTED = "another employee's submitted story"


@dataclass(frozen=True)
class StoryRef:
    id: int
    media: list[tuple[int, str]]  # (asset id, a rendition name)
    slug: str | None = None  # once approved


@dataclass(frozen=True)
class ShareRef:
    id: int
    code: str  # of its tracked link /l/<code>


@dataclass
class World:
    """One test's acting role, the objects its requests need and how they authenticate."""

    app: Flask
    client: FlaskClient
    role: str
    make_user: Callable[..., User]
    actor: User | None
    _other: User | None = None
    _approver: User | None = None
    _secrets: dict[int, str] = field(default_factory=dict)
    _ambassadors: set[int] = field(default_factory=set)
    _session: bool = False

    @property
    def other(self) -> User:
        """Another employee: owns what the acting user must not reach."""
        if self._other is None:
            self._other = self.make_user(Role.EMPLOYEE, email="someone.else@example.org")
        return self._other

    @property
    def approver(self) -> User:
        """A curator who approves stories: nobody approves their own (unless an admin allows
        it), and the acting curator's own story must be approvable too."""
        if self._approver is None:
            self._approver = self.make_user(Role.CURATOR, email="the.approver@example.org")
        return self._approver

    @property
    def owner(self) -> User:
        """Whose objects OWN means: the actor's, or (for anonymous) someone else's."""
        return self.actor if self.actor is not None else self.other

    def story(self, author: User, *, submitted: bool = False, approved: bool = False,
              photo: bool = False) -> StoryRef:
        """A story by ``author``, made by the app's own operations and committed; ``approved``
        has :attr:`approver` approve it, public at once (no embargo, no expiry)."""
        approver = self.approver if approved else None
        with self.app.app_context():
            user = db.session.get(User, author.id)
            assert user is not None
            photos = [FileStorage(io.BytesIO(photo_bytes()), filename="photo.jpg",
                                  content_type="image/jpeg")] if photo else []
            story: Story = create_story(user, title="A story for the matrix",
                                        body="Told to check who may see it.",
                                        topics=["customers"], photos=photos, consent=photo)
            if submitted or approved:
                submit_story(user, story)
            if approver is not None:
                curator = db.session.get(User, approver.id)
                assert curator is not None
                decide(curator, story, Verdict.APPROVE)
                assert story.is_public, story.status
            ref = StoryRef(story.id, [(m.id, "thumb" if "thumb" in m.renditions
                                       else sorted(m.renditions)[0]) for m in story.media],
                           story.slug)
            db.commit()
        return ref

    def ambassador(self, user: User) -> None:
        """``user`` opts in as an ambassador (once), following the matrix's topic."""
        if user.id in self._ambassadors:
            return
        with self.app.app_context():
            person = db.session.get(User, user.id)
            assert person is not None
            opt_in(person, topics=["customers"])
            db.commit()
        self._ambassadors.add(user.id)

    def share(self, user: User) -> ShareRef:
        """``user``, as an ambassador, shares an approved story of their own."""
        story = self.story(user, approved=True)
        self.ambassador(user)
        with self.app.app_context():
            person = db.session.get(User, user.id)
            found = db.session.get(Story, story.id)
            assert person is not None and found is not None
            share = share_story(person, found, network="linkedin", text="Proud of this one")
            ref = ShareRef(share.id, share.code)
            db.commit()
        return ref

    def token(self, user: User) -> tuple[int, str]:
        """A new API token of ``user``, made through POST /api/v1/tokens: (id, secret)."""
        response = self.app.test_client().post(
            "/api/v1/tokens", json={"email": user.email, "password": PASSWORD, "name": "matrix"})
        assert response.status_code == 201, response.get_data(as_text=True)
        body = response.get_json()
        return body["id"], body["token"]

    def bearer(self) -> dict[str, str]:
        """The Authorization header of the acting user."""
        assert self.actor is not None
        if self.actor.id not in self._secrets:
            self._secrets[self.actor.id] = self.token(self.actor)[1]
        return {"Authorization": f"Bearer {self._secrets[self.actor.id]}"}

    def sign_in(self) -> None:
        """Sign the browser session in (once) through the real form."""
        assert self.actor is not None
        if not self._session:
            login(self.client, self.actor)
            self._session = True

    def story_for(self, target: Target, *, needs_submitted: bool = False,
                  needs_approved: bool = False, photo: bool = False) -> StoryRef:
        if target is Target.OWN:
            return self.story(self.owner, submitted=needs_submitted, approved=needs_approved,
                              photo=photo)
        return self.story(self.other, submitted=target is Target.FOREIGN_SUBMITTED, photo=True)

    def share_for(self, target: Target) -> ShareRef:
        """The acting user's own share, or (any FOREIGN target) another ambassador's."""
        return self.share(self.owner if target is Target.OWN else self.other)

    def call(self, rule: Rule, method: str, target: Target, *,
             body: Literal["valid", "junk"] = "valid",
             auth: Literal["role", "session", "bearer"] = "role",
             values: dict[str, Any] | None = None,
             ) -> tuple[TestResponse, str]:
        """Send ``method`` to ``rule``; ``auth`` is "role" (API: bearer, pages: session),
        "session" or "bearer"; ``body`` is "valid" (minimal but valid) or "junk"."""
        if values is None:
            values = url_values(self, rule, target)
        built = rule.build(values)
        assert built is not None, f"cannot build {rule.rule} from {values}"
        path = built[1]
        headers: dict[str, str] = {}
        prepare = SETUP.get((rule.endpoint, method))
        if prepare is not None and self.actor is not None:
            prepare(self)
        if self.actor is not None:
            mode = ("bearer" if is_api(rule) else "session") if auth == "role" else auth
            if mode == "bearer":
                headers.update(self.bearer())
            else:
                self.sign_in()
        if body == "junk":
            kwargs = junk_body(rule)
        else:
            make_body = REQUESTS.get((rule.endpoint, method))
            kwargs = make_body(self) if make_body is not None else {}
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        return response, path


Builder = Callable[[World, Target], dict[str, Any]]


def _story(*, needs_submitted: bool = False) -> Builder:
    def build(world: World, target: Target) -> dict[str, Any]:
        return {"story_id": world.story_for(target, needs_submitted=needs_submitted).id}

    return build


def _story_and_photo(world: World, target: Target) -> dict[str, Any]:
    ref = world.story_for(target, photo=True)
    return {"story_id": ref.id, "media_id": ref.media[0][0]}


def _photo(world: World, target: Target) -> dict[str, Any]:
    ref = world.story_for(target, photo=True)
    asset_id, rendition = ref.media[0]
    return {"asset_id": asset_id, "rendition": rendition}


def _approved_story(world: World, target: Target) -> dict[str, Any]:
    """The story approved (OWN), or another's draft / submitted story."""
    return {"story_id": world.story_for(target, needs_approved=True).id}


def _story_to_share(world: World, target: Target) -> dict[str, Any]:
    """Sharing needs an ambassador: the acting user opts in whatever the target, so that
    only the story (approved and public, or another's draft / submitted one) decides."""
    if world.actor is not None:
        world.ambassador(world.actor)
    return _approved_story(world, target)


def _share(world: World, target: Target) -> dict[str, Any]:
    """The acting ambassador's own share, or another ambassador's (shares are personal)."""
    if world.actor is not None:
        world.ambassador(world.actor)
    return {"share_id": world.share_for(target).id}


def _tracked_link(world: World, target: Target) -> dict[str, Any]:
    return {"code": world.share_for(target).code}


def _public_page(world: World, target: Target) -> dict[str, Any]:
    """An approved story by its slug; another's draft or submitted story (no slug yet) by id."""
    ref = world.story_for(target, needs_approved=True)
    return {"ref": ref.slug if target is Target.OWN else ref.id}


def _token(world: World, target: Target) -> dict[str, Any]:
    """A fresh token (not the one the request authenticates with)."""
    return {"token_id": world.token(world.owner if target is Target.OWN else world.other)[0]}


def _guideline_rule(world: World, target: Target) -> dict[str, Any]:
    """A rule in force to turn off."""
    from advocacy.rulebook.operations import replace_rules

    with world.app.app_context():
        replace_rules(None, json.dumps({"version": 1, "rules": [{
            "id": "matrix-rule", "kind": "phrase", "severity": "info", "phrases": ["matrix"],
            "message": {"en": "A matrix rule.", "nl": "Een matrixregel."}}]}), via="cli")
        db.commit()
    return {"rule_id": "matrix-rule"}


def _static_file(world: World, target: Target) -> dict[str, Any]:
    folder = Path(world.app.static_folder or "")
    return {"filename": sorted(p.name for p in folder.iterdir() if p.is_file())[0]}


#: rule -> the URL values for it. A new parameterised rule needs a builder here.
BUILDERS: dict[str, Builder] = {
    "/static/<path:filename>": _static_file,
    "/account/tokens/<id:token_id>/revoke": _token,
    "/admin/users/<id:user_id>": lambda world, target: {"user_id": world.owner.id},
    "/stories/<id:story_id>": _story(),
    "/stories/<id:story_id>/edit": _story(),
    "/stories/<id:story_id>/submit": _story(),
    "/stories/<id:story_id>/withdraw": _story(needs_submitted=True),
    "/media/<id:asset_id>/<rendition>": _photo,
    "/stories/<id:story_id>/media": _story(),
    "/stories/<id:story_id>/media/<id:media_id>/remove": _story_and_photo,
    "/api/v1/tokens/<id:token_id>": _token,
    "/api/v1/stories/<id:story_id>": _story(),
    "/api/v1/stories/<id:story_id>/media": _story(),
    "/api/v1/stories/<id:story_id>/media/<id:media_id>": _story_and_photo,
    "/api/v1/stories/<id:story_id>/submit": _story(),
    "/api/v1/stories/<id:story_id>/withdraw": _story(needs_submitted=True),
    "/admin/guidelines/rules/<rule_id>": _guideline_rule,
    "/review/<id:story_id>": _story(needs_submitted=True),
    "/review/<id:story_id>/decide": _story(needs_submitted=True),
    "/review/<id:story_id>/edit": _story(needs_submitted=True),
    "/review/<id:story_id>/presence": _story(needs_submitted=True),
    "/stories/<id:story_id>/comments": _story(needs_submitted=True),
    "/stories/<id:story_id>/revisions": _story(needs_submitted=True),
    "/api/v1/stories/<id:story_id>/review": _story(needs_submitted=True),
    "/api/v1/stories/<id:story_id>/curator-edit": _story(needs_submitted=True),
    "/api/v1/stories/<id:story_id>/comments": _story(needs_submitted=True),
    "/api/v1/stories/<id:story_id>/revisions": _story(needs_submitted=True),
    "/stories/<id:story_id>/share": _story_to_share,
    "/stories/<id:story_id>/share/check": _story_to_share,
    "/shares/<id:share_id>": _share,
    "/shares/<id:share_id>/posted": _share,
    "/l/<code>": _tracked_link,
    "/s/<ref>": _public_page,
    "/stories/<id:story_id>/travel": _approved_story,
    "/review/<id:story_id>/retract": _approved_story,
    "/api/v1/stories/<id:story_id>/shares": _story_to_share,
    "/api/v1/stories/<id:story_id>/shares/check": _story_to_share,
    "/api/v1/shares/<id:share_id>": _share,
    "/api/v1/shares/<id:share_id>/posted": _share,
    "/api/v1/stories/<id:story_id>/travel": _approved_story,
    "/api/v1/stories/<id:story_id>/retract": _approved_story,
    "/api/v1/uploads/<upload_id>": lambda world, target: {"upload_id": _upload(world, "tus")},
    "/api/v1/uploads/<upload_id>/parts": lambda world, target: {
        "upload_id": _upload(world, "s3")},
    "/api/v1/uploads/<upload_id>/parts/<int:number>": lambda world, target: {
        "upload_id": _upload(world, "s3"), "number": 1},
    "/api/v1/uploads/<upload_id>/complete": lambda world, target: {
        "upload_id": _upload(world, "s3")},
}


def _upload(world: World, protocol: Literal["tus", "s3"]) -> str:
    """An unfinished video upload for a draft of the owner's: tus, or presigned multipart
    (on local files, where there is none, tus again)."""
    from advocacy.media.storage import S3Storage, storage
    from advocacy.uploads.operations import create_s3_upload, create_tus_upload

    story = world.story(world.owner)
    with world.app.app_context():
        user = db.session.get(User, world.owner.id)
        assert user is not None
        presigned = protocol == "s3" and isinstance(storage(), S3Storage)
        make = create_s3_upload if presigned else create_tus_upload
        upload_id = make(user, story.id, length=100, filetype="video/mp4").id
        db.commit()
    return upload_id


def _as_ambassador(world: World) -> None:
    assert world.actor is not None
    world.ambassador(world.actor)


#: (endpoint, method) -> what the acting user must be before the request, for routes whose
#: state is not an object in the URL (those have a builder in BUILDERS): an ambassador's
#: feed and impact need one who opted in. Anonymous callers are not set up.
SETUP: dict[tuple[str, str], Callable[[World], None]] = {
    ("ambassadors.opt_out", "POST"): _as_ambassador,
    ("ambassadors.feed", "GET"): _as_ambassador,
    ("analytics.impact", "GET"): _as_ambassador,
    ("api.feed", "GET"): _as_ambassador,
    ("api.impact", "GET"): _as_ambassador,
}

STORY_FORM = {"title": "Our new bakery line", "body": "It smells great.",
              "topics": ["customers"], "action": "save"}


SEND_BACK = {"decision": "request_changes", "comment": "Please add who is in the photo."}
SHARE = {"network": "linkedin", "text": "Proud of what our colleagues did {link}"}
POSTED = {"post_url": "https://www.linkedin.com/feed/update/urn:li:activity:1"}
RETRACT = {"reason": "The customer asked us to take it down."}


def _photo_upload() -> tuple[io.BytesIO, str]:
    return io.BytesIO(photo_bytes()), "photo.jpg"


#: (endpoint, method) -> keyword arguments for the test client: minimal but valid bodies,
#: so that the matrix checks authorisation, not validation. Routes not named send no body.
REQUESTS: dict[tuple[str, str], Callable[[World], dict[str, Any]]] = {
    ("site.language", "POST"): lambda w: {"data": {"language": "nl", "next": "/"}},
    ("accounts.login", "POST"): lambda w: {"data": {"email": w.owner.email,
                                                    "password": PASSWORD}},
    ("accounts.create_token", "POST"): lambda w: {"data": {"name": "laptop"}},
    ("accounts.change_password", "POST"): lambda w: {"data": {
        "current": PASSWORD, "new": "another long password", "repeat": "another long password"}},
    ("admin.users", "POST"): lambda w: {"data": {"email": "new.person@example.org",
                                                 "name": "New Person", "role": "employee",
                                                 "department": "",
                                                 "password": "long enough pw"}},
    ("admin.user", "POST"): lambda w: {"data": {"name": "Renamed", "role": "admin",
                                                "department": "", "active": "y"}},
    ("admin.departments", "POST"): lambda w: {"data": {"name": "Logistics"}},
    ("admin.topics", "POST"): lambda w: {"data": {"slug": "logistics", "name": "Logistics"}},
    ("stories.new", "POST"): lambda w: {"data": STORY_FORM},
    ("stories.edit", "POST"): lambda w: {"data": STORY_FORM},
    ("api.create_token", "POST"): lambda w: {"json": {"email": w.owner.email,
                                                      "password": PASSWORD}},
    ("api.create_story", "POST"): lambda w: {
        "data": {"title": "From the API", "body": "Sent as a form.", "topics": "customers"},
        "content_type": "multipart/form-data"},
    ("api.update_story", "PATCH"): lambda w: {"json": {}},
    ("api.add_media", "POST"): lambda w: {"data": {"media": _photo_upload()},
                                          "content_type": "multipart/form-data"},
    ("curation.decide", "POST"): lambda w: {"data": SEND_BACK},
    ("curation.edit", "POST"): lambda w: {"data": {"title": "A story for the matrix",
                                                   "body": "Told to check who may edit it."}},
    ("curation.comment", "POST"): lambda w: {"data": {"body": "Who took the photo?"}},
    ("rulebook.rules", "POST"): lambda w: {"data": {"rules": '{"version": 1, "rules": []}'}},
    ("rulebook.change_rule", "POST"): lambda w: {"data": {"action": "disable"}},
    ("rulebook.try_text", "POST"): lambda w: {"data": {"text": "Hello", "network": "",
                                                       "department": ""}},
    ("rulebook.preflight", "POST"): lambda w: {"data": {"title": "Hi", "text": "Hello"}},
    ("api.check_guidelines", "POST"): lambda w: {"json": {"text": "Hello"}},
    ("api.review", "POST"): lambda w: {"json": SEND_BACK},
    ("api.curator_edit", "POST"): lambda w: {"json": {"body": "Edited lightly by a curator."}},
    ("api.add_comment", "POST"): lambda w: {"json": {"body": "Who took the photo?"}},
    ("ambassadors.page", "POST"): lambda w: {"data": {"topics": ["customers"]}},
    ("sharing.compose", "POST"): lambda w: {"data": SHARE},
    ("sharing.check", "POST"): lambda w: {"data": SHARE},
    ("sharing.posted", "POST"): lambda w: {"data": POSTED},
    ("curation.retract", "POST"): lambda w: {"data": RETRACT},
    ("api.ambassador_choice", "POST"): lambda w: {"json": {"opt_in": True,
                                                           "topics": ["customers"]}},
    ("api.create_share", "POST"): lambda w: {"json": SHARE},
    ("api.check_share", "POST"): lambda w: {"json": SHARE},
    ("api.share_posted", "POST"): lambda w: {"json": POSTED},
    ("api.retract", "POST"): lambda w: {"json": RETRACT},
    ("uploads.create", "POST"): lambda w: {"environ_base": {
        "HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_LENGTH": "100",
        "HTTP_UPLOAD_METADATA": metadata(story=w.story(w.owner).id, filetype="video/mp4")}},
    ("uploads.patch", "PATCH"): lambda w: {
        "data": b"x" * 10, "content_type": OCTETS,
        "environ_base": {"HTTP_TUS_RESUMABLE": "1.0.0", "HTTP_UPLOAD_OFFSET": "0"}},
    ("uploads.create_s3", "POST"): lambda w: {"json": {
        "filename": "line3.mp4", "filetype": "video/mp4", "size": 100,
        "story": w.story(w.owner).id}},
    ("uploads.complete", "POST"): lambda w: {"json": {"parts": [{"number": 1,
                                                                  "etag": "\"nope\""}]}},
}


def junk_body(rule: Rule) -> dict[str, Any]:
    """A body that fails validation: whoever may not use the route must not get that far."""
    if is_api(rule):
        return {"data": "this is not JSON", "content_type": "text/plain"}
    return {"data": {"title": "", "body": "", "topics": ["no-such-topic"], "name": ""}}


def is_api(rule: Rule) -> bool:
    return rule.rule.startswith("/api/")


def url_values(world: World, rule: Rule, target: Target) -> dict[str, Any]:
    if not rule.arguments:
        return {}
    builder = BUILDERS.get(rule.rule)
    if builder is None:
        pytest.fail(f"the rule {rule.rule!r} ({rule.endpoint}) has URL parameters but no "
                    f"builder: add one to BUILDERS in {__name__}", pytrace=False)
    return builder(world, target)


def rules_for(app: Flask, endpoint: str, method: str) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint == endpoint and method in (r.methods or ())]
    if not rules:
        pytest.fail(f"stale row: no route {endpoint} {method} in url_map", pytrace=False)
    return rules


def routes(app: Flask) -> set[tuple[str, str]]:
    """Every (endpoint, method) the app answers, HEAD and OPTIONS aside."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in (rule.methods or set()) - IGNORED_METHODS}


# -- checks -----------------------------------------------------------------------------


def check_status(response: TestResponse, expected: Status, what: str) -> None:
    allowed = expected if isinstance(expected, set) else {expected}
    assert response.status_code in allowed, (
        f"{what}: got {response.status_code}, expected {sorted(allowed)}; "
        f"Location={response.headers.get('Location')!r}; "
        f"body={response.get_data(as_text=True)[:300]!r}")


def check_api_error(response: TestResponse, what: str, code: str | None = None) -> None:
    """API errors are JSON: {"error": {"code", "message", "details"}}."""
    assert response.is_json, f"{what}: error is not JSON ({response.content_type})"
    body = response.get_json()
    assert set(body) == {"error"}, f"{what}: {body}"
    assert set(body["error"]) == {"code", "message", "details"}, f"{what}: {body}"
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], what
    assert isinstance(body["error"]["details"], dict), what
    if code is not None:
        assert body["error"]["code"] == code, f"{what}: {body}"


def is_login_redirect(response: TestResponse) -> bool:
    location = response.headers.get("Location", "")
    return response.status_code == 302 and urlsplit(location).path == "/login" and bool(
        parse_qs(urlsplit(location).query).get("next"))


def check_login_redirect(response: TestResponse, path: str, what: str) -> None:
    """Sent to the sign-in page, which brings the user back to ``path``."""
    location = response.headers.get("Location", "")
    parts = urlsplit(location)
    assert response.status_code == 302 and parts.path == "/login", f"{what}: {location!r}"
    assert parse_qs(parts.query).get("next") == [path], f"{what}: {location!r}"


def check_response(world: World, rule: Rule, method: str, response: TestResponse, path: str,
                   expected: Status, note: str = "") -> None:
    what = f"{method} {path} ({rule.endpoint}) as {world.role}{note}"
    check_status(response, expected, what)
    if is_api(rule) and response.status_code >= 400:
        check_api_error(response, what)
    if world.actor is None and access_of(world.app, rule.endpoint) != PUBLIC:
        if is_api(rule):
            check_api_error(response, what, code="unauthorized")
        else:
            check_login_redirect(response, path, what)
    if world.actor is not None:
        assert not is_login_redirect(response), f"{what}: sent to sign in although signed in"


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _light_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Light scrypt settings while the matrix signs in hundreds of times: what is checked
    here is who may do what, not how hard a hash is to crack. Checking a hash reads its
    settings from the hash itself, so sign-in works unchanged."""
    from advocacy.accounts import models, operations

    real = getattr(models, "generate_password_hash", None)
    if real is None:
        return

    def light(password: str, method: str = "scrypt", salt_length: int = 16) -> str:
        return str(real(password, method="scrypt:1024:8:1", salt_length=salt_length))

    monkeypatch.setattr(models, "generate_password_hash", light)
    # The dummy hash for unknown e-mail addresses is cached; keep ours out of that cache.
    monkeypatch.setattr(operations, "_DUMMY_HASH", [], raising=False)



@pytest.fixture()
def world_for(app: Flask, client: FlaskClient, make_user: Callable[..., User],
              topics: list[str]) -> Iterator[Callable[[str], World]]:
    """``world_for(role)``: the acting user of ``role`` (none for anonymous) and helpers."""

    def build(role: str) -> World:
        actor = None if role == "anonymous" else make_user(
            Role(role), email=f"acting.{role}@example.org")
        return World(app=app, client=client, role=role, make_user=make_user, actor=actor)

    yield build


def _param(endpoint: str, method: str, role: str) -> Any:
    return pytest.param(endpoint, method, role, id=f"{endpoint}-{method}-{role}")


# -- the table is complete and current ------------------------------------------------------


def _row_template(key: tuple[str, str]) -> str:
    return f"    {key!r}: who(anonymous=..., employee=..., curator=..., admin=...),"


def test_every_route_has_a_row(app: Flask) -> None:
    missing = sorted(routes(app) - EXPECTED.keys())
    assert not missing, (
        "routes nobody decided the audience of; add a row to EXPECTED in "
        f"{__name__}:\n" + "\n".join(_row_template(key) for key in missing))


def test_no_stale_rows(app: Flask) -> None:
    present = routes(app)
    tables: dict[str, Iterable[tuple[str, str]]] = {
        "EXPECTED": EXPECTED, "FOREIGN_DRAFT": FOREIGN_DRAFT,
        "FOREIGN_SUBMITTED": FOREIGN_SUBMITTED, "REQUESTS": REQUESTS,
        "BEARER_PAGES": BEARER_PAGES, "SETUP": SETUP}
    stale: dict[str, list[Any]] = {name: sorted(set(keys) - present)
                                   for name, keys in tables.items()}
    stale["BUILDERS"] = sorted(BUILDERS.keys() - {r.rule for r in app.url_map.iter_rules()})
    stale = {name: keys for name, keys in stale.items() if keys}
    assert not stale, f"rows for routes that no longer exist: {stale}"


def test_every_parameterised_rule_has_a_builder(app: Flask) -> None:
    missing = sorted(f"{rule.rule} ({rule.endpoint})" for rule in app.url_map.iter_rules()
                     if rule.arguments and rule.rule not in BUILDERS)
    assert not missing, f"parameterised rules without a URL builder in BUILDERS: {missing}"


def test_every_object_route_is_checked_against_other_peoples_objects(app: Flask) -> None:
    """Routes naming objects are in FOREIGN_DRAFT; those naming stories in FOREIGN_SUBMITTED."""
    object_routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
                     if rule.arguments & OBJECT_ARGS
                     for method in (rule.methods or set()) - IGNORED_METHODS}
    story_routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
                    if rule.arguments & STORY_ARGS
                    for method in (rule.methods or set()) - IGNORED_METHODS}
    missing = {"FOREIGN_DRAFT": sorted(object_routes - FOREIGN_DRAFT.keys()),
               "FOREIGN_SUBMITTED": sorted(story_routes - FOREIGN_SUBMITTED.keys())}
    assert not any(missing.values()), f"routes naming objects without a row: {missing}"


# -- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method", "role"), [
    _param(endpoint, method, role) for endpoint, method in EXPECTED for role in ROLES])
def test_route_matrix(endpoint: str, method: str, role: str,
                      world_for: Callable[[str], World]) -> None:
    world = world_for(role)
    for rule in rules_for(world.app, endpoint, method):
        response, path = world.call(rule, method, Target.OWN)
        check_response(world, rule, method, response, path, EXPECTED[(endpoint, method)][role])


JUNK_NOTE = " with a body that does not validate (authorisation must come first)"


def _forbidden(expected: Status) -> bool:
    return (expected if isinstance(expected, set) else {expected}) <= {403, 404}


def check_junk_body(world: World, rule: Rule, method: str, target: Target,
                    values: dict[str, Any], path: str, expected: Status) -> None:
    """The same refusal with a body that does not validate."""
    junk, _ = world.call(rule, method, target, values=values, body="junk")
    check_response(world, rule, method, junk, path, expected, JUNK_NOTE)


@pytest.mark.parametrize(("endpoint", "method", "role"), [
    _param(endpoint, method, role) for endpoint, method in FOREIGN_DRAFT for role in SIGNED_IN])
def test_another_employees_draft_is_not_found(endpoint: str, method: str, role: str,
                                              world_for: Callable[[str], World]) -> None:
    """404 with a valid and with an invalid body, and the same answer as for no such id."""
    world = world_for(role)
    expected = FOREIGN_DRAFT[(endpoint, method)][role]
    for rule in rules_for(world.app, endpoint, method):
        values = url_values(world, rule, Target.FOREIGN_DRAFT)
        response, path = world.call(rule, method, Target.FOREIGN_DRAFT, values=values)
        check_response(world, rule, method, response, path, expected)
        if method != "GET" and _forbidden(expected):
            check_junk_body(world, rule, method, Target.FOREIGN_DRAFT, values, path, expected)
        # The id does not leak: another's draft looks exactly like an id that does not exist.
        nowhere = {k: v + 1_000_000 if k in OBJECT_ARGS else v for k, v in values.items()}
        missing, missing_path = world.call(rule, method, Target.FOREIGN_DRAFT, values=nowhere)
        assert missing.status_code == response.status_code, (
            f"{method} {path} as {role}: {response.status_code}, "
            f"but {missing.status_code} for {missing_path}")
        if is_api(rule):
            assert missing.get_json() == response.get_json(), f"{method} {path} as {role}"


@pytest.mark.parametrize(("endpoint", "method", "role"), [
    _param(endpoint, method, role) for endpoint, method in FOREIGN_SUBMITTED
    for role in SIGNED_IN])
def test_another_employees_submitted_story(endpoint: str, method: str, role: str,
                                           world_for: Callable[[str], World]) -> None:
    world = world_for(role)
    expected = FOREIGN_SUBMITTED[(endpoint, method)][role]
    for rule in rules_for(world.app, endpoint, method):
        values = url_values(world, rule, Target.FOREIGN_SUBMITTED)
        response, path = world.call(rule, method, Target.FOREIGN_SUBMITTED, values=values)
        check_response(world, rule, method, response, path, expected)
        if method != "GET" and _forbidden(expected):
            check_junk_body(world, rule, method, Target.FOREIGN_SUBMITTED, values, path,
                            expected)


# -- sessions and tokens do not cross over ------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method", "role"), [
    _param(endpoint, method, role) for (endpoint, method), row in EXPECTED.items()
    if endpoint.startswith("api.") and row["anonymous"] == 401 for role in SIGNED_IN])
def test_the_api_ignores_the_session_cookie(endpoint: str, method: str, role: str,
                                            world_for: Callable[[str], World]) -> None:
    """A signed-in browser session without a token is anonymous to the API."""
    world = world_for(role)
    for rule in rules_for(world.app, endpoint, method):
        response, path = world.call(rule, method, Target.OWN, auth="session")
        assert world.client.get("/account").status_code == 200  # the session is signed in
        check_status(response, 401, f"{method} {path} with only a session as {role}")
        check_api_error(response, f"{method} {path}", code="unauthorized")


@pytest.mark.parametrize(("endpoint", "method"), [
    pytest.param(endpoint, method, id=f"{endpoint}-{method}") for endpoint, method in EXPECTED
    if not endpoint.startswith("api.") and (endpoint, method) not in BEARER_PAGES])
def test_pages_ignore_bearer_tokens(endpoint: str, method: str, app: Flask,
                                    world_for: Callable[[str], World]) -> None:
    """A token is for the API: on a page its holder is as anonymous as anyone without one."""
    holder = world_for("employee")
    anonymous = World(app=app, client=app.test_client(), role="anonymous",
                      make_user=holder.make_user, actor=None)
    for rule in rules_for(app, endpoint, method):
        if is_api(rule):
            continue
        values = url_values(holder, rule, Target.OWN)
        with_token, path = holder.call(rule, method, Target.OWN, auth="bearer", values=values)
        without, _ = anonymous.call(rule, method, Target.OWN, values=values)
        assert (with_token.status_code, with_token.headers.get("Location")) == (
            without.status_code, without.headers.get("Location")), (
            f"{method} {path} with only an API token: {with_token.status_code} "
            f"{with_token.headers.get('Location')!r}; without one: {without.status_code} "
            f"{without.headers.get('Location')!r}")


def test_media_urls_in_api_answers_open_with_the_api_token(
        world_for: Callable[[str], World]) -> None:
    """The one page that takes a token (BEARER_PAGES), and only for what its holder may see."""
    world = world_for("employee")
    assert world.actor is not None
    ref = world.story(world.actor, photo=True)
    story = world.client.get(f"/api/v1/stories/{ref.id}", headers=world.bearer()).get_json()
    url = urlsplit(story["media"][0]["url"]).path
    check_status(world.client.get(url, headers=world.bearer()), {200, 302}, f"GET {url}")
    check_status(world.client.get(url), 404, f"GET {url} without a token")
    stranger = World(app=world.app, client=world.app.test_client(), role="employee",
                     make_user=world.make_user, actor=world.make_user(Role.EMPLOYEE))
    check_status(stranger.client.get(url, headers=stranger.bearer()), 404,
                 f"GET {url} with another employee's token")


@pytest.mark.parametrize("token", ["revoked", "unknown", "empty", "not bearer"])
def test_only_a_valid_token_opens_the_api(token: str,
                                          world_for: Callable[[str], World]) -> None:
    world = world_for("employee")
    assert world.actor is not None
    token_id, secret = world.token(world.actor)
    header = {"revoked": f"Bearer {secret}", "unknown": "Bearer adv_nope", "empty": "Bearer ",
              "not bearer": f"Token {secret}"}[token]
    if token == "revoked":
        assert world.client.delete(f"/api/v1/tokens/{token_id}",
                                   headers={"Authorization": header}).status_code == 204
    response = world.client.get("/api/v1/me", headers={"Authorization": header})
    check_status(response, 401, f"GET /api/v1/me with a {token} token")
    check_api_error(response, "GET /api/v1/me", code="unauthorized")


# -- curators and other people's stories -----------------------------------------------------


@pytest.mark.parametrize("role", ["curator", "admin"])
def test_curators_see_another_employees_story_via_the_api_only_once_submitted(
        role: str, world_for: Callable[[str], World]) -> None:
    world = world_for(role)
    author = world.other
    author_token = {"Authorization": f"Bearer {world.token(author)[1]}"}
    created = world.client.post("/api/v1/stories", headers=author_token,
                                data={"title": "Not ready", "body": "Still writing this."})
    assert created.status_code == 201, created.get_data(as_text=True)
    url = f"/api/v1/stories/{created.get_json()['id']}"

    draft = world.client.get(url, headers=world.bearer())
    check_status(draft, 404, f"GET {url} (another's draft) as {role}")
    check_api_error(draft, url, code="not_found")

    assert world.client.post(f"{url}/submit", headers=author_token).status_code == 200
    submitted = world.client.get(url, headers=world.bearer())
    check_status(submitted, 200, f"GET {url} (another's submitted story) as {role}")
    assert submitted.get_json()["status"] == "submitted"

    bystander = World(app=world.app, client=world.app.test_client(), role="employee",
                      make_user=world.make_user, actor=world.make_user(Role.EMPLOYEE))
    check_status(world.client.get(url, headers=bystander.bearer()), 404,
                 f"GET {url} (another's submitted story) as a fellow employee")


def test_media_follows_its_story(app: Flask, world_for: Callable[[str], World]) -> None:
    """Draft: the author only; submitted: also curators; approved: everyone."""
    world = world_for("employee")
    assert world.actor is not None
    ref = world.story(world.actor, photo=True)
    asset_id, rendition = ref.media[0]
    url = f"/media/{asset_id}/{rendition}"
    viewers = {role: app.test_client() for role in ROLES}
    for role, viewer in viewers.items():
        if role == "employee":
            login(viewer, world.actor)
        elif role != "anonymous":
            login(viewer, world.make_user(Role(role)))
    stranger = app.test_client()
    login(stranger, world.make_user(Role.EMPLOYEE))

    def seen_by() -> set[str]:
        seen = {role for role, viewer in viewers.items()
                if viewer.get(url).status_code in {200, 302}}
        if stranger.get(url).status_code in {200, 302}:
            seen.add("another employee")
        return seen

    assert seen_by() == {"employee"}
    with app.app_context():
        story = db.session.get(Story, ref.id)
        assert story is not None
        submit_story(story.author, story)
        db.commit()
    assert seen_by() == {"employee", "curator", "admin"}
    with app.app_context():
        story = db.session.get(Story, ref.id)
        assert story is not None
        story.status = StoryStatus.APPROVED  # media is the point here, not deciding
        db.commit()
    assert seen_by() == {"anonymous", "employee", "curator", "admin", "another employee"}
    unknown = viewers["admin"].get(f"/media/{asset_id}/no-such-rendition")
    check_status(unknown, 404, "an unknown rendition")
