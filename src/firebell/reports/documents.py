"""The monthly review written out: Markdown with SVG files beside it, one HTML page with
the charts inline, and PDF."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from firebell.postmortems.export import html_page, markdown_html, pdf_document
from firebell.reports.monthly import (
    MonthlyReview,
    charts,
    inline_charts,
    markdown,
    markdown_with_images,
    month_label,
)

CHART_FOLDER = "charts"


@dataclass(frozen=True)
class MonthlyDocuments:
    markdown: str  # links to CHART_FOLDER/<name>.svg
    html: str  # self-contained
    svgs: dict[str, str]

    def pdf(self) -> bytes:
        return pdf_document(self.html)


def monthly_documents(review: MonthlyReview) -> MonthlyDocuments:
    text = markdown(review)
    svgs = charts(review)
    body = inline_charts(str(markdown_html(text)), svgs)
    html = html_page(
        f"Monthly incident review: {month_label(review.month)}", Markup(body), review.generated_at
    )
    return MonthlyDocuments(markdown_with_images(text, CHART_FOLDER), html, svgs)
