"""Jira tickets (REST v2): the seed's "create a JIRA ticket" for P2/P3 work.

`POST {base}/rest/api/2/issue` with basic auth `email:api_token` and
`{"fields": {"project": {"key"}, "summary", "description", "issuetype": {"name"},
"priority": {"name"}}}`; Jira answers `201 {"id", "key", "self"}`. The message's
address is the project key (an audience channel `jira:OPS`).
"""

from __future__ import annotations

from firebell.channels import _http
from firebell.channels.base import DeliveryError, Outgoing

DEFAULT_ISSUE_TYPE = "Task"
# The seed: P2 tickets are Medium, P3 Low; P0/P1 rarely go to a ticket first.
PRIORITIES = {"P0": "Highest", "P1": "High", "P2": "Medium", "P3": "Low"}


class JiraChannel:
    method = "jira"

    def __init__(self, base_url: str, email: str, api_token: str, timeout: float = 10.0) -> None:
        if not (base_url and email and api_token):
            raise ValueError("Jira needs a base URL, an account email and an API token")
        self.base_url = base_url.rstrip("/")
        self._auth = (email, api_token)
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"JiraChannel(base_url={self.base_url!r})"

    def send(self, message: Outgoing) -> None:
        project = message.address.strip()
        if not project:
            raise DeliveryError("no Jira project key", transient=False)
        severity = str(message.payload.get("severity", ""))
        fields: dict[str, object] = {
            "project": {"key": project},
            "summary": " ".join(message.subject.split())[:255],
            "description": message.body,
            "issuetype": {"name": str(message.payload.get("issuetype", DEFAULT_ISSUE_TYPE))},
        }
        if severity in PRIORITIES:
            fields["priority"] = {"name": PRIORITIES[severity]}
        _http.post(
            f"{self.base_url}/rest/api/2/issue",
            timeout=self.timeout,
            auth=self._auth,
            secrets=[self._auth[1]],
            json_body={"fields": fields},
        )
