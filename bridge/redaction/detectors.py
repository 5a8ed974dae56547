"""Built-in detectors of personal data and secrets, and user-defined regex detectors.

A detector finds spans in one string: (start, end, canonical value). The canonical value is
what a keyed hash is computed from, so "010-1234-5678" and "+82 10 1234 5678" hash alike.

Every detector also says how the prefilter (bridge/redaction/prefilter.py) tells, without
walking an entry, whether it can act on it: `triggers` are literals every match contains
(digits and separators compared by class); a hit is confirmed on the stretch of digits and
separators around it ("numbers": `min_digits`, and `bare_lengths`, the lengths of plain
digit runs the detector can match), on a window around it ("email"), or not at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from .checks import (
    card_issuer_known,
    card_layout_valid,
    country_code_of,
    jwt_header_valid,
    luhn_valid,
    rrn_checksum_valid,
    rrn_date_valid,
    rrn_random_serial,
)

Span = tuple[int, int, str]

@dataclass(frozen=True, slots=True)
class Detector:
    name: str
    find: Callable[[str], list[Span]]
    # Literals every match contains; None: no cheap necessary condition (always walk).
    triggers: tuple[str, ...] | None
    # Substrings one of which a matching string must contain; None: run `find` directly.
    quick: tuple[str, ...] | None
    min_length: int
    confirm: str | None = None  # "numbers", "email" or None
    bare_lengths: frozenset[int] = frozenset()
    min_digits: int = 0
    # For detectors that only match inside `number_stretches`: find given those, computed once
    # per string for all such detectors.
    find_in: Callable[[str, list[tuple[int, int]]], list[Span]] | None = None


# Digit detectors refuse to start or end inside a longer number or word ("ID12345...",
# "...-1"), so that ids and versions that merely contain a phone-shaped run stay.
_LEFT = r"(?<![0-9A-Za-z])(?<![0-9][-.])"
_RIGHT = r"(?![0-9A-Za-z])(?![-.][0-9])"


def _digits(text: str) -> str:
    return "".join(c for c in text if "0" <= c <= "9")


# Phones, RRNs and cards are made of these characters only and are at least 9 long. The
# detectors run their precise regexes only inside such stretches (plus two characters for
# the look-ahead), which keeps them off the rest of a long text.
_NUMBER_LIKE = re.compile(r"[0-9+(][0-9 ().+\-]{8,}")


def number_stretches(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _NUMBER_LIKE.finditer(text)]


def _in_numbers(pattern: re.Pattern[str], text: str, stretches: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    for start, end in stretches:
        yield from pattern.finditer(text, start, end + 2)


def _whole_text(find_in: Callable[[str, list[tuple[int, int]]], list[Span]]) -> Callable[[str], list[Span]]:
    return lambda text: find_in(text, number_stretches(text))


# --- e-mail ------------------------------------------------------------------------------

# Found from the '@' (or its URL encoding) outwards: the domain forwards, the local part
# backwards (the regex runs on the reversed text; its shape reads the same both ways).
# Matching the whole address from the left would retry every word of a long text.
_EMAIL_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])")
_EMAIL_LOCAL_REVERSED = re.compile(r"[\w%+-]+(?:\.[\w%+-]+)*")
_LONGEST_LOCAL_PART = 256
# Asset names like "logo@2x.png" have the shape of an address; these endings are file
# types, not top-level domains.
_FILE_ENDINGS = frozenset(
    "png jpg jpeg gif svg webp ico bmp tif tiff css js mjs map json xml html htm txt log yaml yml "
    "toml pdf woff woff2 ttf otf mp3 mp4 wav tar gz tgz bz2 whl jar py go rb php java class".split()
)


def email_at(text: str, at: int, not_before: int = 0) -> Span | None:
    """The address whose '@' (or "%40") is at `at`, if there is one."""
    domain = _EMAIL_DOMAIN.match(text, at + (1 if text[at] == "@" else 3))
    if domain is None or domain.group(1).lower() in _FILE_ENDINGS:
        return None
    local = _EMAIL_LOCAL_REVERSED.match(text[max(not_before, at - _LONGEST_LOCAL_PART) : at][::-1])
    if local is None:
        return None
    start = at - local.end()
    return start, domain.end(), f"{text[start:at]}@{domain.group()}".lower()


def _at_signs(text: str) -> list[int]:
    positions = []
    for marker in ("@", "%40"):
        at = text.find(marker)
        while at >= 0:
            positions.append(at)
            at = text.find(marker, at + 1)
    return sorted(positions)


def _find_email(text: str) -> list[Span]:
    spans = []
    done = 0
    for at in _at_signs(text):
        if at >= done:
            span = email_at(text, at, done)
            if span is not None:
                spans.append(span)
                done = span[1]
    return spans


# --- phone numbers -----------------------------------------------------------------------

_SEP = r"[-. ]?"
_KR_AREA = r"(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4])"
_KR_SUBSCRIBER = (
    rf"(?:{_KR_AREA}{_SEP}[2-9][0-9]{{2,3}}"  # landline: area code, 3-4 digit exchange
    rf"|10{_SEP}[0-9]{{4}}|1[16-9]{_SEP}[0-9]{{3,4}}"  # mobile 010, legacy 011/016-019
    rf"|70{_SEP}[0-9]{{4}}|50[2-8]{_SEP}[0-9]{{3,4}})"  # VoIP, personal numbers
    rf"{_SEP}[0-9]{{4}}"
)
_PHONE_KR = re.compile(
    rf"{_LEFT}(?:"
    rf"\(0{_KR_AREA}\) ?[2-9][0-9]{{2,3}}{_SEP}[0-9]{{4}}"  # (02) 123-4567
    rf"|0{_KR_SUBSCRIBER}"
    rf"|(?<!\+)\+82{_SEP}(?:\(0\){_SEP}|0)?{_KR_SUBSCRIBER}"  # +82 10-..., +82 (0)2 ...
    rf"|82{_SEP}0?(?:10{_SEP}[0-9]{{4}}|1[16-9]{_SEP}[0-9]{{3,4}}){_SEP}[0-9]{{4}}"  # SMS gateways: 821012345678
    rf"){_RIGHT}"
)


def _find_phone_kr(text: str, stretches: list[tuple[int, int]]) -> list[Span]:
    if "0" not in text and "82" not in text:  # every form starts with 0 or the country code
        return []
    spans = []
    for m in _in_numbers(_PHONE_KR, text, stretches):
        digits = _digits(m.group())
        if digits.startswith("82"):  # national numbers start with 0; this is the country code
            digits = "0" + digits[2:].removeprefix("0")
        spans.append((m.start(), m.end(), digits))
    return spans


# '+', a country code (closed by ')' in "(+44) 20 ..."), then digit groups split by single separators or a "(0)"/"(415)" group.
_PHONE_INTL = re.compile(
    r"\+(?<![0-9A-Za-z+]\+)[1-9][0-9]*\)?(?:(?:[ .\-]|[ .\-]?\([0-9]{1,4}\)[ .\-]?)[0-9]+)*(?![0-9A-Za-z])"
)
_PHONE_GROUP = re.compile(r"\([0-9]+\)|[0-9]+")


def _international_number(groups: list[str]) -> str | None:
    """Digits of a valid E.164 number made of these groups, or None."""
    digits = "".join(g for g in groups if g != "(0)")  # "(0)" is the trunk prefix dialled at home
    digits = digits.replace("(", "").replace(")", "")
    code = country_code_of(digits)
    if code is None:
        return None
    if code == "1":  # North America: NXX-NXX-XXXX
        national = digits[1:]
        return digits if len(national) == 10 and national[0] >= "2" and national[3] >= "2" else None
    shortest = 10 if len(groups) == 1 else 8  # "+12345678" alone is more often a count than a phone
    return digits if shortest <= len(digits) <= 15 else None


def _find_phone_international(text: str) -> list[Span]:
    spans = []
    for m in _PHONE_INTL.finditer(text):
        groups = [(g.group(), g.end()) for g in _PHONE_GROUP.finditer(m.group())]
        # A number followed by an unrelated count ("+44 20 7946 0958 3 times") loses trailing groups.
        start = m.start()
        if start and text[start - 1] == "(" and m.group().find(")") == len(groups[0][0]) + 1:
            start -= 1  # "(+44) 20 ...": the bracket belongs to the number
        while groups:
            digits = _international_number([g for g, _ in groups])
            if digits is not None:
                spans.append((start, m.start() + groups[-1][1], "+" + digits))
                break
            groups.pop()
    return spans


# --- Korean resident registration number --------------------------------------------------

# The look-behinds come after the first digit, so that the search skips ahead to digits.
_RRN = re.compile(rf"([0-9](?<![0-9A-Za-z][0-9])(?<![0-9][-.][0-9])[0-9]{{5}})([- ]?)([0-9]{{7}}){_RIGHT}")


def _find_rrn(text: str, stretches: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for m in _in_numbers(_RRN, text, stretches):
        digits = m.group(1) + m.group(3)
        # The check digit tells RRNs from corporate registration numbers and epoch-millisecond
        # times of the same shape; numbers of the post-2020 kind have none.
        if not rrn_date_valid(digits) or not (rrn_checksum_valid(digits) or rrn_random_serial(digits)):
            continue
        spans.append((m.start(), m.end(), digits))
    return spans


# --- payment cards -------------------------------------------------------------------------

_CARD_FIRST_DIGITS = "23456"  # no network issues numbers starting with 0, 1, 7, 8 or 9 (of 13+ digits)
_MOST_GROUPS = 5  # the longest layout, 4-4-4-4-3; bounds the search in long runs of numbers
_DIGIT_RUN = re.compile(rf"[0-9](?<![0-9A-Za-z][0-9])(?<![0-9][-.][0-9])[0-9]*(?:[ -][0-9]+)*{_RIGHT}")
_GROUP = re.compile(r"[0-9]+")


def _card_of(chosen: list[re.Match[str]]) -> Span | None:
    digits = "".join(g.group() for g in chosen)
    if digits[0] in _CARD_FIRST_DIGITS and card_issuer_known(digits) and luhn_valid(digits):
        return chosen[0].start(), chosen[-1].end(), digits
    return None


def _card_shaped(chosen: list[re.Match[str]], text: str) -> bool:
    length = sum(g.end() - g.start() for g in chosen)
    if not 13 <= length <= 19 or len(chosen) == 1 and length > 16:
        return False  # unbroken runs of 17-19 digits are resource ids in GCP logs, not cards
    if len({text[g.end()] for g in chosen[:-1]}) > 1:
        return False  # mixed separators
    return card_layout_valid(tuple(g.end() - g.start() for g in chosen))


def _card_in(groups: list[re.Match[str]], text: str) -> Span | None:
    """A run laid out like a card is judged whole; otherwise the longest card made of whole
    consecutive groups, earliest first ("2025 4111 1111 1111 1111", "... 1111 12/25")."""
    if _card_shaped(groups, text):
        return _card_of(groups)
    for first in range(len(groups)):
        for last in range(min(len(groups), first + _MOST_GROUPS) - 1, first - 1, -1):
            chosen = groups[first : last + 1]
            if _card_shaped(chosen, text):
                found = _card_of(chosen)
                if found is not None:
                    return found
    return None


def _find_card(text: str, stretches: list[tuple[int, int]]) -> list[Span]:
    spans = []
    for run in _in_numbers(_DIGIT_RUN, text, stretches):
        number = run.group()
        if len(number) < 13:
            continue
        if number.isdigit():  # one unbroken run: the common case, decided without groups
            if len(number) <= 16 and number[0] in _CARD_FIRST_DIGITS and card_issuer_known(number) and luhn_valid(number):
                spans.append((run.start(), run.end(), number))
            continue
        groups = list(_GROUP.finditer(text, run.start(), run.end()))
        while groups:
            found = _card_in(groups, text)
            if found is None:
                break
            spans.append(found)
            groups = [g for g in groups if g.start() >= found[1]]
    return spans


# --- tokens and keys ---------------------------------------------------------------------------

_BEARER = re.compile(r"\b(?i:bearer)(?:\s+|%20|\+)([A-Za-z0-9\-._~+/]+=*)|\b(ya29\.[A-Za-z0-9_\-]{20,})")


def _looks_random(token: str) -> bool:
    """Real tokens mix digits or cases; "Bearer authentication" or "Bearer YOUR_TOKEN" do not."""
    if len(token) < 16:
        return False
    return any(c.isdigit() for c in token) or (token.upper() != token and token.lower() != token)


def _find_bearer(text: str) -> list[Span]:
    spans = []
    for m in _BEARER.finditer(text):
        group = 1 if m.group(1) is not None else 2
        token = m.group(group)
        if group == 1 and not _looks_random(token):
            continue
        spans.append((m.start(group), m.end(group), token))
    return spans


# Literal first, then the look-behind: a pattern that starts with a literal is searched fast.
# A JWE (encrypted: header, key, iv, ciphertext, tag) or a JWS (header, payload, signature).
_JWT = re.compile(
    r"(eyJ(?<![A-Za-z0-9_\-]eyJ)[A-Za-z0-9_\-]{4,})"
    r"(?:\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+|\.ey[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*)"
    r"(?![A-Za-z0-9_\-])"
)


def _find_jwt(text: str) -> list[Span]:
    return [(m.start(), m.end(), m.group()) for m in _JWT.finditer(text) if jwt_header_valid(m.group(1))]


# PEM private keys (PKCS#8 as in service-account JSON, RSA, EC, OpenSSH, encrypted), with real
# newlines or "\n" escapes when a key file was logged as text; truncated keys are cut at the
# first character that cannot be part of a key.
_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----([\sA-Za-z0-9+/=:,\\-]*?)"
    r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|(?=[^\sA-Za-z0-9+/=:,\\-]|\Z))"
)
_KEY_BODY = re.compile(r"\\[nrt]|[^A-Za-z0-9+/=]")


def _find_private_key(text: str) -> list[Span]:
    spans = []
    for m in _PRIVATE_KEY.finditer(text):
        if len(_KEY_BODY.sub("", m.group(1))) >= 40:
            spans.append((m.start(), m.end(), m.group()))
    return spans


_API_KEY = re.compile(r"AIza(?<![A-Za-z0-9_\-]AIza)[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])")


def _find_api_key(text: str) -> list[Span]:
    return [(m.start(), m.end(), m.group()) for m in _API_KEY.finditer(text)]


# --- IP addresses ----------------------------------------------------------------------

_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_IPV4_BODY = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_IPV4 = re.compile(rf"(?<![0-9A-Za-z.]){_IPV4_BODY}(?![0-9A-Za-z])(?!\.[0-9])")
# "version 1.2.3.4", "Chrome/120.0.1.2": a dotted quad after a version word or a product name.
_VERSION_BEFORE = re.compile(r"(?:\b(?i:version|ver|rev|release|build|v)[\s:=]*|[A-Za-z][\w.-]*/)\Z")


def _find_ipv4(text: str) -> list[Span]:
    spans = []
    for m in _IPV4.finditer(text):
        if _VERSION_BEFORE.search(text, max(0, m.start() - 32), m.start()):
            continue
        spans.append((m.start(), m.end(), m.group()))
    return spans


_H = r"[0-9A-Fa-f]{1,4}"
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:.])(?:"
    rf"(?:{_H}:){{6}}{_IPV4_BODY}"
    rf"|::(?:[fF]{{4}}(?::0{{1,4}})?:)?{_IPV4_BODY}"
    rf"|(?:{_H}:){{1,4}}:{_IPV4_BODY}"
    rf"|(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,6}}:{_H}"
    rf"|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}"
    rf"|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}"
    rf"|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}"
    rf"|:(?::{_H}){{1,7}}"
    rf"|(?:{_H}:){{1,7}}:"
    r")(?![0-9A-Za-z:])(?!\.[0-9])"
)


def _find_ipv6(text: str) -> list[Span]:
    # No decimal digit at all ("db::add", "cafe::babe") is a language's scope operator.
    return [(m.start(), m.end(), m.group().lower()) for m in _IPV6.finditer(text) if any(c.isdigit() for c in m.group())]



# Every phone, RRN or card shape has 7 digits in a row or "ddd-dddd" (a phone's last two
# groups, a card's first two); ISO dates and times have neither.
_DIGIT_TRIGGERS = ("1234567", "123-4567")

BUILTIN: dict[str, Detector] = {
    d.name: d
    for d in (
        Detector("email", _find_email, ("@", "%40"), ("@", "%40"), 6, "email"),
        Detector("phone_international", _find_phone_international, ("+1",), ("+",), 9, "numbers", frozenset(), 8),
        Detector("phone_kr", _whole_text(_find_phone_kr), _DIGIT_TRIGGERS, None, 9, "numbers", frozenset({9, 10, 11, 12, 13}), 9, _find_phone_kr),
        Detector("kr_rrn", _whole_text(_find_rrn), _DIGIT_TRIGGERS, None, 13, "numbers", frozenset({13}), 13, _find_rrn),
        Detector("payment_card", _whole_text(_find_card), _DIGIT_TRIGGERS, None, 13, "numbers", frozenset({13, 14, 15, 16}), 13, _find_card),
        Detector("bearer_token", _find_bearer, ("earer", "EARER", "ya29."), ("earer", "EARER", "ya29."), 21),
        Detector("jwt", _find_jwt, ("eyJ",), ("eyJ",), 20),
        Detector("gcp_private_key", _find_private_key, ("PRIVATE KEY",), ("PRIVATE KEY",), 60),
        Detector("gcp_api_key", _find_api_key, ("AIza",), ("AIza",), 39),
        Detector("ipv4", _find_ipv4, ("1.1",), (".",), 7),
        Detector("ipv6", _find_ipv6, None, (":",), 3),
    )
}


def pattern_detector(
    name: str,
    pattern: str,
    *,
    ignore_case: bool = False,
    group: int | str = 0,
    literals: tuple[str, ...] | None = None,
    min_length: int = 1,
) -> Detector:
    """A user-defined detector; raises re.error or ValueError for a bad pattern or group."""
    compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    if isinstance(group, str) and group not in compiled.groupindex or isinstance(group, int) and not 0 <= group <= compiled.groups:
        raise ValueError(f"pattern has no group {group!r}")
    if compiled.search("") is not None:
        raise ValueError("pattern matches the empty string")

    def find(text: str) -> list[Span]:
        spans = []
        for m in compiled.finditer(text):
            start, end = m.span(group)
            if end > start:
                spans.append((start, end, m.group(group)))
        return spans

    # Case-insensitive literals cannot be searched for as they are; fall back to walking.
    triggers = None if ignore_case else literals
    return Detector(name, find, triggers, None if ignore_case else literals, min_length)
