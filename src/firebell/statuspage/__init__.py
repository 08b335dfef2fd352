"""The public status page (issue 17): components and their history, public incidents and
maintenances, the Statuspage-compatible JSON (docs/status-page.md)."""
