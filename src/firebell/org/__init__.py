"""The organisation: teams, people, organisational roles, services, escalation policy names."""
