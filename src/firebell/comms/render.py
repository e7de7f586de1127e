"""Templates rendered in a sandbox with strict undefined variables.

A template from a playbook is code a team member wrote: it runs in Jinja2's
`SandboxedEnvironment` (no access to Python internals such as ``__class__`` or
``__globals__``), and a variable it uses that the context does not have is an error
that names the variable (``incident.commander``) instead of an empty string in a page.

Limits, so a template (or the values it is given) cannot stall the engine or exhaust
memory: a render stops after `MAX_SECONDS` (checked on every line the compiled template
runs), its output stops at `MAX_OUTPUT` characters, and operations that would build a
huge value in one step (`"x" * 10**9`, `2 ** 10**9`, `"%999999999s"`, `center(10**9)`)
are refused before they run.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

MAX_SECONDS = 1.0
MAX_OUTPUT = 100_000  # characters
TEMPLATE_FILE = "<template>"  # the file name of code compiled from a string


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


class _TooBig(SecurityError):
    pass


_WIDTH = re.compile(r"\d{6,}")  # a width or precision of a million or more


def _sized(operator: str, left: Any, right: Any) -> None:
    """Refuse, before it runs, an operation whose result would be huge."""
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | list | tuple) and isinstance(times, int)
            if sized and len(seq) * max(times, 0) > MAX_OUTPUT:
                raise _TooBig(f"'*' would make more than {MAX_OUTPUT} characters or items")
    elif operator == "**":
        if isinstance(right, int | float) and abs(right) > 1000:
            raise _TooBig("'**' with an exponent over 1000")
    elif operator == "%" and isinstance(left, str) and _WIDTH.search(left):
        raise _TooBig("a format width of a million or more")


class _LimitedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _sized(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _WIDTH.search(value.__self__):
            raise _TooBig("a format width of a million or more")
        return wrapped


def _bounded(original: Callable[..., Any], position: int) -> Callable[..., Any]:
    """A filter whose numeric argument at `position` (a width) is capped."""

    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = [*args, *kwargs.values()]
        width = values[position] if len(values) > position else None
        if isinstance(width, int) and width > MAX_OUTPUT:
            raise _TooBig(f"a width over {MAX_OUTPUT}")
        if any(isinstance(v, str) and _WIDTH.search(v) for v in args[:1]):
            raise _TooBig("a format width of a million or more")
        return original(*args, **kwargs)

    return bounded


_ENV = _LimitedSandbox(undefined=_NamedUndefined, autoescape=False, keep_trailing_newline=False)
_ENV.filters["center"] = _bounded(_ENV.filters["center"], 1)
_ENV.filters["indent"] = _bounded(_ENV.filters["indent"], 1)
_ENV.filters["format"] = _bounded(_ENV.filters["format"], 99)
_ENV.filters["wordwrap"] = _bounded(_ENV.filters["wordwrap"], 2)


class _Timeout(Exception):
    pass


def _deadline_tracer(deadline: float) -> Any:
    """A trace function that raises in template code once `deadline` has passed (only
    frames of compiled templates are traced: other code runs at full speed)."""

    def local(frame: FrameType, event: str, _arg: Any) -> Any:
        if event == "line" and time.monotonic() > deadline:
            raise _Timeout
        return local

    def global_(frame: FrameType, _event: str, _arg: Any) -> Any:
        if frame.f_code.co_filename == TEMPLATE_FILE:
            if time.monotonic() > deadline:
                raise _Timeout
            return local
        return None

    return global_


def _generate(template: Any, values: dict[str, Any]) -> str:
    """Render with the time and size limits."""
    parts: list[str] = []
    size = 0
    previous = sys.gettrace()
    sys.settrace(_deadline_tracer(time.monotonic() + MAX_SECONDS))
    try:
        for chunk in template.generate(values):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise _TooBig(f"the output is longer than {MAX_OUTPUT} characters")
            parts.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(parts)


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
        return _generate(_compile(source), values)
    except _Timeout:
        raise TemplateProblem(name, f"took longer than {MAX_SECONDS:g} s to render") from None
    except _TooBig as exc:
        raise TemplateProblem(name, f"refused: {exc}") from None
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
