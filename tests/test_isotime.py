"""RFC 3339 times as the CLI's options and the ingestion bodies give them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from celprice.isotime import parse_iso


@pytest.mark.parametrize("text", ["2026-06-04T12:00:00Z", "2026-06-04T12:00:00z", "2026-06-04T12:00:00+00:00"])
def test_z_is_utc(text: str) -> None:
    assert parse_iso(text) == datetime(2026, 6, 4, 12, tzinfo=timezone.utc)
    assert parse_iso(text).utcoffset() == timedelta(0)


def test_an_offset_is_kept_and_a_time_without_one_stays_naive() -> None:
    assert parse_iso("2026-06-04T14:00:00+02:00").utcoffset() == timedelta(hours=2)
    assert parse_iso("2026-06-04T12:00:00").tzinfo is None


@pytest.mark.parametrize("text", ["", "Z", "yesterday", "2026-13-01T00:00:00Z"])
def test_what_is_not_a_time_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)
