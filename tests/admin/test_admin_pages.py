"""Admins manage accounts, departments and topics from the browser."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from advocacy import database as db
from advocacy.accounts.models import Department, Role, User
from tests.conftest import login


def test_admin_creates_an_account_and_sees_the_generated_password_once(
    client: FlaskClient, signed_in: Callable[..., User], app: Flask
) -> None:
    signed_in(Role.ADMIN)
    client.post("/admin/departments", data={"name": "Logistics"})
    with app.app_context():
        department_id = db.session.scalar(select(Department.id))
    response = client.post("/admin/users", data={
        "email": "Noor@Example.org", "name": "Noor", "role": "curator",
        "department": str(department_id), "password": ""}, follow_redirects=True)
    page = response.get_data(as_text=True)
    password = re.search(r'shown only now: <code class="secret">([^<]+)</code>', page)
    assert password, page
    assert "Noor" in page and "Logistics" in page
    client.post("/logout")
    new_user = client.post("/login", data={"email": "noor@example.org",
                                           "password": password.group(1)})
    assert new_user.status_code == 302
    assert "Noor" in client.get("/account").get_data(as_text=True)


def test_admin_changes_role_department_and_deactivates(
    client: FlaskClient, signed_in: Callable[..., User], make_user: Callable[..., User],
    app: Flask
) -> None:
    employee = make_user(Role.EMPLOYEE)
    signed_in(Role.ADMIN)
    client.post("/admin/departments", data={"name": "Sales"})
    with app.app_context():
        sales = db.session.scalar(select(Department.id).where(Department.name == "Sales"))
    response = client.post(f"/admin/users/{employee.id}", data={
        "name": "Promoted", "role": "curator", "department": str(sales)})  # no "active": off
    assert response.status_code == 302
    with app.app_context():
        changed = db.session.get(User, employee.id)
        assert changed is not None and changed.role == "curator" and not changed.active
        assert changed.department is not None and changed.department.name == "Sales"
    other = app.test_client()
    assert other.post("/login", data={"email": employee.email, "password": "x"}).status_code
    # deactivated: the right password no longer opens the hub
    from tests.conftest import PASSWORD
    assert other.post("/login", data={"email": employee.email, "password": PASSWORD}
                      ).status_code == 401


def test_admin_cannot_lock_themselves_out(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    admin = signed_in(Role.ADMIN)
    response = client.post(f"/admin/users/{admin.id}", data={
        "name": admin.name, "role": "employee", "department": "", "active": "y"})
    assert response.status_code == 409
    assert "your own admin rights" in response.get_data(as_text=True)
    assert client.get("/admin/users").status_code == 200


def test_bad_admin_input_is_explained_and_kept(
    client: FlaskClient, signed_in: Callable[..., User]
) -> None:
    signed_in(Role.ADMIN)
    duplicate = client.post("/admin/users", data={"email": "nope", "name": "Typed name",
                                                  "role": "employee", "department": ""})
    assert duplicate.status_code == 422
    html = duplicate.get_data(as_text=True)
    assert "valid e-mail address" in html and 'value="Typed name"' in html
    bad_role = client.post("/admin/users", data={"email": "a@example.org", "role": "king",
                                                 "department": ""})
    assert bad_role.status_code == 422
    assert client.post("/admin/departments", data={"name": "Ops"}).status_code == 302
    again = client.post("/admin/departments", data={"name": "ops"})
    assert again.status_code == 409 and "exists" in again.get_data(as_text=True)
    topic = client.post("/admin/topics", data={"slug": "Not OK", "name": "Typed topic"})
    assert topic.status_code == 422 and 'value="Typed topic"' in topic.get_data(as_text=True)
    assert client.get("/admin/users/999999").status_code == 404


def test_a_new_topic_appears_in_the_story_form(
    client: FlaskClient, signed_in: Callable[..., User], make_user: Callable[..., User]
) -> None:
    signed_in(Role.ADMIN)
    assert client.post("/admin/topics", data={"slug": "open-day",
                                              "name": "Open day"}).status_code == 302
    client.post("/logout")
    login(client, make_user())
    assert "Open day" in client.get("/stories/new").get_data(as_text=True)
