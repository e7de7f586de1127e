"""The CLI's HTTP client: finds the server and token, turns failures into one clear line."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from firebell.home import default_home
from firebell.store.private_files import private_dir

CREDENTIALS_FILE = "cli.json"


class CliError(Exception):
    """A failure to print as one line, with the exit code to use; `problem` is the
    server's problem document when there was one (printed as is under --json)."""

    def __init__(self, message: str, code: int = 1, problem: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.problem = problem

    def as_json(self) -> dict[str, Any]:
        """The error for scripts: the server's problem+json, or one in the same shape."""
        if isinstance(self.problem, dict):
            return {**self.problem, "error": str(self)}
        return {"error": str(self), "status": None, "detail": str(self), "errors": []}


def save_credentials(home: Path, url: str, token: str) -> Path:
    """Written once on first start (mode 0600) so the CLI on this machine works at once,
    like a kubeconfig; FIREBELL_URL and FIREBELL_TOKEN take precedence."""
    path = home / CREDENTIALS_FILE
    private_dir(home)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left by an older version may be wider
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url, "token": token}, handle)
    return path


def _saved() -> dict[str, str]:
    path = default_home() / CREDENTIALS_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class Client:
    url: str
    token: str | None

    @classmethod
    def from_env(cls) -> Client:
        saved = _saved()
        url = os.environ.get("FIREBELL_URL") or saved.get("url") or "http://127.0.0.1:8080"
        token = os.environ.get("FIREBELL_TOKEN") or saved.get("token")
        return cls(url.rstrip("/"), token)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    def request_text(self, method: str, path: str, **kwargs: Any) -> str:
        return self._send(method, path, **kwargs).text

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if not self.token:
            raise CliError(
                "no API token: set FIREBELL_TOKEN (printed by the first `firebell serve`, "
                "or made with `firebell token create`)",
                2,
            )
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            # Plain HTTP needs no certificates: skip loading the CA bundle (tens of ms).
            verify = self.url.startswith("https:")
            response = httpx.request(
                method, self.url + path, headers=headers, timeout=15.0, verify=verify, **kwargs
            )
        except httpx.TransportError as exc:
            raise CliError(
                f"cannot reach firebell at {self.url} ({type(exc).__name__}: {exc}); "
                "is `firebell serve` running? FIREBELL_URL sets the address",
                2,
            ) from None
        if response.status_code >= 400:
            raise CliError(_describe(response), 1, _problem(response))
        return response


def _problem(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:200], "errors": []}


def _describe(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 401:
        return f"the server refused the token: {detail}; check FIREBELL_TOKEN"
    return f"HTTP {response.status_code}: {detail or body}"
