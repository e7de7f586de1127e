"""Rendering with unknown values shown, not refused (pure).

Within the seed's first minutes the commander, the impact or the actions are often not
known yet. A message can still go out: each missing value renders as a visible
placeholder (`[impact: not known yet]`) and every missing name is reported at once, so a
preview lists them all instead of one per try. Whether a missing value blocks sending is
the playbook's call (`required` on a template variant), not the renderer's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, TemplateError
from jinja2.exceptions import SecurityError

from firebell.comms import render as strict
from firebell.comms.render import MAX_SECONDS, Namespace, TemplateProblem, check_syntax

_MISSING: ContextVar[list[str] | None] = ContextVar("firebell_missing", default=None)


def placeholder(name: str) -> str:
    return f"[{name}: not known yet]"


class _Placeholder(ChainableUndefined):
    """An unknown value: shows itself, and notes its full dotted name once."""

    __slots__ = ()

    @property
    def dotted(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if isinstance(owner, Namespace):
            return f"{owner._name}.{name}"
        if isinstance(owner, _Placeholder):
            return f"{owner.dotted}.{name}"
        return str(name or self._undefined_hint or "value")

    def _note(self) -> str:
        name = self.dotted
        seen = _MISSING.get()
        if seen is not None and name not in seen:
            seen.append(name)
        return name

    def __str__(self) -> str:
        return placeholder(self._note())

    def __iter__(self) -> Iterator[Any]:
        yield placeholder(self._note())

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__":
            raise AttributeError(name)
        return _Placeholder(obj=self, name=name)

    __getitem__ = __getattr__


# The same limited sandbox as `render` (time and size limits, bounded filters), with
# placeholders for unknown values instead of errors.
_ENV = strict._LimitedSandbox(undefined=_Placeholder, autoescape=False, keep_trailing_newline=False)
for _name in ("center", "indent", "format", "wordwrap"):
    _ENV.filters[_name] = strict._ENV.filters[_name]


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    return _ENV.from_string(source)


def render_showing_missing(
    name: str, source: str, context: Mapping[str, Any]
) -> tuple[str, list[str]]:
    """The text, with a placeholder for each unknown value, and the unknown names in
    the order they appear. Other failures are TemplateProblems, as with `render`."""
    check_syntax(name, source)
    values = {
        key: Namespace(key, value) if isinstance(value, Mapping) else value
        for key, value in context.items()
    }
    missing: list[str] = []
    token = _MISSING.set(missing)
    try:
        text = strict._generate(_compile(source), values)
    except strict._Timeout:
        raise TemplateProblem(name, f"took longer than {MAX_SECONDS:g} s to render") from None
    except strict._TooBig as exc:
        raise TemplateProblem(name, f"refused: {exc}") from None
    except SecurityError as exc:
        raise TemplateProblem(name, f"refused by the sandbox: {exc}") from None
    except TemplateError as exc:
        raise TemplateProblem(name, f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:
        raise TemplateProblem(
            name, f"cannot render with these values: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        _MISSING.reset(token)
    return text, missing


def blocking(missing: list[str], required: list[str] | None, external: bool) -> list[str]:
    """The missing values that stop a send: those the playbook marks required; when it
    says nothing, all of them for a message that leaves the company (status page,
    customers) and none for an internal one."""
    if required is None:
        return list(missing) if external else []
    wanted = set(required)
    return [m for m in missing if "*" in wanted or m in wanted or m.split(".")[-1] in wanted]
