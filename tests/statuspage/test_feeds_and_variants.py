"""Feeds parse as Atom and RSS with the public incidents, newest first; customers never
receive an internal variant."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from fastapi.testclient import TestClient

from firebell.clock import FrozenClock
from firebell.comms.destinations import variant_for
from statuspage._support import H, declare, publish

ATOM = "{http://www.w3.org/2005/Atom}"


def test_customers_never_get_an_internal_variant() -> None:
    assert variant_for("customer_email", ["internal", "status_page"]) is None
    assert variant_for("status_page", ["internal"]) is None
    assert variant_for("customer_email", ["internal", "customer_email"]) == "customer_email"
    assert variant_for("ops@example.com", ["internal", "customer_email"]) == "internal"


def test_atom_and_rss_list_public_incidents_newest_first(
    status_client: TestClient, responder: H, clock: FrozenClock
) -> None:
    first = declare(status_client, responder, title="First outage")
    publish(status_client, responder, first)
    clock.advance(timedelta(minutes=10))
    second = declare(status_client, responder, title="Second outage", service="database")
    publish(status_client, responder, second)

    atom = status_client.get("/history.atom")
    assert atom.status_code == 200
    assert atom.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    entries = root.findall(f"{ATOM}entry")
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert set(titles) == {"First outage", "Second outage"}
    assert titles == ["Second outage", "First outage"]
    assert (entries[0].findtext(f"{ATOM}id") or "").endswith(f"#incident-{second}")
    body = entries[0].findtext(f"{ATOM}content") or ""
    assert "Investigating" in body

    rss = status_client.get("/history.rss")
    assert rss.headers["content-type"].startswith("application/rss+xml")
    items = ET.fromstring(rss.content).findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Second outage", "First outage"]
    assert all(i.findtext("link", "").startswith("https://") for i in items)
    etag = rss.headers["etag"]
    assert status_client.get("/history.rss", headers={"If-None-Match": etag}).status_code == 304
