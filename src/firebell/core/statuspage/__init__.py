"""The public status page's pure rules: the roll-up, the public incident and maintenance state
machines, the 90-day uptime buckets and the severity policy (docs/status-page.md)."""
