"""`firebell doctor`: pure checks on playbooks, live probes against local servers, and
the command on a fresh and on a healthy installation."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr
from typer.testing import CliRunner

from firebell.channels.email import SmtpSettings
from firebell.channels.registry import SlackApiSettings, TwilioSettings
from firebell.cli.main import app
from firebell.doctor import checks, probes
from firebell.doctor.findings import Level, worst
from firebell.doctor.startup import print_startup_findings
from firebell.playbook.loader import load_playbook
from firebell.runtime import Runtime
from tests.paging._support import SmtpReceiver, free_port

runner = CliRunner()


def levels(findings: list[checks.Finding]) -> set[Level]:
    return {f.level for f in findings}


# --- pure checks on the default playbook -----------------------------------------------


def test_the_default_playbook_is_full_of_placeholders() -> None:
    pb = load_playbook(None).playbook
    [contacts] = checks.people_without_contact(pb, {"email", "sms"})
    assert contacts.level == Level.WARNING
    assert f"{len(pb.people)} example people cannot be paged" in contacts.message
    real = pb.people[0].model_copy(update={"example": False, "email": None, "phone": None})
    pb2 = pb.model_copy(update={"people": [real]})
    [unreachable] = checks.people_without_contact(pb2, {"email"})
    assert unreachable.message.startswith(f"{real.id} (") and "email" in unreachable.fix
    levels_found = checks.unreachable_levels(pb, {"email"})
    assert levels_found and all(f.level == Level.ERROR for f in levels_found)
    assert any("level 1" in f.message for f in levels_found)
    [examples] = checks.example_contacts(pb)
    assert examples.level == Level.WARNING and "people: primary-engineer-1" in examples.message
    assert "ops@example.com" in examples.message or "more" in examples.message


def test_a_real_person_on_a_configured_channel_is_reachable() -> None:
    pb = load_playbook(None).playbook
    real = pb.people[0].model_copy(update={"example": False, "email": "ana@acme.io"})
    pb = pb.model_copy(update={"people": [real, *pb.people[1:]]})
    assert checks.reachable_methods(real, pb, {"email"}) == ["email"]
    assert checks.reachable_methods(real, pb, {"sms"}) == []  # phone is 555-01xx
    # level 1 pages the primary schedule, which has this person: it can be received now
    findings = checks.unreachable_levels(pb, {"email"})
    assert not any("level 1 " in f.message for f in findings)


def test_channels_integrations_clock_and_database() -> None:
    assert levels(checks.channels_configured({"webhook", "slack"})) == {Level.ERROR}
    assert levels(checks.channels_configured({"email"})) == {Level.OK}
    pb = load_playbook(None).playbook
    some = {pb.integrations[0].id}
    [silent] = checks.silent_integrations(pb, some)
    assert silent.level == Level.WARNING and pb.integrations[0].id not in silent.message
    everyone = {i.id for i in pb.integrations}
    assert levels(checks.silent_integrations(pb, everyone)) == {Level.OK}
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    assert levels(checks.clock_skew(now, now + timedelta(seconds=2), "db")) == {Level.OK}
    [late] = checks.clock_skew(now, now + timedelta(seconds=90), "db")
    assert late.level == Level.ERROR and "90 s" in late.message
    assert levels(checks.database(True, "ok", "0006", "0006")) == {Level.OK}
    assert levels(checks.database(True, "ok", "0005", "0006")) == {Level.WARNING}
    assert levels(checks.database(False, "down", None, "0006")) == {Level.ERROR}
    assert worst([*checks.database(True, "ok", "0005", "0006")]) == Level.WARNING


# --- live probes against local servers ---------------------------------------------------


class _Auth:
    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and data.login == b"ops" and data.password == b"s3cret"
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_with_login() -> Iterator[int]:
    port = free_port()
    controller = Controller(
        object(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_Auth(),
        auth_require_tls=False,
    )
    controller.start()
    yield port
    controller.stop()


def test_smtp_probe_logs_in(smtp_with_login: int) -> None:
    good = SmtpSettings(port=smtp_with_login, username="ops", password="s3cret")
    assert probes.smtp(good) is None
    bad = SmtpSettings(port=smtp_with_login, username="ops", password="wrong")
    problem = probes.smtp(bad)
    assert problem is not None and "login refused" in problem and "wrong" not in problem
    nobody = probes.smtp(SmtpSettings(port=free_port()))
    assert nobody is not None and "cannot talk to" in nobody


class Recorder:
    def __init__(self, answers: dict[str, tuple[int, dict[str, Any]]]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str, dict[str, str]]] = []


@pytest.fixture
def api_server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder({})

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            recorder.requests.append((self.command, self.path, dict(self.headers)))
            status, body = recorder.answers.get(self.path, (404, {}))
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", recorder
    server.shutdown()
    server.server_close()


def test_slack_probe_calls_auth_test(api_server: tuple[str, Recorder]) -> None:
    url, recorder = api_server
    settings = SlackApiSettings(base_url=url, bot_token=SecretStr("xoxb-good"))
    recorder.answers["/api/auth.test"] = (200, {"ok": True, "team": "acme"})
    assert probes.slack(settings) is None
    method, path, headers = recorder.requests[-1]
    assert (method, path) == ("POST", "/api/auth.test")
    assert headers["Authorization"] == "Bearer xoxb-good"
    recorder.answers["/api/auth.test"] = (200, {"ok": False, "error": "invalid_auth"})
    problem = probes.slack(settings)
    assert problem is not None and "invalid_auth" in problem and "xoxb" not in problem


def test_twilio_probe_fetches_the_account(api_server: tuple[str, Recorder]) -> None:
    url, recorder = api_server
    settings = TwilioSettings(
        base_url=url, account_sid="AC123", auth_token=SecretStr("tw-secret"), from_number="+1"
    )
    path = "/2010-04-01/Accounts/AC123.json"
    recorder.answers[path] = (200, {"sid": "AC123", "status": "active"})
    assert probes.twilio(settings) is None
    method, seen, headers = recorder.requests[-1]
    assert (method, seen) == ("GET", path)
    expected = base64.b64encode(b"AC123:tw-secret").decode()
    assert headers["Authorization"] == f"Basic {expected}"
    recorder.answers[path] = (401, {"code": 20003})
    problem = probes.twilio(settings)
    assert problem is not None and "refused" in problem and "tw-secret" not in problem


# --- the command ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_server(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIREBELL_PORT", str(free_port()))  # no server answers there


def test_doctor_on_a_fresh_install_says_what_to_fix(tmp_path: Path) -> None:
    result = runner.invoke(app, ["doctor", "--home", str(tmp_path), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["status"] == "error"
    by_check: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        by_check.setdefault(finding["check"], []).append(finding)
    assert by_check["channels"][0]["level"] == "error"
    assert by_check["examples"][0]["level"] == "warning"
    assert any(f["level"] == "error" for f in by_check["escalation"])
    assert by_check["database"][0]["level"] == "ok"
    assert by_check["server"][0]["level"] == "warning"
    assert by_check["clock"][0]["level"] == "ok"


def test_doctor_after_init_is_healthy(tmp_path: Path, smtp: SmtpReceiver) -> None:
    home = tmp_path / "home"
    init = runner.invoke(
        app,
        [
            "init",
            "--non-interactive",
            "--home",
            str(home),
            "--organisation",
            "Acme",
            "--name",
            "Ada",
            "--email",
            "ada@acme.io",
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            str(smtp.controller.port),
            "--no-test-page",
        ],
    )
    assert init.exit_code == 0, init.output
    result = runner.invoke(app, ["doctor", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "error" not in result.output.replace("doctor: warning", "")
    assert "channel:email: email: the service accepted firebell" in result.output
    assert "all 1 people can be paged" in result.output
    assert "never received an event" in result.output  # the seed's integrations


def test_serve_prints_the_same_warnings_at_start(
    runtime: Runtime, capsys: pytest.CaptureFixture[str]
) -> None:
    count = print_startup_findings(runtime)
    err = capsys.readouterr().err
    assert count >= 3
    assert "error: no channel can reach a person" in err
    assert "warning: 16 example people cannot be paged" in err
    assert "run `firebell doctor` for the full check" in err
