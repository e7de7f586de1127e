"""Load a playbook from YAML with errors a person can act on: file, line, field, reason.

ruamel.yaml keeps the line of every mapping key and sequence item, so a pydantic error
location such as ``('severities', 'P1', 'response_time')`` can be traced back to the line
that holds the bad value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from firebell.playbook.fastyaml import fast_load
from firebell.playbook.schema import Playbook, drill_schedule_problems

_Model = TypeVar("_Model", bound=BaseModel)

DEFAULT_PLAYBOOK_PATH = Path(__file__).with_name("default.yaml")


@dataclass(frozen=True)
class PlaybookProblem:
    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(document)'}: {self.reason}"


class PlaybookError(Exception):
    """A playbook that cannot be used, with every problem found."""

    def __init__(self, problems: list[PlaybookProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedPlaybook:
    playbook: Playbook
    version: str  # content hash of the source text: what each incident records
    source: str
    path: str


def playbook_version(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _line_of(document: Any, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node of `loc` that exists in the YAML document."""
    node, line = document, None
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line = node.lc.key(key)[0] + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
            line = node.lc.item(key)[0] + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(document, CommentedMap):
        line = document.lc.line + 1
    return line


def _field(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for key in loc:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts)


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    # pydantic adds a segment naming the union or Literal member it tried; drop those.
    return tuple(
        k
        for k in loc
        if not (isinstance(k, str) and (k == "[key]" or k.startswith(("literal[", "function-"))))
    )


def parse_playbook(
    text: str, filename: str = "<playbook>", base_dir: Path | None = None
) -> LoadedPlaybook:
    """Parse and validate; template files are read relative to `base_dir` (the playbook's
    folder) and every template is checked for Jinja2 syntax here, so a broken template is
    a validation error with its line, not a failed page at 3 a.m."""
    fast = _parse_fast(text, filename, base_dir)
    if fast is not None:
        return fast
    playbook, document = validate_document(text, filename, Playbook, "the playbook")
    playbook, files, problems = _templates(playbook, document, filename, base_dir)
    problems += [
        PlaybookProblem(filename, _line_of(document, loc), _field(loc), reason)
        for loc, reason in drill_schedule_problems(playbook)
    ]
    if problems:
        raise PlaybookError(problems)
    return LoadedPlaybook(playbook, playbook_version(text + files), text, filename)


def validate_document(
    text: str, filename: str, model: type[_Model], what: str
) -> tuple[_Model, Any]:
    """A YAML document validated by ``model``; every problem with file, line and field.
    Returns the model and the parsed document (for line numbers of later checks)."""
    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = " ".join(filter(None, [exc.context, exc.problem])) or "invalid YAML"
        raise PlaybookError(
            [PlaybookProblem(filename, line, "", f"YAML syntax: {reason}")]
        ) from None
    except YAMLError as exc:
        raise PlaybookError([PlaybookProblem(filename, None, "", f"YAML: {exc}")]) from None
    if not isinstance(document, dict):
        raise PlaybookError([PlaybookProblem(filename, 1, "", f"{what} must be a YAML mapping")])
    try:
        validated = model.model_validate(_plain(document))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _clean_loc(tuple(error["loc"]))
            reason = error["msg"].removeprefix("Value error, ")
            problems.append(PlaybookProblem(filename, _line_of(document, loc), _field(loc), reason))
        raise PlaybookError(problems) from None
    return validated, document


def _parse_fast(text: str, filename: str, base_dir: Path | None) -> LoadedPlaybook | None:
    """A valid playbook through the fast parser (see fastyaml); None on any problem, so
    the careful path finds and reports it with its line."""
    document = fast_load(text)
    if not isinstance(document, dict):
        return None
    try:
        playbook = Playbook.model_validate(document)
    except ValidationError:
        return None
    playbook, files, problems = _templates(playbook, document, filename, base_dir)
    if problems or drill_schedule_problems(playbook):
        return None
    return LoadedPlaybook(playbook, playbook_version(text + files), text, filename)


def _templates(
    playbook: Playbook, document: Any, filename: str, base_dir: Path | None
) -> tuple[Playbook, str, list[PlaybookProblem]]:
    """Load template files into their variants and check every template's syntax.
    Returns the playbook with file templates inlined, their joined text (for the version
    hash) and the problems found."""
    from jinja2 import TemplateSyntaxError
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment()
    problems: list[PlaybookProblem] = []
    loaded: list[str] = []

    def check(loc: tuple[int | str, ...], source: str, where: str = "") -> None:
        try:
            env.parse(source)
        except TemplateSyntaxError as exc:
            line = _line_of(document, loc)
            problems.append(
                PlaybookProblem(
                    filename,
                    line,
                    _field(loc),
                    f"template syntax error{where} on its line {exc.lineno}: {exc.message}",
                )
            )

    families = {}
    for family_id, family in playbook.communications.templates.items():
        variants = {}
        for variant_id, variant in family.variants.items():
            loc: tuple[int | str, ...] = (
                "communications",
                "templates",
                family_id,
                "variants",
                variant_id,
            )
            body = variant.body
            if variant.file is not None:
                path = Path(variant.file)
                if path.is_absolute() or ".." in path.parts or base_dir is None:
                    problems.append(
                        PlaybookProblem(
                            filename,
                            _line_of(document, (*loc, "file")),
                            _field((*loc, "file")),
                            "give a path relative to the playbook's folder, without '..'",
                        )
                    )
                    continue
                try:
                    body = (base_dir / path).read_text(encoding="utf-8")
                except OSError as exc:
                    problems.append(
                        PlaybookProblem(
                            filename,
                            _line_of(document, (*loc, "file")),
                            _field((*loc, "file")),
                            f"cannot read {base_dir / path}: {exc.strerror}",
                        )
                    )
                    continue
                loaded.append(body)
                check((*loc, "file"), body, f" in {path}")
            elif body is not None:
                check((*loc, "body"), body)
            for part in ("subject", "title"):
                value = getattr(variant, part)
                if value is not None:
                    check((*loc, part), value)
            variants[variant_id] = variant.model_copy(update={"body": body})
        families[family_id] = family.model_copy(update={"variants": variants})
    war_room = playbook.war_room
    for loc, value in (
        (("war_room", "channel_name"), war_room.channel_name),
        (("war_room", "topic"), war_room.topic),
        (("war_room", "announcement"), war_room.announcement),
        (
            ("war_room", "checkpoints", "management_message"),
            war_room.checkpoints.management_message,
        ),
    ):
        if value is not None:
            check(loc, value)
    communications = playbook.communications.model_copy(update={"templates": families})
    return playbook.model_copy(update={"communications": communications}), "".join(loaded), problems


def _plain(node: Any) -> Any:
    """ruamel's round-trip types to plain dict/list, so pydantic sees ordinary values."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_playbook(path: str | Path | None = None) -> LoadedPlaybook:
    """Load `path`, or the default playbook that ships with firebell."""
    target = Path(path) if path is not None else DEFAULT_PLAYBOOK_PATH
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlaybookError(
            [PlaybookProblem(str(target), None, "", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_playbook(text, str(target), target.parent)


def default_playbook_text() -> str:
    return DEFAULT_PLAYBOOK_PATH.read_text(encoding="utf-8")
