"""A clearly marked demo organisation: one user per role, departments, topics, stories.

Everything it creates carries ``is_demo``; the UI shows a DEMO banner while
demo accounts exist. Running it again only resets the demo passwords.
"""

from __future__ import annotations

import io
import math
import random
import secrets
from pathlib import Path

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from advocacy import database as db
from advocacy.accounts.models import Role, User
from advocacy.accounts.operations import create_user, ensure_department
from advocacy.ambassadors import operations as ambassadors
from advocacy.curation import operations as curation
from advocacy.curation.models import Verdict
from advocacy.rulebook import operations as rulebook
from advocacy.stories import operations as stories
from advocacy.stories.models import Topic
from advocacy.stories.states import StoryStatus

DOMAIN = "demo.advocacy.invalid"
#: The demo's brand guidelines; also an example rule file for new hubs.
RULES = Path(__file__).with_name("brand-guidelines.json")
DEPARTMENTS = ("Sales", "Engineering", "Operations", "Communications")
TOPICS = (
    ("life-at-work", "Life at work"),
    ("customers", "Customers"),
    ("sustainability", "Sustainability"),
    ("innovation", "Innovation"),
    ("pricing", "Pricing"),
)
PEOPLE = (
    (Role.EMPLOYEE, "employee", "Eva de Vries (DEMO)", "Operations"),
    (Role.CURATOR, "curator", "Cor Jansen (DEMO)", "Communications"),
    (Role.ADMIN, "admin", "Ada Peeters (DEMO)", "Communications"),
)
STORIES = (
    ("[DEMO] Our night shift rebuilt the packing line", "Last weekend the night shift "
     "rebuilt packing line 3 in twelve hours. Photos by Eva.", ("life-at-work",),
     StoryStatus.APPROVED, (210, 120, 40)),
    ("[DEMO] Solar roof on the Gent warehouse is live", "Since Monday the warehouse roof "
     "produces more power than the building uses on sunny days.", ("sustainability",),
     StoryStatus.SUBMITTED, (40, 130, 200)),
    ("[DEMO] Visiting a customer who has used our pumps for 30 years", "A morning at the "
     "farm of one of our oldest customers.", ("customers",), StoryStatus.DRAFT,
     (60, 160, 90)),
    ("[DEMO] Hackathon: 14 teams, one coffee machine", "Our first internal hackathon, "
     "told by the teams themselves.", ("innovation", "life-at-work"), StoryStatus.APPROVED,
     (150, 70, 170)),
)


def demo_photo(colour: tuple[int, int, int], seed: int) -> FileStorage:
    """A generated 1600x1200 'photo' (gradient, sun and hills), as an upload."""
    rng = random.Random(seed)  # noqa: S311  (decoration, not security)
    image = Image.new("RGB", (1600, 1200))
    draw = ImageDraw.Draw(image)
    for y in range(1200):
        shade = y / 1200
        draw.line([(0, y), (1600, y)], fill=tuple(int(c * (0.5 + shade / 2)) for c in colour))
    draw.ellipse((1100, 150, 1350, 400), fill=(250, 230, 150))
    for layer in range(3):
        base = 700 + layer * 150
        points = [(x, base + 60 * math.sin(x / (180 + 40 * layer) + rng.random() * 6))
                  for x in range(0, 1601, 40)]
        draw.polygon([(0, 1200), *points, (1600, 1200)],
                     fill=tuple(max(0, c - 40 * (layer + 1)) for c in colour))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    buffer.seek(0)
    return FileStorage(stream=buffer, filename=f"demo-{seed}.jpg", content_type="image/jpeg")


def _reset_passwords() -> list[tuple[str, str, str]]:
    credentials = []
    for role, local, _name, _department in PEOPLE:
        user = db.session.scalar(select(User).where(User.email == f"{local}@{DOMAIN}"))
        if user is not None:
            password = secrets.token_urlsafe(9)
            user.set_password(password)
            credentials.append((role.value, user.email, password))
    return credentials


def seed_demo() -> list[tuple[str, str, str]]:
    """Create the demo organisation (or reset its passwords); return (role, email, password)."""
    if db.session.scalar(select(User).where(User.email == f"employee@{DOMAIN}")) is not None:
        return _reset_passwords()
    for name in DEPARTMENTS:
        ensure_department(f"{name} (DEMO)", is_demo=True)
    for slug, name in TOPICS:
        if db.session.scalar(select(Topic).where(Topic.slug == slug)) is None:
            db.session.add(Topic(slug=slug, name=name, is_demo=True))
    credentials = []
    users = {}
    for role, local, name, department in PEOPLE:
        password = secrets.token_urlsafe(9)
        users[role] = create_user(f"{local}@{DOMAIN}", role=role, password=password, name=name,
                                  department=f"{department} (DEMO)", is_demo=True)
        credentials.append((role.value, f"{local}@{DOMAIN}", password))
    db.session.flush()
    if rulebook.current_set() is None:
        rulebook.replace_rules(None, RULES.read_bytes(), via="demo")
    author, curator = users[Role.EMPLOYEE], users[Role.CURATOR]
    for index, (title, body, topics, status, colour) in enumerate(STORIES):
        story = stories.create_story(author, title=title, body=body, topics=topics,
                                     photos=[demo_photo(colour, index)], consent=True)
        story.is_demo = True
        if status != StoryStatus.DRAFT:
            stories.submit_story(author, story)
        if status == StoryStatus.APPROVED:
            curation.decide(curator, story, Verdict.APPROVE,
                            comment="Lovely story, thank you! (DEMO)",
                            captions={"linkedin": f"{title.removeprefix('[DEMO] ')} #werkenbij"})
    # The curator shares stories too: the feed, the composer and the impact page have
    # something to show. The employee's opt-in stays their own choice.
    ambassadors.opt_in(curator, topics=[slug for slug, _name in TOPICS])
    db.session.flush()
    return credentials
