"""firebell: self-hosted incident response driven by a playbook kept as code."""

__version__ = "0.1.0"
