"""`python -m firebell` is the same as the `firebell` command."""

from firebell.cli.main import app

app()
