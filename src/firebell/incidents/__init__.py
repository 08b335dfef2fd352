"""Incidents: declaration, state machine, roles, stages and the append-only timeline."""
