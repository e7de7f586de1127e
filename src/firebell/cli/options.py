"""Options shared by the commands that open the database themselves (no heavy imports:
every `firebell` invocation loads this module)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

Home = Annotated[Path | None, typer.Option(envvar="FIREBELL_HOME", help="Data directory")]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(envvar="FIREBELL_DATABASE_URL", help="Default: SQLite in the data directory"),
]
PlaybookFile = Annotated[
    Path | None, typer.Option(envvar="FIREBELL_PLAYBOOK", help="Default: the built-in playbook")
]
