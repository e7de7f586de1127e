"""Subscribers end to end with a real SMTP server (aiosmtpd) and a real HTTP receiver:
double opt-in, one-click unsubscribe with List-Unsubscribe, per-component routing of the
seed's customer e-mails and maintenance notices, signed webhooks, CSV, and nothing about
private incidents."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import timedelta
from email.message import EmailMessage

from fastapi.testclient import TestClient
from paging._support import HttpReceiver, SmtpReceiver

from firebell.channels.email import EmailChannel
from firebell.runtime import Runtime
from statuspage._support import H, declare, publish

LINK = re.compile(r"https?://\S+/status/(confirm|unsubscribe)/(\d+)/([0-9a-f]+)")


def deliver(runtime: Runtime) -> None:
    for _ in range(5):  # bounded: every due message goes in one or two passes
        if not runtime.engine.run_once():
            return


def mails_to(smtp: SmtpReceiver, address: str) -> list[EmailMessage]:
    return [m for m in smtp.messages if m["To"] == address]


def text(message: EmailMessage) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


def path_of(link: str) -> str:
    match = LINK.search(link)
    assert match, link
    return "/status/{}/{}/{}".format(*match.groups())


def subscribe(
    client: TestClient, runtime: Runtime, smtp: SmtpReceiver, email: str, *components: str
) -> None:
    r = client.post("/status/subscribe", data={"email": email, "component": list(components)})
    assert r.status_code == 200, r.text
    assert "Check your inbox" in r.text
    deliver(runtime)
    [confirmation] = [m for m in mails_to(smtp, email) if "Confirm" in m["Subject"]][-1:]
    confirm = path_of(text(confirmation))
    assert "confirm" in confirm
    page = client.get(confirm)  # opening the link (a mail scanner would) changes nothing
    assert page.status_code == 200 and "<form" in page.text
    assert client.post(confirm).status_code == 200


def test_double_opt_in_routing_and_one_click_unsubscribe(
    status_client: TestClient, responder: H, admin: H, runtime: Runtime, smtp: SmtpReceiver
) -> None:
    runtime.channels["email"] = EmailChannel(smtp.settings)
    # an unconfirmed subscriber gets nothing
    status_client.post("/status/subscribe", data={"email": "lurk@example.test"})
    subscribe(status_client, runtime, smtp, "db-fan@example.test", "database")
    subscribe(status_client, runtime, smtp, "api-fan@example.test", "api-gateway")
    subscribe(status_client, runtime, smtp, "all@example.test")
    listed = status_client.get("/api/v1/subscribers", headers=responder)
    assert listed.status_code == 403  # personal data: admins only

    number = declare(status_client, responder, service="database")
    result = publish(status_client, responder, number)
    assert result["messages"] == 2  # db-fan and all; not api-fan, not the unconfirmed one
    deliver(runtime)
    [mail] = [m for m in mails_to(smtp, "db-fan@example.test") if "Service Impact" in m["Subject"]]
    assert "Dear Valued Customer" in text(mail)
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail["List-Unsubscribe"].strip("<>")
    assert path_of(unsubscribe) in text(mail)  # the same link in the body
    assert [m for m in mails_to(smtp, "all@example.test") if "Service Impact" in m["Subject"]]
    assert not [
        m for m in mails_to(smtp, "api-fan@example.test") if "Service Impact" in m["Subject"]
    ]
    assert not [m for m in mails_to(smtp, "lurk@example.test") if "Service Impact" in m["Subject"]]

    # RFC 8058 one-click: a POST with List-Unsubscribe=One-Click, no page in between
    r = status_client.post(path_of(unsubscribe), data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and "Unsubscribed" in r.text
    # re-importing an old list does not bring back someone who left
    r = status_client.post(
        "/api/v1/subscribers/import",
        content="kind,address,components\nemail,db-fan@example.test,database\n",
        headers=admin,
    )
    assert r.status_code == 200, r.text
    forged = path_of(unsubscribe)[:-4] + "0000"
    assert status_client.post(forged).status_code == 404

    status_client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=responder)
    publish(status_client, responder, number, "resolution")
    deliver(runtime)
    assert not [m for m in mails_to(smtp, "db-fan@example.test") if "Restored" in m["Subject"]]
    assert [m for m in mails_to(smtp, "all@example.test") if "Restored" in m["Subject"]]


def test_private_incidents_never_reach_subscribers(
    status_client: TestClient, admin: H, runtime: Runtime, smtp: SmtpReceiver
) -> None:
    runtime.channels["email"] = EmailChannel(smtp.settings)
    subscribe(status_client, runtime, smtp, "all@example.test")
    number = declare(status_client, admin, title="Key leak", private=True, service="api")
    status_client.post(
        f"/api/v1/incidents/{number}/disclosures",
        json={"audience": "customers", "reason": "approved"},
        headers=admin,
    )
    result = publish(status_client, admin, number)
    assert result["messages"] == 0
    assert any("never sent to subscribers" in s for s in result["skipped"])
    deliver(runtime)
    assert [m["Subject"] for m in mails_to(smtp, "all@example.test")] == [
        "Confirm your subscription to Aurigraph DLT status"
    ]


def test_leaky_customer_email_is_blocked_before_any_subscriber_message(
    status_client: TestClient, responder: H, admin: H, runtime: Runtime
) -> None:
    r = status_client.post("/api/v1/subscribers", json={"address": "c@example.test"}, headers=admin)
    assert r.status_code == 201, r.text
    number = declare(status_client, responder)
    status_client.post(
        f"/api/v1/incidents/{number}/facts",
        json={"facts": {"summary": "errors from api-7.prod.internal"}},
        headers=responder,
    )
    r = status_client.post(
        f"/api/v1/incidents/{number}/notify",
        json={"template": "initial", "audience": "customers"},
        headers=responder,
    )
    assert r.status_code == 409 and "'.internal'" in r.json()["detail"]
    from sqlalchemy import select

    from firebell.store.models import Message

    with runtime.sessions() as s:
        assert s.scalars(select(Message).where(Message.purpose == "subscriber")).all() == []


def test_webhook_subscribers_get_signed_json(
    status_client: TestClient, responder: H, admin: H, runtime: Runtime, receiver: HttpReceiver
) -> None:
    r = status_client.post(
        "/api/v1/subscribers",
        json={"kind": "webhook", "address": f"{receiver.url}/hook", "components": ["api-gateway"]},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    other = status_client.post(
        "/api/v1/subscribers",
        json={"kind": "webhook", "address": f"{receiver.url}/other"},
        headers=admin,
    ).json()["secret"]
    assert other != secret  # each receiver its own secret
    number = declare(status_client, responder, service="api")
    publish(status_client, responder, number)
    deliver(runtime)
    hits = {h.path: h for h in receiver.hits}
    hook = hits["/hook"]
    expected = hmac.new(
        secret.encode(),
        hook.headers["x-firebell-timestamp"].encode() + b"." + hook.body,
        hashlib.sha256,
    ).hexdigest()
    assert hook.headers["x-firebell-signature"] == f"sha256={expected}"
    event = hook.json
    assert event["type"] == "incident.initial"
    assert event["incident"]["id"] == str(number)
    assert event["incident"]["components"] == ["api-gateway"]
    assert "/other" in hits  # subscribed to everything


def test_maintenance_notices_go_to_subscribers_of_its_components(
    status_client: TestClient, responder: H, admin: H, runtime: Runtime, smtp: SmtpReceiver
) -> None:
    from tests.conftest import START

    runtime.channels["email"] = EmailChannel(smtp.settings)
    for address, components in (
        ("db@example.test", ["database"]),
        ("bridge@example.test", ["cross-chain-bridge"]),
    ):
        status_client.post(
            "/api/v1/subscribers",
            json={"address": address, "components": components},
            headers=admin,
        )
    r = status_client.post(
        "/api/v1/maintenances",
        headers=responder,
        json={
            "title": "Database upgrade",
            "components": ["database"],
            "starts_at": (START + timedelta(hours=3)).isoformat(),
            "ends_at": (START + timedelta(hours=4)).isoformat(),
        },
    )
    assert r.status_code == 201, r.text
    deliver(runtime)
    [notice] = mails_to(smtp, "db@example.test")
    assert notice["Subject"].startswith("[Aurigraph] Scheduled Maintenance")
    assert notice["List-Unsubscribe"]
    assert mails_to(smtp, "bridge@example.test") == []


def test_csv_export_import_and_remove(status_client: TestClient, admin: H) -> None:
    for address in ("a@example.test", "b@example.test"):
        status_client.post(
            "/api/v1/subscribers",
            json={"address": address, "components": ["database"]},
            headers=admin,
        )
    exported = status_client.get("/api/v1/subscribers.csv", headers=admin)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = exported.text.splitlines()
    assert lines[0] == "kind,address,components,status,created_at,confirmed_at"
    assert lines[1].startswith("email,a@example.test,database,active,")
    bad = "kind,address,components\nemail,c@example.test,\nemail,not-an-address,\n"
    r = status_client.post("/api/v1/subscribers/import", content=bad, headers=admin)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "csv line 3"
    listed = status_client.get("/api/v1/subscribers", headers=admin).json()["subscribers"]
    assert [s["address"] for s in listed] == ["a@example.test", "b@example.test"]  # all or nothing
    good = "kind,address,components\nemail,c@example.test,api-gateway database\nwebhook,https://hooks.example.com/x,\n"
    r = status_client.post("/api/v1/subscribers/import", content=good, headers=admin)
    assert r.json() == {"imported": 2}
    listed = status_client.get("/api/v1/subscribers", headers=admin).json()["subscribers"]
    assert {s["address"]: s["components"] for s in listed}["c@example.test"] == [
        "api-gateway",
        "database",
    ]
    first = listed[0]["id"]
    assert status_client.delete(f"/api/v1/subscribers/{first}", headers=admin).status_code == 204
    assert status_client.delete(f"/api/v1/subscribers/{first}", headers=admin).status_code == 404
    assert len(status_client.get("/api/v1/subscribers", headers=admin).json()["subscribers"]) == 3


def test_bad_subscription_form_says_why(status_client: TestClient) -> None:
    r = status_client.post("/status/subscribe", data={"email": "nope"})
    assert r.status_code == 422 and "not an e-mail address" in r.text
    r = status_client.post("/status/subscribe", data={"email": "x@ex.test", "component": "zzz"})
    assert r.status_code == 422 and "unknown component" in r.text
