"""Slack: verifying Slack's requests, parsing `/incident`, rendering incident cards, and posting to Slack."""
