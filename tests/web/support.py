"""Helpers for console tests: users with passwords, signing in, reading CSRF tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from firebell.runtime import Runtime
from firebell.web.accounts import SETUP_PATH, Accounts

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def accounts(runtime: Runtime) -> Accounts:
    return Accounts(
        runtime.sessions, runtime.clock, runtime.playbook.playbook, runtime.settings.base_url
    )


def make_user(
    runtime: Runtime, name: str, role: str, person: str | None = None, password: str = PASSWORD
) -> None:
    acc = accounts(runtime)
    _, link = acc.add(name, role, person)
    acc.set_password(link.split(SETUP_PATH, 1)[1], password)


def sign_in(client: TestClient, name: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/console/sign-in",
        data={"name": name, "password": password, "next": "/console/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/console/"


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF field on the page"
    return match.group(1)


def first_person(runtime: Runtime) -> str:
    return runtime.playbook.playbook.people[0].id
