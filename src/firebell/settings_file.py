"""The settings file `$FIREBELL_HOME/settings.toml` that `firebell init` writes.

Its keys are the `FIREBELL_*` environment variable names, so there is one vocabulary:
a value set in the environment wins over the file. The file holds credentials (SMTP
password, Slack token), so it is written with mode 0600.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

SETTINGS_FILE = "settings.toml"
HEADER = (
    "# firebell settings, written by `firebell init`. Keys are the FIREBELL_* environment\n"
    "# variables (README, 'Options'); the environment overrides a value set here.\n"
)


class SettingsFileError(ValueError):
    pass


def settings_path(home: Path) -> Path:
    return home / SETTINGS_FILE


def read_settings(home: Path) -> dict[str, str]:
    """The file's values, or {} when there is none. Raises SettingsFileError, naming the
    file and the problem, for a file that is not valid."""
    path = settings_path(home)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsFileError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsFileError(f"{path}: {exc}") from None
    values: dict[str, str] = {}
    for key, value in data.items():
        if not key.startswith("FIREBELL_") or isinstance(value, (dict, list)):
            raise SettingsFileError(f"{path}: {key}: expected FIREBELL_NAME = value")
        values[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return values


def write_settings(home: Path, values: Mapping[str, str]) -> Path:
    """Write (replacing) the file with mode 0600; the data directory 0700."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = settings_path(home)
    lines = [HEADER]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}\n")  # a JSON string is a TOML string
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("".join(lines))
    return path


def effective_environment(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings file overlaid by the environment (non-empty values win)."""
    env = os.environ if environ is None else environ
    merged = read_settings(home)
    merged.update({k: v for k, v in env.items() if k.startswith("FIREBELL_") and v})
    return merged
