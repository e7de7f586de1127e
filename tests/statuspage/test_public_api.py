"""The public page through the real app on SQLite and PostgreSQL: Statuspage's JSON shapes
field by field, the snapshot with ETag/304, overrides on the timeline, and what must never
appear (private incidents, drills, incidents without a public update)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from firebell.runtime import Runtime
from statuspage._support import H, declare, publish

# The field names of Statuspage's documented public API v2
# (developer.statuspage.io, "Status API"; mirrored in docs FORMATS.md).
PAGE_FIELDS = {"id", "name", "url", "time_zone", "updated_at"}
STATUS_FIELDS = {"indicator", "description"}
COMPONENT_FIELDS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_FIELDS = {
    "id",
    "name",
    "status",
    "impact",
    "created_at",
    "updated_at",
    "started_at",
    "monitoring_at",
    "resolved_at",
    "shortlink",
    "page_id",
    "incident_updates",
    "components",
}
UPDATE_FIELDS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
}
AFFECTED_FIELDS = {"code", "name", "old_status", "new_status"}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
DOCS = {
    "summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "status.json": {"page", "status"},
    "components.json": {"page", "components"},
    "incidents.json": {"page", "incidents"},
    "incidents/unresolved.json": {"page", "incidents"},
    "scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


def get(client: TestClient, doc: str) -> Any:
    r = client.get(f"/api/v2/{doc}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    return r.json()


def check_incident(item: dict[str, Any]) -> None:
    assert set(item) == INCIDENT_FIELDS
    assert item["status"] in {"investigating", "identified", "monitoring", "resolved", "postmortem"}
    assert item["impact"] in {"none", "minor", "major", "critical"}
    assert isinstance(item["id"], str)
    for update in item["incident_updates"]:
        assert set(update) == UPDATE_FIELDS
        assert update["incident_id"] == item["id"]
        for affected in update["affected_components"] or []:
            assert set(affected) == AFFECTED_FIELDS
            assert {affected["old_status"], affected["new_status"]} <= COMPONENT_STATUSES
    for component in item["components"]:
        assert set(component) == COMPONENT_FIELDS


def test_every_document_has_statuspage_fields_when_all_is_well(
    status_client: TestClient,
) -> None:
    for doc, keys in DOCS.items():
        body = get(status_client, doc)
        assert set(body) == keys, doc
        assert set(body["page"]) == PAGE_FIELDS
    status = get(status_client, "status.json")["status"]
    assert set(status) == STATUS_FIELDS
    assert status == {"indicator": "none", "description": "All Systems Operational"}
    components = get(status_client, "components.json")["components"]
    groups = [c for c in components if c["group"]]
    members = [c for c in components if not c["group"]]
    assert {g["id"] for g in groups} == {"core", "integrations"}
    for group in groups:
        assert set(group) == COMPONENT_FIELDS | {"components"}
        assert all(m in {c["id"] for c in members} for m in group["components"])
    for component in members:
        assert set(component) == COMPONENT_FIELDS
        assert component["status"] == "operational"
    assert [c["position"] for c in components] == list(range(1, len(components) + 1))


def test_a_published_incident_sets_components_and_indicator(
    status_client: TestClient, responder: H
) -> None:
    number = declare(status_client, responder, severity="P0", service="database")
    # declared but nothing said publicly yet: not on the page
    assert get(status_client, "incidents.json")["incidents"] == []
    publish(status_client, responder, number)
    summary = get(status_client, "summary.json")
    assert summary["status"] == {"indicator": "critical", "description": "Major Service Outage"}
    by_id = {c["id"]: c for c in summary["components"]}
    assert by_id["database"]["status"] == "major_outage"
    assert by_id["core"]["status"] == "major_outage"  # a group shows its worst member
    assert by_id["api-gateway"]["status"] == "operational"
    [item] = summary["incidents"]
    check_incident(item)
    assert item["id"] == str(number) and item["impact"] == "critical"
    assert item["status"] == "investigating"
    [update] = item["incident_updates"]
    assert update["status"] == "investigating"
    assert update["affected_components"] == [
        {
            "code": "database",
            "name": "Database",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert get(status_client, "incidents/unresolved.json")["incidents"][0]["id"] == str(number)

    # resolved with the resolution template: off unresolved, kept in history
    r = status_client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=responder)
    assert r.status_code == 200, r.text
    publish(status_client, responder, number, "resolution")
    assert get(status_client, "incidents/unresolved.json")["incidents"] == []
    [done] = get(status_client, "incidents.json")["incidents"]
    check_incident(done)
    assert done["status"] == "resolved" and done["resolved_at"] is not None
    assert [u["status"] for u in done["incident_updates"]] == ["resolved", "investigating"]
    assert done["incident_updates"][0]["affected_components"][0]["new_status"] == "operational"
    assert get(status_client, "status.json")["status"]["indicator"] == "none"


def test_override_is_on_the_timeline_and_on_the_page(
    status_client: TestClient, responder: H, viewer: H
) -> None:
    number = declare(status_client, responder)
    publish(status_client, responder, number)
    url = f"/api/v1/incidents/{number}/components"
    r = status_client.post(
        url, json={"component": "consensus", "status": "degraded_performance"}, headers=viewer
    )
    assert r.status_code == 403
    bad = status_client.post(
        url, json={"component": "nope", "status": "major_outage"}, headers=responder
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "component"
    bad = status_client.post(
        url, json={"component": "consensus", "status": "broken"}, headers=responder
    )
    assert bad.status_code == 422
    for component, status in (
        ("consensus", "degraded_performance"),
        ("api-gateway", "operational"),
    ):
        r = status_client.post(
            url, json={"component": component, "status": status}, headers=responder
        )
        assert r.status_code == 200, r.text
    by_id = {c["id"]: c["status"] for c in get(status_client, "components.json")["components"]}
    assert by_id["consensus"] == "degraded_performance"
    assert by_id["api-gateway"] == "operational"  # the responder took it out
    events = status_client.get(f"/api/v1/incidents/{number}/timeline", headers=responder).json()
    changes = [e["details"] for e in events["events"] if e["kind"] == "component_status_set"]
    assert changes == [
        {"component": "consensus", "status": "degraded_performance"},
        {"component": "api-gateway", "status": "operational"},
    ]


def test_private_drill_and_unpublished_incidents_appear_nowhere(
    status_client: TestClient, responder: H, admin: H
) -> None:
    private = declare(status_client, admin, title="Credential leak SECRETWORD", private=True)
    status_client.post(
        f"/api/v1/incidents/{private}/disclosures",
        json={"audience": "customers", "reason": "legal said yes"},
        headers=admin,
    )
    publish(status_client, admin, private)  # even with an approved public update
    drill = declare(status_client, responder, title="Practice DRILLWORD", drill=True)
    publish(status_client, responder, drill)
    declare(status_client, responder, title="Unannounced QUIETWORD")
    surfaces = [f"/api/v2/{doc}" for doc in DOCS] + ["/status", "/history.atom", "/history.rss"]
    for path in surfaces:
        text = status_client.get(path).text
        for word in ("SECRETWORD", "DRILLWORD", "QUIETWORD"):
            assert word not in text, (path, word)
    assert get(status_client, "status.json")["status"]["indicator"] == "none"


def test_etag_cache_control_304_and_rebuild_on_change(
    status_client: TestClient, responder: H, runtime: Runtime
) -> None:
    first = status_client.get("/api/v2/summary.json")
    etag = first.headers["etag"]
    assert first.headers["cache-control"].startswith("public, max-age=")
    builds = runtime.status_page.snapshots.builds
    again = status_client.get("/api/v2/summary.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    html = status_client.get("/status")
    assert (
        status_client.get("/status", headers={"If-None-Match": html.headers["etag"]}).status_code
        == 304
    )
    assert runtime.status_page.snapshots.builds == builds  # nothing changed: no rebuild
    number = declare(status_client, responder)
    publish(status_client, responder, number)
    changed = status_client.get("/api/v2/summary.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert runtime.status_page.snapshots.builds > builds


def test_snapshot_is_not_rebuilt_per_request(runtime: Runtime) -> None:
    snapshots = runtime.status_page.snapshots
    snapshots.check_every = 3600.0
    assert snapshots.get("/api/v2/status.json") is not None
    checks_before = snapshots.builds
    for _ in range(50):
        assert snapshots.fresh()
        assert snapshots.cached("/status") is not None
    assert snapshots.builds == checks_before


def test_status_page_on_its_own_host_name(runtime: Runtime, responder: H) -> None:
    from firebell.api.app import create_app
    from firebell.playbook.loader import LoadedPlaybook

    loaded = runtime.playbook
    page = loaded.playbook.status_page.model_copy(update={"host": "status.example.com"})
    runtime.playbook = LoadedPlaybook(
        **{**loaded.__dict__, "playbook": loaded.playbook.model_copy(update={"status_page": page})}
    )
    with TestClient(create_app(runtime)) as client:
        on_host = client.get("/", headers={"Host": "status.example.com"})
        assert on_host.status_code == 200
        assert "All Systems Operational" in on_host.text
        elsewhere = client.get("/", headers={"Host": "firebell.internal.example"})
        assert "All Systems Operational" not in elsewhere.text


def test_public_only_process_serves_the_page_and_nothing_else(
    runtime: Runtime, status_client: TestClient, responder: H
) -> None:
    from firebell.statuspage.public import create_public_app

    number = declare(status_client, responder, title="Seen from the public process")
    publish(status_client, responder, number)
    with TestClient(create_public_app(runtime)) as public:
        assert "Seen from the public process" in public.get("/status").text
        assert public.get("/api/v2/summary.json").json()["status"]["indicator"] == "major"
        assert public.get("/api/v1/incidents", headers=responder).status_code == 404
        assert public.get("/docs").status_code == 404
        r = public.post("/status/subscribe", data={"email": "x@example.com"})
        assert r.status_code == 200 and "Check your inbox" in r.text
