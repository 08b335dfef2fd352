"""Escalations: a frozen policy per incident, stepped by the engine from durable timers."""
