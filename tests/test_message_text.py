from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from firebell.core.message_text import TRUNCATION_MARK, clip, duration_words, elapsed_text, utc_text


def test_times_and_durations_read_as_people_write_them() -> None:
    assert utc_text(datetime(2026, 12, 7, 10, 31, 40, tzinfo=UTC)) == "2026-12-07 10:31 UTC"
    assert elapsed_text(timedelta(hours=1, minutes=5, seconds=59)) == "01:05"
    assert elapsed_text(timedelta(hours=130)) == "130:00"
    assert duration_words(timedelta(hours=1, minutes=5)) == "1 hour 5 minutes"
    assert duration_words(timedelta(days=2, hours=3, minutes=4)) == "2 days 3 hours"
    assert duration_words(timedelta(seconds=45)) == "45 seconds"


@given(st.text(), st.integers(min_value=0, max_value=400))
def test_clip_fits_and_shows_that_it_cut(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    elif limit > len(TRUNCATION_MARK):
        assert out.endswith(TRUNCATION_MARK)
        assert text.startswith(out[: -len(TRUNCATION_MARK)])
