"""Impact for the ambassador, travel for the author, teams for curators: nobody else by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from advocacy.accounts.models import Role
from tests.conftest import Person, login
from tests.sharing.test_tracked_links import CHROME, LINKEDIN_BOT, drain


def _share_and_click(client: FlaskClient, sharer: Person, story_id: int, network: str,
                     visitors: int) -> dict[str, Any]:
    share = client.post(f"/api/v1/stories/{story_id}/shares",
                        json={"network": network, "text": f"My words for {network}"},
                        headers=sharer.auth).json
    code = share["tracked_url"].rsplit("/", 1)[1]
    for n in range(visitors):
        client.get(f"/l/{code}", headers={"User-Agent": CHROME},
                   environ_base={"REMOTE_ADDR": f"198.51.100.{n + 1}"})
    client.get(f"/l/{code}", headers={"User-Agent": LINKEDIN_BOT})
    return dict(share)


def test_impact_author_travel_and_team_reports(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        ambassador: Callable[..., Person], submitted: Callable[..., dict[str, Any]],
        approved: Callable[..., dict[str, Any]]) -> None:
    author = person()
    curator = person(Role.CURATOR)
    sales = ambassador(department="Sales", name="Ada Sales")
    ops = ambassador(department="Operations", name="Otto Ops")
    story = approved(author, curator, story=submitted(author))
    _share_and_click(client, sales, story["id"], "linkedin", 3)
    _share_and_click(client, sales, story["id"], "x", 1)
    _share_and_click(client, ops, story["id"], "linkedin", 2)
    drain(app)

    mine = client.get("/api/v1/impact", headers=sales.auth).json
    assert (mine["shares"], mine["clicks"], mine["previews"]) == (2, 4, 2)
    assert mine["networks"]["linkedin"]["clicks"] == 3 and mine["networks"]["x"]["clicks"] == 1
    assert len(mine["days"]) == 30 and mine["days"][-1]["clicks"] == 4
    assert mine["days"][-1]["shares"] == 2

    travel = client.get(f"/api/v1/stories/{story['id']}/travel", headers=author.auth).json
    # The same two people clicked on both LinkedIn posts: five clicks, three visitors.
    assert travel["networks"]["linkedin"] == {"shares": 2, "clicks": 5, "visitors": 3,
                                              "previews": 2}
    assert travel["shares"] == 3 and travel["clicks"] == 6
    assert client.get(f"/api/v1/stories/{story['id']}/travel",
                      headers=sales.auth).status_code == 404

    teams = client.get("/api/v1/reports/teams", headers=curator.auth).json["items"]
    assert [(t["department"], t["ambassadors"], t["shares"], t["clicks"]) for t in teams] == [
        ("Sales", 1, 2, 4), ("Operations", 1, 1, 2)]
    assert client.get("/api/v1/reports/teams", headers=sales.auth).status_code == 403

    login(client, curator.user)
    report = client.get("/reports").get_data(as_text=True)
    assert "Sales" in report and "Ada Sales" not in report and "Otto Ops" not in report
    client.post("/api/v1/ambassador", json={"opt_in": True, "named_in_reports": True},
                headers=sales.auth)
    report = client.get("/reports").get_data(as_text=True)
    assert "Ada Sales" in report and "Otto Ops" not in report

    login(client, sales.user)
    page = client.get("/impact").get_data(as_text=True)
    assert "<svg" in page and "LinkedIn" in page
    login(client, author.user)
    assert "LinkedIn" in client.get(f"/stories/{story['id']}/travel").get_data(as_text=True)


def test_opted_out_shares_stay_in_team_totals(
        app: Flask, client: FlaskClient, person: Callable[..., Person],
        ambassador: Callable[..., Person], approved: Callable[..., dict[str, Any]]) -> None:
    curator = person(Role.CURATOR)
    leaver = ambassador(department="Sales")
    story = approved()
    _share_and_click(client, leaver, story["id"], "linkedin", 2)
    drain(app)
    client.post("/api/v1/ambassador", json={"opt_in": False}, headers=leaver.auth)
    (team,) = client.get("/api/v1/reports/teams", headers=curator.auth).json["items"]
    assert (team["department"], team["ambassadors"], team["shares"], team["clicks"]) == (
        "Sales", 0, 1, 2)
