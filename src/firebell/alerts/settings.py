"""The per-service alerting settings stored in `services.alerting` (JSON), with their defaults.

Shape (all keys optional):
    paging_threshold: "P3"        alerts at this severity or worse open incidents
    default_severity: "P3"        for alerts whose source severity maps to nothing
    auto_resolve: true            resolve the incident when all its alerts resolve
    group_by: ["alertname"]       labels forming the grouping key when the source has none
    severity_map: [{match: ['severity="critical"'], severity: "P1"}, ...]   first match wins
    flapping: {max_refires: 4, window_s: 1800}
"""

from __future__ import annotations

DEFAULT_FLAPPING_MAX_REFIRES = 4
DEFAULT_FLAPPING_WINDOW_S = 30 * 60
SETTINGS_KEYS = ("paging_threshold", "default_severity", "auto_resolve", "group_by", "severity_map", "flapping")
