"""`firebell init`: from a few answers to a playbook and a settings file (pure parts)."""
