"""The storm benchmark sends what it says it sends (bench/storm.py's message builders)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from openloop import pct_ms
from storm import alertmanager_message, pagerduty_events

from firebell.core.events import EventAction
from firebell.core.formats.alertmanager import parse_message


def test_big_message_is_one_group_of_distinct_firing_alerts_with_full_label_sets() -> None:
    body = alertmanager_message(2000, "run1", datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    events = parse_message(json.loads(body), flavour="alertmanager")
    assert len(events) == 2000
    assert len({e.dedup_key for e in events}) == 2000
    assert {e.group_key for e in events} == {json.loads(body)["groupKey"]}
    assert all(e.action is EventAction.TRIGGER for e in events)
    assert set(events[0].labels) == {"alertname", "cluster", "job", "severity", "env", "instance"}
    assert 80 < len(body) / 2000 < 110  # 10,000 alerts near the issue's ~0.8 MB


def test_sustained_mix_resolves_only_keys_triggered_a_second_earlier() -> None:
    rate = 200
    bodies, resolves = pagerduty_events(4000, rate, 10, 1, "run1")
    events = [json.loads(b) for b in bodies]
    triggered_at: dict[str, int] = {}
    resolved: set[str] = set()
    for i, e in enumerate(events):
        key = e["dedup_key"]
        if e["event_action"] == "trigger":
            assert key not in triggered_at  # every trigger is a fresh key
            triggered_at[key] = i
        else:
            assert i - triggered_at[key] >= rate and key not in resolved
            resolved.add(key)
    assert resolves == len(resolved)
    assert 0.17 < resolves / len(events) < 0.21


def test_percentile_is_nearest_rank_in_milliseconds() -> None:
    assert pct_ms([0.001 * i for i in range(1, 101)], 99) == 99.0
    assert pct_ms([0.5], 50) == 500.0
