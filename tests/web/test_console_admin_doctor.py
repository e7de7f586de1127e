"""The doctor's findings on the admin page: admins only, quick checks on each load, the
live probes on request (CSRF-protected)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from firebell.doctor.findings import Finding, Level
from firebell.runtime import Runtime
from firebell.web.doctor_report import report

from .support import csrf_of, make_user, sign_in


def test_findings_are_ordered_worst_first_and_counted() -> None:
    found = report(
        [
            Finding("database", Level.OK, "reachable"),
            Finding("contacts", Level.WARNING, "2 example people"),
            Finding("channels", Level.ERROR, "no channel"),
        ],
        live=False,
    )
    assert [f.level for f in found.findings] == [Level.ERROR, Level.WARNING, Level.OK]
    assert found.worst == Level.ERROR and found.counts == {"ok": 1, "warning": 1, "error": 1}


def test_admins_see_the_doctor_and_others_do_not(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "root", "admin")
    make_user(runtime, "alice", "responder")
    sign_in(app_client, "alice")
    refused = app_client.get("/console/admin")
    assert refused.status_code == 403 and "cannot be paged" not in refused.text
    token = csrf_of(app_client.get("/console/incidents").text)
    assert app_client.post("/console/admin/doctor", data={"csrf": token}).status_code == 403

    sign_in(app_client, "root")
    page = app_client.get("/console/admin").text
    doctor = page.split('id="doctor"', 1)[1].split("</section>", 1)[0]
    # The default playbook's placeholders: the doctor says so, with the fix.
    assert "example people cannot be paged" in doctor and "Fix: replace the example" in doctor
    assert "The quick checks" in doctor and "Run live checks" in doctor
    assert "sha256:" in page and "Playbook in force" in page

    token = csrf_of(page)
    missing = app_client.post("/console/admin/doctor", data={})
    assert missing.status_code == 403 and "Form expired" in missing.text
    live = app_client.post("/console/admin/doctor", data={"csrf": token})
    assert live.status_code == 200
    assert "live probes included" in live.text and "example people cannot be paged" in live.text
