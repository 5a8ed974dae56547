"""Pure validity checks the detectors run on a candidate after the regex matched its shape."""
from __future__ import annotations

import base64
import binascii
import calendar
import operator

import orjson

# E.164 country calling codes in service (ITU-T, 2024). The set is prefix-free, so the
# first 1 to 3 digits after '+' name at most one country.
_COUNTRY_CODES = frozenset(
    "1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 "
    "211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 "
    "236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 "
    "257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 "
    "350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 "
    "382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 "
    "590 591 592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 "
    "682 683 685 686 687 688 689 690 691 692 800 808 850 852 853 855 856 870 878 880 881 "
    "882 883 886 888 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 "
    "979 992 993 994 995 996 998".split()
)


def country_code_of(digits: str) -> str | None:
    """The E.164 country code a '+'-number starts with, or None when no country has it."""
    for size in (1, 2, 3):
        if digits[:size] in _COUNTRY_CODES:
            return digits[:size]
    return None


_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")  # 2d, minus 9 when that has two digits


def luhn_valid(digits: str) -> bool:
    return (sum(map(int, digits[-1::-2])) + sum(map(int, digits[-2::-2].translate(_LUHN_DOUBLED)))) % 10 == 0


# (first digits, allowed lengths): issuer identification ranges of the card networks.
# Ranges are expanded to their prefixes so the lookup is a handful of dict probes.
def _card_prefixes() -> dict[str, frozenset[int]]:
    table: dict[str, frozenset[int]] = {}

    def add(first: int, last: int, lengths: range | tuple[int, ...]) -> None:
        for prefix in range(first, last + 1):
            key = str(prefix)
            table[key] = table.get(key, frozenset()) | frozenset(lengths)

    add(4, 4, (13, 16, 19))  # Visa
    add(51, 55, (16,))  # Mastercard
    add(2221, 2720, (16,))  # Mastercard 2-series
    add(34, 34, (15,))  # American Express
    add(37, 37, (15,))
    add(6011, 6011, range(16, 20))  # Discover
    add(644, 649, range(16, 20))
    add(65, 65, range(16, 20))
    add(300, 305, range(14, 20))  # Diners Club
    add(36, 36, range(14, 20))
    add(38, 39, range(14, 20))
    add(3095, 3095, range(14, 20))
    add(3528, 3589, range(16, 20))  # JCB
    add(62, 62, range(16, 20))  # UnionPay
    add(2200, 2204, range(16, 20))  # Mir
    add(60, 60, (16,))  # RuPay
    add(508, 508, (16,))
    for maestro in (5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763):
        add(maestro, maestro, range(13, 20))
    return table


_CARD_PREFIXES = _card_prefixes()


def card_issuer_known(digits: str) -> bool:
    """True when some card network issues numbers of this length starting with these digits."""
    length = len(digits)
    for size in (1, 2, 3, 4):
        lengths = _CARD_PREFIXES.get(digits[:size])
        if lengths is not None and length in lengths:
            return True
    return False


# Group layouts printed on cards: 4-4-4-4, 4-4-4-4-3 (19 digits), shorter ones for 13-15
# digits, Amex 4-6-5, Diners 4-6-4. A number split any other way is some other identifier.
_CARD_LAYOUTS = frozenset({(4, 4, 4, 4), (4, 4, 4, 4, 3), (4, 4, 4, 1), (4, 4, 4, 2), (4, 4, 4, 3), (4, 4, 5), (4, 6, 5), (4, 6, 4)})


def card_layout_valid(groups: tuple[int, ...]) -> bool:
    return len(groups) == 1 or groups in _CARD_LAYOUTS


# Gender/century digit of a resident registration number: 1-4 citizens, 5-8 foreign residents.
_RRN_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000, "8": 2000}
_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_date_valid(digits: str) -> bool:
    """YYMMDD is a real date in the century the gender digit names."""
    century = _RRN_CENTURY.get(digits[6])
    month = int(digits[2:4])
    day = int(digits[4:6])
    if century is None or not 1 <= month <= 12 or day < 1:
        return False
    return day <= 28 or day <= calendar.monthrange(century + int(digits[0:2]), month)[1]


def rrn_checksum_valid(digits: str) -> bool:
    """The check digit of numbers issued before October 2020; foreign residents' (gender
    digit 5-8) use 13 where citizens' use 11."""
    total = sum(map(operator.mul, map(int, digits[:12]), _RRN_WEIGHTS))
    base = 13 if digits[6] in "5678" else 11
    return (base - total % 11) % 10 == int(digits[12])


def rrn_random_serial(digits: str) -> bool:
    """Numbers issued since October 2020 have a random serial and no check digit."""
    return digits[6] in "3478" and int(digits[0:2]) >= 20


def jwt_header_valid(header: str) -> bool:
    """The first JWT segment is base64url of a JSON object naming its algorithm."""
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return False
    return isinstance(decoded, dict) and ("alg" in decoded or "typ" in decoded or "enc" in decoded)
