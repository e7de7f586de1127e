"""Slack Web API with a bot token (`xoxb-…`): a small client and the `chat` channel.

Every call is `POST {base}/api/<method>` with `Authorization: Bearer <token>` and a JSON body.
Slack reports errors as HTTP 200 `{"ok": false, "error": "<code>"}`: those raise
`SlackApiError` (a `DeliveryError`), permanent except `ratelimited` and Slack's own
server-side codes (`internal_error`, `fatal_error`, `service_unavailable`,
`request_timeout`). HTTP 429 is transient and carries `Retry-After` (see `_http.RateLimited`).

Channel names are normalised (`normalise_channel_name`). `create_channel` is idempotent: when
Slack answers `name_taken` it looks the name up with `conversations.list` (public and
private channels the bot can see, archived ones excluded) and returns that channel's id; if
the name belongs to a channel it cannot see (an archived one, or a private one it is not in),
it raises `SlackApiError("name_taken")` saying so.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from firebell.channels import _http
from firebell.channels.base import DeliveryError, Outgoing
from firebell.channels.headers import one_line
from firebell.channels.slack_webhook import escape

DEFAULT_BASE_URL = "https://slack.com"
NAME_MAX = 80
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
LIST_PAGES_MAX = 50  # conversations.list pages (of 1000) searched for a taken name


class SlackApiError(DeliveryError):
    """Slack answered `ok: false`; `error` is its code, e.g. `channel_not_found`."""

    def __init__(self, method: str, error: str, *, transient: bool, detail: str = "") -> None:
        super().__init__(
            f"Slack {method}: {error}" + (f" ({detail})" if detail else ""), transient=transient
        )
        self.method = method
        self.error = error


def normalise_channel_name(name: str) -> str:
    """Slack's rules: lower case, no spaces or periods, at most 80 characters, no leading `#`.

    Runs of anything but letters, digits, `_` and `-` become one `-`; leading and trailing
    `-` are dropped. `"#INC-42: Checkout.down"` becomes `"inc-42-checkout-down"`. Raises
    ValueError when nothing usable is left.
    """
    cleaned = name.strip().lstrip("#").lower()
    cleaned = re.sub(r"[^\w-]+", "-", cleaned)
    cleaned = re.sub(r"-{2,}", "-", cleaned).strip("-")
    cleaned = cleaned[:NAME_MAX].rstrip("-")
    if not cleaned:
        raise ValueError(f"not a usable Slack channel name: {name!r}")
    return cleaned


class SlackApi:
    def __init__(
        self, bot_token: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 10.0
    ) -> None:
        if not bot_token:
            raise ValueError("a Slack bot token is required")
        self._token = bot_token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SlackApi(base_url={self.base_url!r})"

    def call(self, method: str, body: dict[str, Any], *, form: bool = False) -> dict[str, Any]:
        """One Web API call: the decoded answer when `ok`, else SlackApiError/DeliveryError.

        JSON body by default; `form=True` sends it form-encoded (what Slack's read methods,
        such as `conversations.list`, expect)."""
        url = f"{self.base_url}/api/{method}"
        headers = {"Authorization": f"Bearer {self._token}"}
        if form:
            response = _http.post(
                url,
                timeout=self.timeout,
                secrets=[self._token],
                headers=headers,
                form={k: str(v) for k, v in body.items()},
            )
        else:
            response = _http.post(
                url,
                timeout=self.timeout,
                secrets=[self._token],
                headers={**headers, "Content-Type": "application/json; charset=utf-8"},
                json_body=body,
            )
        return self._answer(method, response)

    def _answer(self, method: str, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except (ValueError, UnicodeDecodeError):
            raise DeliveryError(
                f"Slack {method}: HTTP {response.status_code} answer is not JSON", transient=True
            ) from None
        if not isinstance(data, dict):
            raise DeliveryError(f"Slack {method}: unexpected answer", transient=True)
        if data.get("ok") is True:
            return data
        error = str(data.get("error") or "unknown_error")
        if error == "ratelimited":
            wait = _http.retry_after(response)
            hint = f" (retry after {wait:g}s)" if wait is not None else ""
            raise _http.RateLimited(f"Slack {method}: ratelimited{hint}", wait)
        raise SlackApiError(method, error, transient=error in TRANSIENT_ERRORS)

    # --- methods ----------------------------------------------------------------------------

    def post_message(
        self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> str:
        """chat.postMessage to a channel id or name, or a user id (the bot's DM): the `ts`."""
        body: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            body["blocks"] = blocks
        data = self.call("chat.postMessage", body)
        return str(data.get("ts", ""))

    def create_channel(self, name: str, is_private: bool = False) -> str:
        """conversations.create with the normalised name: the channel id (see module doc
        for `name_taken`)."""
        normalised = normalise_channel_name(name)
        try:
            data = self.call("conversations.create", {"name": normalised, "is_private": is_private})
        except SlackApiError as exc:
            if exc.error != "name_taken":
                raise
            found = self.find_channel(normalised)
            if found is None:
                raise SlackApiError(
                    "conversations.create",
                    "name_taken",
                    transient=False,
                    detail=f"#{normalised} exists but is archived or not visible to the bot",
                ) from None
            return found
        return str(data["channel"]["id"])

    def find_channel(self, name: str) -> str | None:
        """The id of the unarchived channel called `name` the bot can see, or None."""
        wanted = normalise_channel_name(name)
        cursor = ""
        for _ in range(LIST_PAGES_MAX):
            body: dict[str, Any] = {
                "types": "public_channel,private_channel",
                "exclude_archived": "true",
                "limit": 1000,
            }
            if cursor:
                body["cursor"] = cursor
            data = self.call("conversations.list", body, form=True)
            for channel in data.get("channels") or []:
                if isinstance(channel, dict) and channel.get("name") == wanted:
                    return str(channel["id"])
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return None
        return None

    def set_topic(self, channel: str, topic: str) -> None:
        self.call("conversations.setTopic", {"channel": channel, "topic": one_line(topic, 250)})

    def invite(self, channel: str, user_ids: list[str]) -> None:
        """conversations.invite (`users` comma-joined). Inviting people already there is not
        an error: when Slack says `already_in_channel` for a group, each is invited alone."""
        if not user_ids:
            return
        try:
            self.call("conversations.invite", {"channel": channel, "users": ",".join(user_ids)})
        except SlackApiError as exc:
            if exc.error != "already_in_channel":
                raise
            if len(user_ids) > 1:
                for user in user_ids:
                    self.invite(channel, [user])


class SlackChatChannel:
    """Posts the message body (mrkdwn-escaped) to `message.address`: a channel id or name,
    or a user id (Slack delivers that in the bot's DM with the person)."""

    method = "chat"

    def __init__(self, api: SlackApi) -> None:
        self.api = api
        self.timeout = api.timeout

    def send(self, message: Outgoing) -> None:
        if message.payload.get("set_topic"):  # a war room's topic follows its commander
            self.api.set_topic(message.address, message.body)
            return
        self.api.post_message(message.address, escape(message.body or message.subject))
