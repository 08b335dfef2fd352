"""Hash-chained audit log of security-relevant actions."""
