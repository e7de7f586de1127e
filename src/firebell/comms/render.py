"""Templates rendered in a sandbox with strict undefined variables.

A template from a playbook is code a team member wrote: it runs in Jinja2's
`SandboxedEnvironment` (no access to Python internals such as ``__class__`` or
``__globals__``), and a variable it uses that the context does not have is an error
that names the variable (``incident.commander``) instead of an empty string in a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment


class TemplateProblem(Exception):
    """A template that cannot be rendered, with a reason a person can act on."""

    def __init__(self, template: str, reason: str) -> None:
        super().__init__(f"template {template}: {reason}")
        self.template = template
        self.reason = reason


class Namespace:
    """A read-only mapping with attribute access that knows its own dotted name, so a
    missing attribute is reported as ``incident.commander``, not as ``dict object``."""

    __slots__ = ("_data", "_name")

    def __init__(self, name: str, data: Mapping[str, Any]) -> None:
        self._name = name
        self._data = {
            key: Namespace(f"{name}.{key}", value) if isinstance(value, Mapping) else value
            for key, value in data.items()
        }

    def __getattr__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Any:
        return iter(self._data)

    def __str__(self) -> str:
        return self._name


class _NamedUndefined(StrictUndefined):
    @property
    def _undefined_message(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if isinstance(owner, Namespace):
            return f"needs '{owner._name}.{name}', which is not set"
        if name is not None and self._undefined_hint is None:
            return f"needs '{name}', which is not set"
        return str(self._undefined_hint or "uses an undefined value")


_ENV = SandboxedEnvironment(
    undefined=_NamedUndefined, autoescape=False, keep_trailing_newline=False
)


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    return _ENV.from_string(source)


def check_syntax(name: str, source: str) -> None:
    try:
        _compile(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(name, f"syntax error on line {exc.lineno}: {exc.message}") from None


def render(name: str, source: str, context: Mapping[str, Any]) -> str:
    """Render `source`; every failure is a TemplateProblem naming the template."""
    check_syntax(name, source)
    values = {
        key: Namespace(key, value) if isinstance(value, Mapping) else value
        for key, value in context.items()
    }
    try:
        return str(_compile(source).render(values))
    except UndefinedError as exc:
        raise TemplateProblem(name, str(exc)) from None
    except SecurityError as exc:
        raise TemplateProblem(name, f"refused by the sandbox: {exc}") from None
    except TemplateError as exc:
        raise TemplateProblem(name, f"{type(exc).__name__}: {exc}") from None
    except Exception as exc:  # e.g. a number where the template loops over a list
        raise TemplateProblem(
            name, f"cannot render with these values: {type(exc).__name__}: {exc}"
        ) from None
