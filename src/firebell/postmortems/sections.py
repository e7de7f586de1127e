"""A post-mortem's Markdown cut into sections at its level-2 headings, and put back
together (pure), so that the console can show one textarea per section.

`join([s.text for s in split(text)]) == text` for every text without carriage returns.
The first section holds what comes before the first ``## `` heading (title, header
fields), each other section starts with its heading line; headings inside fenced code
blocks do not cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^ {0,3}## ")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


@dataclass(frozen=True)
class Section:
    heading: str  # the heading's text ('' for the part before the first heading)
    text: str  # the section's whole text, its heading line included


def split(body: str) -> list[Section]:
    sections: list[Section] = []
    current: list[str] = []
    heading = ""
    fence: str | None = None
    for line in body.splitlines(keepends=True):
        marker = _FENCE.match(line)
        if marker:
            if fence is None:
                fence = marker.group(1)
            elif marker.group(1) == fence:
                fence = None
        elif fence is None and _HEADING.match(line):
            if current or sections:
                sections.append(Section(heading, "".join(current)))
            current, heading = [], line.strip().removeprefix("## ").strip()
        current.append(line)
    if current or not sections:
        sections.append(Section(heading, "".join(current)))
    return sections


def join(parts: list[str]) -> str:
    """Sections' texts back into one document. A section whose text lost its final line
    break (a browser's textarea drops it) gets one, so the next heading stays a heading."""
    out: list[str] = []
    for i, part in enumerate(parts):
        text = part.replace("\r\n", "\n")
        if i < len(parts) - 1 and text and not text.endswith("\n"):
            text += "\n"
        out.append(text)
    return "".join(out)
