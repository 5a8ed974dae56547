"""RFC 3339 timestamps <-> integer nanoseconds since the Unix epoch, UTC.

Hand-rolled because datetime keeps only microseconds and Cloud Logging sends up
to nine fractional digits. Pure arithmetic: no regex, no datetime on the hot path.
"""
from __future__ import annotations

from functools import lru_cache

from .errors import NormalizeError

NS_PER_SECOND = 1_000_000_000
# date_nanos in Elasticsearch and int64 nanoseconds both stop here.
MAX_NS = 2**63 - 1
_FRACTION_SCALE = tuple(10 ** (9 - n) for n in range(10))
_DIGITS = frozenset("0123456789")


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    days += 719468
    era = days // 146097
    doe = days - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _int(text: str, what: str, value: str) -> int:
    if not text or not _DIGITS.issuperset(text):
        raise NormalizeError(f"cannot read {what} in timestamp {value!r}", reason="bad_timestamp")
    return int(text)


@lru_cache(maxsize=4096)  # entries arrive in time order: the same minute repeats
def _utc_minute_seconds(prefix: str) -> int:
    """'YYYY-MM-DDTHH:MM' -> epoch seconds, through the full parser (so it is validated)."""
    return _parse_general(prefix + ":00Z") // NS_PER_SECOND


def parse_rfc3339_ns(value: str) -> int:
    """Fast path for the canonical UTC form Cloud Logging writes; anything else takes the general parser."""
    if type(value) is str and 20 <= len(value) <= 30 and value[-1] == "Z" and value[16] == ":":
        second = value[17:19]
        fraction = value[19:-1]
        if second.isascii() and second.isdigit() and second < "61" and (
            not fraction or (fraction[0] == "." and 2 <= len(fraction) <= 10 and fraction.isascii() and fraction[1:].isdigit())
        ):
            fraction_ns = int(fraction[1:]) * _FRACTION_SCALE[len(fraction) - 1] if fraction else 0
            return (_utc_minute_seconds(value[:16]) + int(second)) * NS_PER_SECOND + fraction_ns
    return _parse_general(value)


def _parse_general(value: str) -> int:
    """'2024-05-01T23:59:59.123456789+09:00' -> ns since epoch (UTC).

    Accepts 0 to 9 fractional digits, 'Z'/'z' or a +HH:MM / -HH:MM offset, and 't' or ' '
    as the date/time separator. Raises NormalizeError(reason='bad_timestamp') otherwise.
    """
    if not isinstance(value, str) or len(value) < 20 or len(value) > 40:
        raise NormalizeError(f"cannot read timestamp {str(value)[:64]!r}", reason="bad_timestamp")
    if value[4] != "-" or value[7] != "-" or value[10] not in "Tt " or value[13] != ":" or value[16] != ":":
        raise NormalizeError(f"cannot read timestamp {value!r}", reason="bad_timestamp")
    year = _int(value[0:4], "year", value)
    month = _int(value[5:7], "month", value)
    day = _int(value[8:10], "day", value)
    hour = _int(value[11:13], "hour", value)
    minute = _int(value[14:16], "minute", value)
    second = _int(value[17:19], "second", value)
    if not (1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month] and hour < 24 and minute < 60 and second < 61):
        raise NormalizeError(f"timestamp {value!r} is not a real date and time", reason="bad_timestamp")
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        raise NormalizeError(f"timestamp {value!r} is not a real date", reason="bad_timestamp")
    rest = value[19:]
    fraction_ns = 0
    if rest[:1] == ".":
        end = 1
        while end < len(rest) and rest[end] in _DIGITS:
            end += 1
        digits = rest[1:end]
        if not 1 <= len(digits) <= 9:
            raise NormalizeError(f"timestamp {value!r} has {len(digits)} fractional digits (0-9 allowed)", reason="bad_timestamp")
        fraction_ns = int(digits) * _FRACTION_SCALE[len(digits)]
        rest = rest[end:]
    if rest in ("Z", "z"):
        offset_s = 0
    elif len(rest) == 6 and rest[0] in "+-" and rest[3] == ":":
        offset_s = (_int(rest[1:3], "offset", value) * 3600 + _int(rest[4:6], "offset", value) * 60)
        if rest[0] == "+":
            offset_s = -offset_s
    else:
        raise NormalizeError(f"timestamp {value!r} has no valid UTC offset", reason="bad_timestamp")
    # A leap second (:60) folds into the next second, as Cloud Logging does.
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second + offset_s
    return seconds * NS_PER_SECOND + fraction_ns


def check_range(ns: int, value: object) -> int:
    if not 0 <= ns <= MAX_NS:
        raise NormalizeError(
            f"timestamp {str(value)[:64]!r} is outside 1970-01-01..2262-04-11, which nanosecond stores can hold",
            reason="timestamp_out_of_range",
        )
    return ns


def parse_duration_seconds(value: object) -> float | None:
    """Protobuf Duration JSON ('0.123s') -> seconds; None when absent or unreadable."""
    if isinstance(value, str) and value.endswith("s"):
        try:
            return float(value[:-1])
        except ValueError:
            return None
    return None


@lru_cache(maxsize=4096)  # entries come in time order: the same second repeats
def _second_text(seconds: int) -> str:
    days, rem = divmod(seconds, 86400)
    year, month, day = _civil_from_days(days)
    hour, rem = divmod(rem, 3600)
    minute, second = divmod(rem, 60)
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"


def format_ns(ns: int) -> str:
    """ns -> '2024-05-01T14:59:59.123456789Z' (always nine digits: Elasticsearch date_nanos)."""
    seconds, nanos = divmod(ns, NS_PER_SECOND)
    return f"{_second_text(seconds)}.{nanos:09d}Z"


def format_us(ns: int) -> str:
    """ns -> '2024-05-01T14:59:59.123456Z' (BigQuery TIMESTAMP keeps microseconds)."""
    seconds, nanos = divmod(ns, NS_PER_SECOND)
    return f"{_second_text(seconds)}.{nanos // 1000:06d}Z"


@lru_cache(maxsize=1024)
def _date_text(days: int) -> str:
    year, month, day = _civil_from_days(days)
    return f"{year:04d}.{month:02d}.{day:02d}"


def utc_date(ns: int) -> str:
    """ns -> 'YYYY.MM.DD', the entry's own UTC day (daily index suffix)."""
    return _date_text(ns // (86400 * NS_PER_SECOND))
