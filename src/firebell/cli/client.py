"""The CLI's HTTP client: finds the server and token, turns failures into one clear line."""

from __future__ import annotations

import json as _json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

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
        _json.dump({"url": url, "token": token}, handle)
    return path


def _saved() -> dict[str, str]:
    path = default_home() / CREDENTIALS_FILE
    try:
        data = _json.loads(path.read_text())
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
        """`json=` (a JSON body), `content=` (raw bytes) and `params=` (the query)."""
        response = self._send(method, path, **kwargs)
        return response.json() if response.content else None

    def request_text(self, method: str, path: str, **kwargs: Any) -> str:
        return self._send(method, path, **kwargs).text

    def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        params: Params | None = None,
    ) -> Response:
        if not self.token:
            raise CliError(
                "no API token: set FIREBELL_TOKEN (printed by the first `firebell serve`, "
                "or made with `firebell token create`)",
                2,
            )
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "*/*"}
        try:
            response = _http(method, self.url + path, headers, json, content, params)
        except (OSError, HTTPException) as exc:
            raise CliError(
                f"cannot reach firebell at {self.url} ({_error_name(exc)}: {exc}); "
                "is `firebell serve` running? FIREBELL_URL sets the address",
                2,
            ) from None
        if response.status_code >= 400:
            raise CliError(_describe(response), 1, _problem(response))
        return response


@dataclass(frozen=True)
class Response:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return _json.loads(self.content)


TIMEOUT = 15.0
# The query, as httpx took it: a mapping (a list value repeats its key) or (key, value) pairs.
Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


def _http(
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any,
    content: bytes | None,
    params: Params | None,
) -> Response:
    """One request with the standard library's http.client: the CLI makes one or two
    requests per run, and importing an HTTP client library (httpx: a third of the CLI's
    start-up) cost more than the requests themselves."""
    from http.client import HTTPConnection, HTTPSConnection
    from urllib.parse import urlencode, urlsplit

    parts = urlsplit(url)
    target = parts.path or "/"
    query = [parts.query] if parts.query else []
    if params:
        items = params.items() if isinstance(params, Mapping) else params
        pairs = [
            (key, _primitive(v))
            for key, value in items
            for v in (value if isinstance(value, list | tuple) else [value])
        ]
        query.append(urlencode(pairs))
    if query:
        target += "?" + "&".join(query)
    data = content
    if body is not None:
        data = _json.dumps(body).encode()
        headers = {**headers, "Content-Type": "application/json"}
    host = parts.hostname or "127.0.0.1"
    connection: HTTPConnection
    if parts.scheme == "https":
        connection = HTTPSConnection(host, parts.port, timeout=TIMEOUT, context=_tls_context())
    else:  # plain HTTP needs no certificates: no CA bundle loaded (tens of ms)
        connection = HTTPConnection(host, parts.port, timeout=TIMEOUT)
    try:
        connection.request(method, target, body=data, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, answer.read())
    finally:
        connection.close()


def _primitive(value: Any) -> str:
    """A query value written as httpx wrote it: true/false, empty for None."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _tls_context() -> Any:
    """Certificates checked as httpx did: SSL_CERT_FILE / SSL_CERT_DIR if set, else
    certifi's bundle (else the system's)."""
    import ssl

    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile is None and capath is None:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:  # pragma: no cover - certifi comes with httpx
            pass
    return ssl.create_default_context(cafile=cafile, capath=capath)


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "ConnectError"
    if isinstance(exc, TimeoutError):
        return "Timeout"
    return type(exc).__name__


def _problem(response: Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.text[:200], "errors": []}


def _describe(response: Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    detail = body.get("detail") if isinstance(body, dict) else None
    if response.status_code == 401:
        return f"the server refused the token: {detail}; check FIREBELL_TOKEN"
    return f"HTTP {response.status_code}: {detail or body}"
