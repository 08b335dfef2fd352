"""Alert ingestion: integrations, alerts and their history, grouping into incidents, routing,
maintenance windows, heartbeats and change events."""
