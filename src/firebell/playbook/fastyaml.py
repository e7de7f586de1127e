"""Fast YAML for a playbook that is valid, which is every start but the first edit.

ruamel.yaml's round-trip loader (pure Python) keeps line numbers for error messages and
costs most of `firebell serve`'s start-up for the default playbook. libyaml (through
PyYAML's C loader) parses it in a fraction of that. The resolvers below follow YAML 1.2's
core schema, as ruamel does: `on`/`yes` stay strings and `09:00` stays a time, not the
YAML 1.1 sexagesimal 540. The loader falls back to ruamel whenever anything is wrong, so
error messages keep their lines.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

try:
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML without libyaml: no gain over ruamel
    _Base = None


def _core_schema_loader() -> Any:
    if _Base is None:
        return None

    class Loader(_Base):  # type: ignore[misc]
        pass

    Loader.yaml_implicit_resolvers = {}
    rules = [
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?(?:0|[1-9][0-9]*)|0x[0-9a-fA-F]+)$", "-+0123456789"),
        (
            "tag:yaml.org,2002:float",
            r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            "-+0123456789.",
        ),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        (
            "tag:yaml.org,2002:timestamp",
            r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
            r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
            "0123456789",
        ),
    ]
    for tag, pattern, first in rules:
        Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    return Loader


_LOADER = _core_schema_loader()


def fast_load(text: str) -> Any | None:
    """The document, or None when the fast path cannot be used (the caller then parses
    with ruamel, which reports where a problem is)."""
    if _LOADER is None:
        return None
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None
