"""`firebell doctor`: what to fix in an installation, as typed findings.

`checks` holds the pure checks (playbook, configured channels, facts read from the
database); `probes` the live ones (SMTP login, Slack auth.test, Twilio account fetch);
`run` gathers the facts and runs them all; `startup` prints them when `serve` starts.
"""
