"""Post-mortems (and other Markdown documents) out as Markdown, HTML and PDF.

Markdown is rendered with raw HTML disabled, so whatever an author types cannot inject
markup; the page around it is a Jinja2 template with autoescape. The PDF is WeasyPrint
(the `pdf` extra) with a URL fetcher that refuses every URL: a document never reaches
out to the network while it is printed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from firebell.errors import Invalid
from firebell.postmortems.draft import cell
from firebell.postmortems.models import ActionItem, Postmortem
from firebell.store.models import Incident

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
CSS = (Path(__file__).with_name("templates") / "document.css").read_text()


def markdown_html(text: str) -> Markup:
    """Raw HTML is off, so the output is markup we made with the text escaped. A wide table
    scrolls sideways on a phone, so it takes keyboard focus (tabindex) to scroll it too."""
    html = _md.render(text).replace("<table>", '<table tabindex="0">')
    return Markup(html)


def postmortem_markdown(incident: Incident, pm: Postmortem, items: list[ActionItem]) -> str:
    """The author's text, then what firebell tracks beside it: action items, sign-offs
    and the review meeting."""
    lines = [pm.body.rstrip(), "", "---", "", "## Tracked in firebell", ""]
    lines += [f"- **State:** {pm.state}", f"- **Author:** {pm.author}"]
    if pm.due_at:
        lines.append(f"- **Due:** {pm.due_at:%Y-%m-%d %H:%M} UTC")
    if pm.published_at:
        lines.append(f"- **Published:** {pm.published_at:%Y-%m-%d %H:%M} UTC")
    lines += ["", "### Sign-off", ""]
    for reviewer in pm.reviewers:
        signed = pm.signoffs.get(reviewer)
        mark = (
            f"[x] {reviewer}: {signed['by']} on {signed['at'][:10]}"
            if signed
            else (f"[ ] {reviewer}")
        )
        lines.append(f"- {mark}")
    if not pm.reviewers:
        lines.append("- no reviewers required")
    lines += ["", "### Action items", ""]
    if items:
        lines += [
            "| # | Type | Action | Owner | Due | Priority | Status |",
            "|---|------|--------|-------|-----|----------|--------|",
        ]
        for item in items:
            due = f"{item.due_at:%Y-%m-%d}" if item.due_at else "-"
            lines.append(
                f"| {item.id} | {item.category} | {cell(item.title)} | @{cell(item.owner)} "
                f"| {due} | {item.priority} | {item.status} |"
            )
    else:
        lines.append("none yet")
    if pm.meeting_at:
        lines += [
            "",
            "### Review meeting",
            "",
            f"- **When:** {pm.meeting_at:%Y-%m-%d %H:%M} UTC ({pm.meeting_minutes} min)",
            f"- **Invited:** {', '.join(pm.meeting_invitees) or '-'}",
            f"- **Attended:** {', '.join(pm.meeting_attended) or '-'}",
        ]
        if pm.meeting_notes:
            lines += ["", pm.meeting_notes]
    return "\n".join(lines) + "\n"


def html_document(title: str, markdown: str, generated: datetime) -> str:
    return html_page(title, markdown_html(markdown), generated)


def html_page(title: str, content: Markup, generated: datetime) -> str:
    """A standalone page: the content, the inline stylesheet, nothing loaded from outside."""
    template = _templates.get_template("document.html")
    return template.render(title=title, content=content, css=Markup(CSS), generated=generated)


def _refuse(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"documents load nothing from outside: {url}")


def pdf_document(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except ImportError:  # pragma: no cover - depends on the installation
        raise Invalid.field(
            "format", "PDF export needs the 'pdf' extra: pip install 'firebell[pdf]'"
        ) from None
    data: bytes = HTML(string=html, url_fetcher=_refuse).write_pdf()
    return data
