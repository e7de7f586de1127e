"""Where firebell keeps its files (light: the CLI client imports it)."""

from __future__ import annotations

import os
from pathlib import Path


def default_home() -> Path:
    """FIREBELL_HOME, else the user data directory (e.g. ~/.local/share/firebell)."""
    explicit = os.environ.get("FIREBELL_HOME")
    if explicit:
        return Path(explicit)
    import platformdirs

    return Path(platformdirs.user_data_dir("firebell"))
