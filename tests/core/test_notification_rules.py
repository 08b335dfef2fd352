"""Personal notification rules: the right methods at the right times, nobody silently unreachable,
and no phone ringing at night for a low-urgency page, on DST nights too."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebell.core.notification_rules import (
    ACCOUNT_EMAIL,
    ContactMethod,
    NotificationPlan,
    QuietHours,
    Rule,
    Urgency,
    masked_address,
    night_end,
    plan_notifications,
    urgency_of,
)

MIN = timedelta(minutes=1)
STOCKHOLM, NEW_YORK, HAVANA = "Europe/Stockholm", "America/New_York", "America/Havana"
NIGHT = QuietHours()

EMAIL = ContactMethod("cm-email", "email", True, "ann@example.com")
SMS = ContactMethod("cm-sms", "sms", True, "+46701234589")
VOICE = ContactMethod("cm-voice", "voice", True, "+46701234589")
SLACK = ContactMethod("cm-slack", "slack", True, "U024BE7LH")
UNVERIFIED_SMS = ContactMethod("cm-sms2", "sms", False, "+46709999977")

HIGH_RULES = (Rule("cm-voice", 5, "high"), Rule("cm-slack", 0, "high"), Rule("cm-sms", 2, "high"))
LOW_RULES = (Rule("cm-email", 0, "low"), Rule("cm-sms", 10, "low"))
ALL = (EMAIL, SMS, VOICE, SLACK)


def at(zone: str, year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in `zone`."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def plan(rules: tuple[Rule, ...], methods: tuple[ContactMethod, ...], urgency: Urgency, page_at: datetime,
         zone: str = STOCKHOLM, quiet: QuietHours = NIGHT, now: datetime | None = None) -> NotificationPlan:
    return plan_notifications(rules, methods, urgency, page_at, zone, quiet, page_at if now is None else now)


def steps(result: NotificationPlan) -> list[tuple[str, datetime]]:
    return [(n.contact_method_id, n.at) for n in result.notifications]


# -- urgency ------------------------------------------------------------------------------------


def test_p1_and_p2_are_high_urgency_p3_and_p4_low() -> None:
    assert [urgency_of(s) for s in ("P1", "P2", "P3", "P4")] == ["high", "high", "low", "low"]


def test_an_organisation_can_map_its_own_severities() -> None:
    mapping: dict[str, Urgency] = {"SEV1": "high", "SEV2": "low", "P2": "low"}
    assert urgency_of("SEV2", mapping) == "low"
    assert urgency_of("P2", mapping) == "low"


def test_a_severity_nobody_mapped_wakes_someone_rather_than_waiting_for_morning() -> None:
    assert urgency_of("SEV0") == "high"
    assert urgency_of("P9", {"P1": "low"}) == "high"


# -- rules ----------------------------------------------------------------------------------------


def test_high_urgency_follows_the_users_rules_in_order_of_delay() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan(HIGH_RULES + LOW_RULES, ALL, "high", noon)
    assert steps(result) == [("cm-slack", noon), ("cm-sms", noon + 2 * MIN), ("cm-voice", noon + 5 * MIN)]
    assert [n.channel for n in result.notifications] == ["slack", "sms", "voice"]
    assert result.notifications[1].reason == "high-urgency rule: sms +46…89 2 min after the page"
    assert result.skipped == []


def test_low_urgency_uses_only_the_low_urgency_rules() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan(HIGH_RULES + LOW_RULES, ALL, "low", noon)
    assert steps(result) == [("cm-email", noon), ("cm-sms", noon + 10 * MIN)]


def test_a_repeat_on_the_same_method_is_kept_but_an_exact_duplicate_is_not() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    rules = (Rule("cm-sms", 0, "high"), Rule("cm-sms", 0, "high"), Rule("cm-sms", 10, "high"))
    assert steps(plan(rules, ALL, "high", noon)) == [("cm-sms", noon), ("cm-sms", noon + 10 * MIN)]


def test_unverified_methods_are_never_used_and_are_reported() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    rules = (Rule("cm-sms2", 0, "high"), Rule("cm-email", 1, "high"))
    result = plan(rules, (*ALL, UNVERIFIED_SMS), "high", noon)
    assert steps(result) == [("cm-email", noon + MIN)]
    assert [(s.contact_method_id, s.reason) for s in result.skipped] == [("cm-sms2", "sms +46…77 not verified")]


def test_a_rule_for_a_deleted_method_is_reported_not_fatal() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan((Rule("cm-gone", 0, "high"), Rule("cm-sms", 0, "high")), ALL, "high", noon)
    assert steps(result) == [("cm-sms", noon)]
    assert result.skipped[0].contact_method_id == "cm-gone"
    assert "no longer exists" in result.skipped[0].reason


# -- fallbacks: nobody is unreachable silently ---------------------------------------------------


def test_high_urgency_without_rules_reaches_every_verified_method_at_once() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan(LOW_RULES, (UNVERIFIED_SMS, *ALL), "high", noon)
    assert steps(result) == [(m.id, noon) for m in ALL]
    assert all("no high-urgency rules" in n.reason for n in result.notifications)
    assert [s.contact_method_id for s in result.skipped] == ["cm-sms2"]


def test_low_urgency_without_rules_reaches_the_first_verified_method() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan(HIGH_RULES, (UNVERIFIED_SMS, SLACK, EMAIL), "low", noon)
    assert steps(result) == [("cm-slack", noon)]


def test_with_nothing_verified_the_page_goes_to_the_account_email() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    urgencies: tuple[Urgency, ...] = ("high", "low")
    for urgency in urgencies:
        result = plan((), (UNVERIFIED_SMS,), urgency, noon)
        assert [(n.contact_method_id, n.channel, n.at) for n in result.notifications] == [
            (ACCOUNT_EMAIL, "email", noon)]
        assert "account email" in result.notifications[0].reason
        assert result.skipped[0].reason == "sms +46…77 not verified"
    assert steps(plan((), (), "high", noon)) == [(ACCOUNT_EMAIL, noon)]


def test_rules_that_reach_only_unverified_methods_fall_back_instead_of_staying_silent() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    result = plan((Rule("cm-sms2", 0, "high"),), (UNVERIFIED_SMS, EMAIL), "high", noon)
    assert steps(result) == [("cm-email", noon)]
    assert "no high-urgency rule reaches a verified method" in result.notifications[0].reason


# -- the night -----------------------------------------------------------------------------------


def test_low_urgency_sms_at_night_waits_for_the_morning_but_email_does_not() -> None:
    late = at(STOCKHOLM, 2026, 11, 23, 23, 30)
    result = plan(LOW_RULES, ALL, "low", late)
    assert steps(result) == [("cm-email", late), ("cm-sms", at(STOCKHOLM, 2026, 11, 24, 7, 0))]
    assert result.notifications[1].reason == "deferred to 07:00 Europe/Stockholm: low urgency does not phone at night"


def test_high_urgency_is_never_deferred() -> None:
    late = at(STOCKHOLM, 2026, 11, 23, 3, 0)
    assert steps(plan(HIGH_RULES, ALL, "high", late)) == [
        ("cm-slack", late), ("cm-sms", late + 2 * MIN), ("cm-voice", late + 5 * MIN)]


def test_a_user_who_opted_in_is_phoned_at_night_for_low_urgency() -> None:
    late = at(STOCKHOLM, 2026, 11, 23, 3, 0)
    result = plan(LOW_RULES, ALL, "low", late, quiet=QuietHours(phone_low_urgency_at_night=True))
    assert steps(result) == [("cm-email", late), ("cm-sms", late + 10 * MIN)]


def test_a_delay_that_runs_into_the_night_is_deferred_and_the_morning_edge_is_day() -> None:
    evening = at(STOCKHOLM, 2026, 11, 23, 21, 55)
    assert steps(plan(LOW_RULES, ALL, "low", evening))[1] == ("cm-sms", at(STOCKHOLM, 2026, 11, 24, 7, 0))
    nine_to_ten = at(STOCKHOLM, 2026, 11, 23, 21, 49, 59)  # + 10 min is 21:59:59, still evening
    assert steps(plan(LOW_RULES, ALL, "low", nine_to_ten))[1] == ("cm-sms", nine_to_ten + 10 * MIN)
    morning = at(STOCKHOLM, 2026, 11, 24, 6, 50)  # + 10 min is 07:00 sharp: the night is over
    assert steps(plan(LOW_RULES, ALL, "low", morning))[1] == ("cm-sms", morning + 10 * MIN)


def test_a_step_already_due_when_planned_goes_now_and_is_judged_at_now() -> None:
    evening = at(STOCKHOLM, 2026, 11, 23, 21, 0)
    back_at_2230 = at(STOCKHOLM, 2026, 11, 23, 22, 30)
    result = plan(LOW_RULES, ALL, "low", evening, now=back_at_2230)
    assert steps(result) == [("cm-email", back_at_2230), ("cm-sms", at(STOCKHOLM, 2026, 11, 24, 7, 0))]


def test_the_nights_are_configurable_and_may_lie_within_one_day() -> None:
    late = at(NEW_YORK, 2026, 11, 23, 22, 30)
    short_night = QuietHours(start=time(23, 0), end=time(6, 0))
    assert steps(plan(LOW_RULES, ALL, "low", late, NEW_YORK, short_night))[1] == ("cm-sms", late + 10 * MIN)
    siesta = QuietHours(start=time(13, 0), end=time(15, 0))
    lunch = at(NEW_YORK, 2026, 11, 23, 13, 0)
    result = plan(LOW_RULES, ALL, "low", lunch, NEW_YORK, siesta)
    assert steps(result)[1] == ("cm-sms", at(NEW_YORK, 2026, 11, 23, 15, 0))
    assert result.notifications[1].reason.startswith("deferred to 15:00 America/New_York")
    no_quiet = QuietHours(start=time(0, 0), end=time(0, 0))
    three_am = at(NEW_YORK, 2026, 11, 23, 3, 0)
    assert steps(plan(LOW_RULES, ALL, "low", three_am, NEW_YORK, no_quiet))[1] == ("cm-sms", three_am + 10 * MIN)


def test_the_night_is_in_the_users_zone_not_the_servers() -> None:
    page = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 05:00 in Stockholm, 23:00 in New York
    assert steps(plan(LOW_RULES, ALL, "low", page, NEW_YORK))[1][1] == at(NEW_YORK, 2026, 11, 23, 7, 0)
    assert steps(plan(LOW_RULES, ALL, "low", page, STOCKHOLM))[1][1] == at(STOCKHOLM, 2026, 11, 23, 7, 0)
    assert steps(plan(LOW_RULES, ALL, "low", page, "Asia/Kolkata"))[1][1] == page + 10 * MIN  # 09:30


# (zone, a late-evening page in wall-clock time, the 07:00 it is deferred to as UTC, real hours waited)
DST_NIGHTS = [
    # Spring forward: the night is an hour shorter.
    (STOCKHOLM, (2026, 3, 28, 23, 0), datetime(2026, 3, 29, 5, 0, tzinfo=UTC), 7),
    (NEW_YORK, (2026, 3, 7, 23, 0), datetime(2026, 3, 8, 11, 0, tzinfo=UTC), 7),
    # Fall back: an hour longer.
    (STOCKHOLM, (2026, 10, 24, 23, 0), datetime(2026, 10, 25, 6, 0, tzinfo=UTC), 9),
    (NEW_YORK, (2026, 10, 31, 23, 0), datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 9),
    # Havana changes at midnight: 00:00 -> 01:00 in March, 01:00 -> 00:00 in November.
    (HAVANA, (2026, 3, 7, 23, 0), datetime(2026, 3, 8, 11, 0, tzinfo=UTC), 7),
    (HAVANA, (2026, 10, 31, 23, 0), datetime(2026, 11, 1, 12, 0, tzinfo=UTC), 9),
]


@pytest.mark.parametrize(("zone", "wall", "morning", "hours"), DST_NIGHTS)
def test_on_dst_nights_deferral_is_to_seven_on_the_wall_clock(
        zone: str, wall: tuple[int, int, int, int, int], morning: datetime, hours: int) -> None:
    page = at(zone, *wall)
    result = plan((Rule("cm-voice", 0, "low"),), ALL, "low", page, zone)
    assert steps(result) == [("cm-voice", morning)]
    assert morning - page == timedelta(hours=hours)
    assert morning.astimezone(ZoneInfo(zone)).time() == time(7, 0)
    assert result.notifications[0].reason == f"deferred to 07:00 {zone}: low urgency does not phone at night"


def test_pages_inside_the_repeated_or_skipped_hour_are_night() -> None:
    # Stockholm's 02:30 happens twice on 25 October 2026; both times are night.
    for fold in (0, 1):
        page = datetime(2026, 10, 25, 2, 30, fold=fold, tzinfo=ZoneInfo(STOCKHOLM)).astimezone(UTC)
        assert night_end(page, STOCKHOLM, NIGHT) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)
    # 01:59:59 CET on 29 March 2026 is followed by 03:00 CEST.
    assert night_end(datetime(2026, 3, 29, 1, 0, tzinfo=UTC), STOCKHOLM, NIGHT) == datetime(2026, 3, 29, 5, 0,
                                                                                           tzinfo=UTC)


def test_a_night_that_starts_at_a_skipped_midnight_starts_when_the_clock_resumes() -> None:
    # Havana has no 00:00-00:59 on 8 March 2026; a 00:00-06:00 night starts at 01:00 CDT and lasts 5 h.
    midnight_night = QuietHours(start=time(0, 0), end=time(6, 0))
    before = datetime(2026, 3, 8, 4, 59, tzinfo=UTC)  # 23:59 CST on the 7th
    assert night_end(before, HAVANA, midnight_night) is None
    start = datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # 01:00 CDT
    assert start.astimezone(ZoneInfo(HAVANA)).time() == time(1, 0)
    assert night_end(start, HAVANA, midnight_night) == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 06:00 CDT
    result = plan((Rule("cm-sms", 0, "low"),), ALL, "low", start, HAVANA, midnight_night)
    assert steps(result) == [("cm-sms", datetime(2026, 3, 8, 10, 0, tzinfo=UTC))]


def test_wrong_input_is_refused_with_a_reason() -> None:
    noon = at(STOCKHOLM, 2026, 11, 23, 12, 0)
    with pytest.raises(ValueError, match="IANA"):
        plan(LOW_RULES, ALL, "low", noon, "Mars/Olympus")
    with pytest.raises(ValueError, match="timezone-aware"):
        plan(LOW_RULES, ALL, "low", datetime(2026, 11, 23, 12, 0))
    with pytest.raises(ValueError, match="urgency"):
        plan(LOW_RULES, ALL, "medium", noon)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="delay"):
        Rule("cm-sms", -1, "low")
    with pytest.raises(ValueError, match="type"):
        ContactMethod("cm-x", "pager", True)  # type: ignore[arg-type]


def test_addresses_are_masked_in_reasons() -> None:
    assert masked_address("+46701234589") == "+46…89"
    assert masked_address("ann@example.com") == "a…@example.com"
    assert masked_address("U1") == "U…"


# -- properties ----------------------------------------------------------------------------------

# Whole-hour quiet-hours edges never fall strictly inside these zones' DST gaps or folds, so a
# wall-clock reading of the local time is an exact oracle for "is it night".
ZONES = (STOCKHOLM, NEW_YORK, HAVANA, "America/Santiago", "Australia/Sydney", "Australia/Lord_Howe",
         "Asia/Beirut", "Europe/London", "Asia/Kolkata", "UTC")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))
quiet_hours = st.builds(QuietHours, start=st.integers(0, 23).map(lambda h: time(h)),
                        end=st.integers(0, 23).map(lambda h: time(h)))
method_lists = st.lists(
    st.builds(ContactMethod, id=st.sampled_from([f"cm-{k}" for k in range(6)]),
              type=st.sampled_from(["email", "sms", "voice", "slack", "webhook"]), verified=st.booleans(),
              address=st.just("+15551234567")),
    max_size=6, unique_by=lambda m: m.id)
rule_lists = st.lists(st.builds(Rule, contact_method_id=st.sampled_from([f"cm-{k}" for k in range(7)]),
                                delay_minutes=st.integers(0, 600), urgency=st.sampled_from(["high", "low"])),
                      max_size=8)


def is_night(instant: datetime, zone: str, quiet: QuietHours) -> bool:
    wall = instant.astimezone(ZoneInfo(zone)).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= wall < quiet.end
    return wall >= quiet.start or wall < quiet.end


@PROPERTY
@given(rules=rule_lists, methods=method_lists, urgency=st.sampled_from(["high", "low"]), page_at=instants,
       late_by=st.integers(0, 600), zone=st.sampled_from(ZONES), quiet=quiet_hours)
def test_every_page_reaches_someone_and_only_through_verified_methods(
        rules: list[Rule], methods: list[ContactMethod], urgency: Urgency, page_at: datetime, late_by: int, zone: str,
        quiet: QuietHours) -> None:
    now = page_at + late_by * MIN
    result = plan(tuple(rules), tuple(methods), urgency, page_at, zone, quiet, now)
    assert result.notifications, "a page must never be planned to reach nobody"
    verified = {m.id for m in methods if m.verified}
    assert all(n.contact_method_id in verified | {ACCOUNT_EMAIL} for n in result.notifications)
    assert (any(n.contact_method_id == ACCOUNT_EMAIL for n in result.notifications)) == (not verified)
    assert all(n.at >= now and n.at.tzinfo == UTC for n in result.notifications)
    assert [n.at for n in result.notifications] == sorted(n.at for n in result.notifications)
    unverified = {m.id for m in methods if not m.verified}
    named = {r.contact_method_id for r in rules if r.urgency == urgency}
    assert named & unverified <= {s.contact_method_id for s in result.skipped}


@PROPERTY
@given(rules=rule_lists, methods=method_lists, page_at=instants, late_by=st.integers(0, 120),
       zone=st.sampled_from(ZONES), quiet=quiet_hours)
def test_high_urgency_goes_exactly_when_the_rules_say(
        rules: list[Rule], methods: list[ContactMethod], page_at: datetime, late_by: int, zone: str,
        quiet: QuietHours) -> None:
    now = page_at + late_by * MIN
    by_id = {m.id: m for m in methods}
    result = plan(tuple(rules), tuple(methods), "high", page_at, zone, quiet, now)
    usable = {(r.contact_method_id, r.delay_minutes) for r in rules
              if r.urgency == "high" and r.contact_method_id in by_id and by_id[r.contact_method_id].verified}
    if usable:
        assert sorted((n.contact_method_id, n.at) for n in result.notifications) == sorted(
            (method_id, max(page_at + delay * MIN, now)) for method_id, delay in usable)
    else:
        assert {n.at for n in result.notifications} == {now}


@PROPERTY
@given(rules=rule_lists, methods=method_lists, page_at=instants, zone=st.sampled_from(ZONES), quiet=quiet_hours)
def test_low_urgency_never_phones_at_night_and_waits_no_longer_than_the_night(
        rules: list[Rule], methods: list[ContactMethod], page_at: datetime, zone: str, quiet: QuietHours) -> None:
    result = plan(tuple(rules), tuple(methods), "low", page_at, zone, quiet)
    longest_delay = max((r.delay_minutes for r in rules if r.urgency == "low"), default=0) * MIN
    for n in result.notifications:
        if n.channel not in ("sms", "voice"):
            assert not n.reason.startswith("deferred")
            continue
        assert not is_night(n.at, zone, quiet), f"phoned at {n.at.astimezone(ZoneInfo(zone))} for a low-urgency page"
        if n.reason.startswith("deferred"):
            # Deferred to the very end of the night: a minute earlier was still night, and the
            # wall clock shows the configured end (or the first time after a skipped one).
            assert is_night(n.at - MIN, zone, quiet)
            assert n.at.astimezone(ZoneInfo(zone)).time() >= quiet.end
            assert n.at - page_at <= longest_delay + timedelta(hours=24)


@PROPERTY
@given(page_at=instants, zone=st.sampled_from(ZONES), quiet=quiet_hours)
def test_an_opt_in_user_is_phoned_on_time_whatever_the_hour(page_at: datetime, zone: str, quiet: QuietHours) -> None:
    opted_in = QuietHours(quiet.start, quiet.end, phone_low_urgency_at_night=True)
    result = plan((Rule("cm-sms", 3, "low"),), ALL, "low", page_at, zone, opted_in)
    assert steps(result) == [("cm-sms", page_at + 3 * MIN)]


@PROPERTY
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)), zone=st.sampled_from(ZONES),
       minute=st.integers(0, 24 * 60 - 1))
def test_the_default_night_is_the_wall_clock_night_in_every_zone(day: date, zone: str, minute: int) -> None:
    instant = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC) + minute * MIN
    end = night_end(instant, zone, NIGHT)
    assert (end is not None) == is_night(instant, zone, NIGHT)
    if end is not None:
        assert end.astimezone(ZoneInfo(zone)).time() == time(7, 0)
        assert timedelta(0) < end - instant <= timedelta(hours=10)
