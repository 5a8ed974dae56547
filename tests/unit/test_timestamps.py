import datetime as dt

import pytest
from hypothesis import given, strategies as st

from bridge.errors import NormalizeError
from bridge.timestamps import format_ns, format_us, parse_rfc3339_ns, utc_date


@pytest.mark.parametrize(
    "text, expected_ns",
    [
        ("2024-05-01T14:59:59Z", 1714575599_000000000),
        ("2024-05-01T14:59:59.1Z", 1714575599_100000000),
        ("2024-05-01T14:59:59.123456789Z", 1714575599_123456789),
        ("2024-05-01T23:59:59.123456789+09:00", 1714575599_123456789),
        ("2024-05-01T09:29:59.000000001-05:30", 1714575599_000000001),
        ("2024-05-01t14:59:59z", 1714575599_000000000),
        ("1970-01-01T00:00:00Z", 0),
    ],
)
def test_parse(text, expected_ns):
    assert parse_rfc3339_ns(text) == expected_ns


@pytest.mark.parametrize(
    "text",
    ["", "2024-05-01", "2024-05-01T14:59:59", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-01T14:59:59.Z",
     "2024-05-01T14:59:59.1234567890Z", "2024-05-01T14:59:59+0900", "2024-05-01T25:00:00Z", "２０２４-05-01T00:00:00Z"],
)
def test_rejects_unreadable(text):
    with pytest.raises(NormalizeError) as info:
        parse_rfc3339_ns(text)
    assert info.value.reason == "bad_timestamp"


@given(st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2262, 1, 1)), st.integers(0, 999), st.integers(-14 * 60, 14 * 60))
def test_matches_datetime_for_any_instant_and_offset(moment, extra_ns, offset_min):
    zone = dt.timezone(dt.timedelta(minutes=offset_min))
    local = moment.replace(tzinfo=dt.timezone.utc).astimezone(zone)
    sign = "+" if offset_min >= 0 else "-"
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond:06d}{extra_ns:03d}{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    expected = (int(moment.replace(tzinfo=dt.timezone.utc).timestamp()) * 10**9) + moment.microsecond * 1000 + extra_ns
    assert parse_rfc3339_ns(text) == expected
    assert parse_rfc3339_ns(format_ns(expected)) == expected
    assert format_us(expected)[:26] == format_ns(expected)[:26]
    assert utc_date(expected) == moment.strftime("%Y.%m.%d")
