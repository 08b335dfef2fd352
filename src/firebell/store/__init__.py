"""Shared storage plumbing: engine, sessions, unit of work, migrations."""
