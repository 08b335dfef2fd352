"""Incident messages in Google Chat spaces and Microsoft Teams channels, and the Slack fallback."""
