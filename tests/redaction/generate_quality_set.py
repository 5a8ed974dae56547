"""Writes the labelled redaction quality set: positives.jsonl and negatives.jsonl.

    python tests/redaction/generate_quality_set.py

Deterministic (fixed seed): running it again gives the committed files byte for byte, which
tests/unit/test_redact_quality.py checks. Each line is
{"detector": ..., "text": ..., "value": ..., "note": ...}: a positive's `value` is the
personal datum or secret inside `text` that must be covered; a negative's `detector` names
the family it is a near miss for ("none": an ordinary log line) and `value` is empty.

Values are made the way the real ones are (valid dates and check digits where the issuer
computes them, assigned area and country codes); the contexts are the places they show up
in logs: plain text, key=value, JSON, URLs, CSV/TSV, Korean sentences, exception messages.
Hand-written examples in handwritten.jsonl are appended as they are.
"""
from __future__ import annotations

import base64
import calendar
import hashlib
import json
import random
import string
import uuid
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
SEED = 8
PER_FAMILY = 130

Example = dict[str, str]


def luhn_complete(body: str) -> str:
    """body + the check digit that makes the whole number pass Luhn."""
    total = 0
    for position, char in enumerate(reversed(body)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return body + str((10 - total % 10) % 10)


def luhn_break(number: str) -> str:
    """The same number with a wrong check digit."""
    return number[:-1] + str((int(number[-1]) + 1 + int(number[0]) % 8) % 10)


def digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


# --- contexts --------------------------------------------------------------------------------

_CONTEXTS = [
    ("{v}", "bare"),
    ("2024-03-15T10:22:01.123Z INFO request handled user={v} status=200", "key=value log line"),
    ('{{"level":"info","msg":"signup","contact":"{v}","latency_ms":12}}', "JSON log line"),
    ("contact: {v}", "label"),
    ("고객 연락처는 {v} 입니다", "Korean sentence"),
    ("java.lang.IllegalArgumentException: invalid value '{v}' for field", "exception message"),
    ("2024-01-01,{v},OK,3", "CSV row"),
    ("name\t{v}\tactive", "TSV row"),
    ("failed to deliver to ({v}); retrying in 5s", "parenthesised"),
    ("line one\n{v}\nline three", "multi-line text"),
    ('user "{v}" not found', "quoted"),
    ("[worker-3] processing record <{v}>", "angle brackets"),
]


def in_context(rng: random.Random, value: str, detector: str, note: str, contexts=None) -> Example:
    template, where = rng.choice(contexts or _CONTEXTS)
    return {"detector": detector, "text": template.format(v=value), "value": value, "note": f"{note}; {where}"}


# --- positives -------------------------------------------------------------------------------

_FIRST = ["john", "jane", "minji", "jiwoo", "seojun", "alex", "maria", "wei", "yuki", "priya", "kim", "lee", "park", "o.brien", "anne-marie"]
_LAST = ["doe", "smith", "kim", "lee", "park", "choi", "jung", "nguyen", "garcia", "mueller", "tanaka", "patel"]
_DOMAINS = [
    "gmail.com", "naver.com", "daum.net", "hanmail.net", "kakao.com", "outlook.com", "yahoo.co.jp", "163.com",
    "example.com", "example.co.kr", "corp.example.org", "mail.dept.univ.ac.kr", "company.io", "startup.dev",
    "xn--9n2bp8q.com", "shop.example.shop", "hospital.or.kr", "gov.example.go.kr",
]


def email_value(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = rng.choice([
        f"{first}.{last}", f"{first}_{last}", f"{first}{last}{rng.randint(1, 999)}", f"{first[0]}{last}",
        f"{first}+{rng.choice(['newsletter', 'test', 'gcp', 'k8s'])}", f"{first}-{last}", f"{last}.{first}.{rng.randint(70, 99)}",
        "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(rng.randint(4, 14))),
    ])
    if rng.random() < 0.15:
        local = local.capitalize()
    return f"{local}@{rng.choice(_DOMAINS)}", "address"


def email_examples(rng: random.Random) -> list[Example]:
    examples = []
    for i in range(PER_FAMILY):
        value, note = email_value(rng)
        kind = i % 9
        if kind == 6:
            value = value.upper()
            examples.append({"detector": "email", "text": f"NOTIFY {value}.", "value": value, "note": "upper case, sentence end"})
        elif kind == 7:
            examples.append({"detector": "email", "text": f"{value}으로 인증 메일을 보냈습니다", "value": value, "note": "Korean particle right after the address"})
        elif kind == 8:
            encoded = quote(value, safe="")
            examples.append({"detector": "email", "text": f"GET /v2/users/{encoded}/profile HTTP/2", "value": encoded, "note": "URL-encoded in a path"})
        elif kind == 0:  # in a URL query, percent-encoded as browsers and SDKs send it
            encoded = quote(value, safe="")
            text = f"GET /api/v1/users?email={encoded}&page=2 HTTP/1.1"
            examples.append({"detector": "email", "text": text, "value": encoded, "note": "URL-encoded in a query string"})
        elif kind == 1:
            examples.append({"detector": "email", "text": f"<a href=\"mailto:{value}\">write us</a>", "value": value, "note": "mailto link"})
        elif kind == 2:
            examples.append({"detector": "email", "text": f"From: \"{value.split('@')[0]}\" <{value}>", "value": value, "note": "mail header"})
        else:
            examples.append(in_context(rng, value, "email", note))
    return examples


# (country code, national number shapes as group sizes, the first digits a national number may have)
_INTERNATIONAL = [
    ("1", [(3, 3, 4)], "2345678"),
    ("44", [(2, 4, 4), (4, 6)], "1237"),
    ("49", [(2, 8), (3, 8), (3, 7)], "2345678"),
    ("33", [(1, 2, 2, 2, 2)], "1234567"),
    ("81", [(1, 4, 4), (2, 4, 4)], "3679"),
    ("86", [(3, 4, 4), (2, 8)], "1"),
    ("61", [(1, 4, 4), (3, 3, 3)], "2348"),
    ("91", [(5, 5)], "6789"),
    ("65", [(4, 4)], "689"),
    ("852", [(4, 4)], "2569"),
    ("55", [(2, 5, 4)], "1234"),
    ("7", [(3, 3, 2, 2)], "49"),
    ("34", [(3, 2, 2, 2)], "679"),
    ("39", [(2, 4, 4), (3, 3, 4)], "03"),
    ("31", [(2, 3, 4), (1, 8)], "126"),
    ("971", [(2, 3, 4)], "25"),
    ("84", [(2, 3, 2, 2)], "239"),
    ("66", [(1, 3, 4)], "2689"),
    ("62", [(2, 4, 4)], "28"),
    ("353", [(1, 3, 4)], "1"),
    ("64", [(2, 3, 4)], "29"),
    ("27", [(2, 3, 4)], "1"),
]


def international_value(rng: random.Random) -> tuple[str, str]:
    code, shapes, leading = rng.choice(_INTERNATIONAL)
    shape = rng.choice(shapes)
    groups = [digits(rng, size) for size in shape]
    groups[0] = rng.choice(leading) + groups[0][1:]
    if code == "1":
        groups[1] = rng.choice("23456789") + groups[1][1:]
    style = rng.randrange(6)
    if style == 0:
        return f"+{code}{''.join(groups)}", f"+{code} compact E.164"
    if style == 1:
        return f"+{code}-{'-'.join(groups)}", f"+{code} dashes"
    if style == 2 and code in ("44", "49", "39", "31", "61", "64"):
        return f"+{code} (0){groups[0]} {' '.join(groups[1:])}", f"+{code} with trunk (0)"
    if style == 3 and code == "1":
        return f"+1 ({groups[0]}) {groups[1]}-{groups[2]}", "+1 parenthesised area code"
    if style == 4:
        return f"+{code}.{'.'.join(groups)}", f"+{code} dots"
    if style == 5 and rng.random() < 0.4:
        return f"(+{code}) {' '.join(groups)}", f"(+{code}) parenthesised country code"
    return f"+{code} {' '.join(groups)}", f"+{code} spaces"


def international_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        value, note = international_value(rng)
        examples.append(in_context(rng, value, "phone_international", note))
    return examples


_KR_AREAS = ["02", "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061", "062", "063", "064"]


def kr_phone_value(rng: random.Random) -> tuple[str, str]:
    kind = rng.randrange(10)
    if kind < 5:
        prefix, middle, note = "010", digits(rng, 4), "mobile 010"
        middle = rng.choice("23456789") + middle[1:]
    elif kind < 6:
        prefix = rng.choice(["011", "016", "017", "018", "019"])
        middle, note = rng.choice("23456789") + digits(rng, rng.choice([2, 3])), f"legacy mobile {prefix}"
    elif kind < 9:
        prefix = rng.choice(_KR_AREAS)
        middle, note = rng.choice("23456789") + digits(rng, rng.choice([2, 3])), f"landline {prefix}"
    else:
        prefix, middle, note = "070", rng.choice("2345678") + digits(rng, 3), "VoIP 070"
    last = digits(rng, 4)
    style = rng.randrange(9)
    if style < 4:
        return f"{prefix}-{middle}-{last}", note + ", dashes"
    if style == 4:
        return f"{prefix} {middle} {last}", note + ", spaces"
    if style == 5:
        return f"{prefix}{middle}{last}", note + ", no separators"
    if style == 6:
        return f"{prefix}.{middle}.{last}", note + ", dots"
    if style == 7 and prefix in _KR_AREAS:
        return f"({prefix}) {middle}-{last}", note + ", parenthesised area code"
    national = prefix[1:]
    if prefix.startswith("01") and rng.random() < 0.3:  # SMS gateways write E.164 without the plus
        return rng.choice([f"82{national}{middle}{last}", f"82-{national}-{middle}-{last}"]), note + ", 82 without plus"
    international = rng.choice([f"+82 {national}-{middle}-{last}", f"+82-{national}-{middle}-{last}", f"+82{national}{middle}{last}", f"+82 (0){national} {middle} {last}"])
    return international, note + ", +82 form"


def kr_phone_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        value, note = kr_phone_value(rng)
        examples.append(in_context(rng, value, "phone_kr", note))
    return examples


_RRN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def rrn_value(rng: random.Random) -> tuple[str, str, str]:
    """(digits, form note, kind note) of a resident registration number as issued."""
    foreign = rng.random() < 0.15
    new_style = rng.random() < 0.15  # issued since October 2020: random serial, no check digit
    if new_style:
        year = rng.randint(2020, 2024)
    else:
        year = rng.randint(1930, 2019)
    month = rng.randint(1, 12)
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    if new_style and (year, month) < (2020, 10):
        month, day = rng.randint(10, 12), rng.randint(1, 28)
        year = max(year, 2020)
    male = rng.random() < 0.5
    century = 0 if year < 2000 else 2
    gender = (1 if male else 2) + century + (4 if foreign else 0)
    head = f"{year % 100:02d}{month:02d}{day:02d}{gender}"
    if new_style:
        number = head + digits(rng, 6)
    else:
        body = head + digits(rng, 5)
        total = sum(int(d) * w for d, w in zip(body, _RRN_WEIGHTS))
        base = 13 if foreign else 11
        number = body + str((base - total % 11) % 10)
    kind = ("foreign resident" if foreign else "citizen") + (", issued after 2020-10" if new_style else "")
    return number, kind, f"born {year}-{month:02d}-{day:02d}"


def rrn_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        number, kind, born = rrn_value(rng)
        style = rng.randrange(10)
        if style < 7:
            value, form = f"{number[:6]}-{number[6:]}", "dash"
        elif style < 8:
            value, form = f"{number[:6]} {number[6:]}", "space"
        else:
            value, form = number, "no separator"
        examples.append(in_context(rng, value, "kr_rrn", f"{kind}, {born}, {form}"))
    return examples


# (brand, prefixes, length)
_CARDS = [
    ("Visa", ["4"], 16), ("Visa", ["4"], 13), ("Mastercard", ["51", "52", "53", "54", "55"], 16),
    ("Mastercard 2-series", ["2221", "2300", "2500", "2720"], 16), ("Amex", ["34", "37"], 15),
    ("Discover", ["6011", "65", "644"], 16), ("JCB", ["3528", "3566", "3589"], 16), ("Diners", ["36", "38"], 14),
    ("UnionPay", ["62"], 16), ("UnionPay", ["62"], 19), ("Maestro", ["6759", "5018"], 16),
]


def card_number(rng: random.Random) -> tuple[str, str]:
    brand, prefixes, length = rng.choice(_CARDS)
    prefix = rng.choice(prefixes)
    return luhn_complete(prefix + digits(rng, length - len(prefix) - 1)), brand


def card_layout(number: str) -> list[str]:
    if len(number) == 15:
        return [number[:4], number[4:10], number[10:]]
    if len(number) == 14:
        return [number[:4], number[4:10], number[10:]]
    return [number[i : i + 4] for i in range(0, len(number), 4)]


def card_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        number, brand = card_number(rng)
        style = rng.randrange(3)
        if style == 0 or len(number) > 16:  # long numbers are printed grouped
            value, form = " ".join(card_layout(number)), "spaces"
        elif style == 1:
            value, form = "-".join(card_layout(number)), "dashes"
        else:
            value, form = number, "no separators"
        contexts = _CONTEXTS + [
            ("payment declined card={v} amount=12000 KRW", "payment log"),
            ('{{"pan":"{v}","exp":"12/27"}}', "JSON payload"),
            ("POST /checkout?card_number={v}&cvc=123", "URL query"),
        ]
        examples.append(in_context(rng, value, "payment_card", f"{brand} {len(number)} digits, {form}", contexts))
    return examples


_URL_SAFE = string.ascii_letters + string.digits + "-_"


def random_token(rng: random.Random, length: int, alphabet: str = _URL_SAFE) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def bearer_examples(rng: random.Random) -> list[Example]:
    examples = []
    for i in range(PER_FAMILY):
        kind = i % 5
        if kind == 0:
            token, note = "ya29." + random_token(rng, rng.randint(60, 160)), "Google OAuth access token"
        elif kind == 1:
            token, note = random_token(rng, 40, string.hexdigits.lower()[:16]), "opaque hex token"
        elif kind == 2:
            token, note = random_token(rng, rng.randint(20, 64), string.ascii_letters + string.digits + "+/") + rng.choice(["", "=", "=="]), "base64 token"
        elif kind == 3:
            token, note = "gho_" + random_token(rng, 36, string.ascii_letters + string.digits), "prefixed API token"
        else:
            token, note = random_token(rng, rng.randint(24, 48)), "opaque url-safe token"
        if token.startswith("ya29.") and rng.random() < 0.4:
            examples.append(in_context(rng, token, "bearer_token", note + " without the Bearer keyword"))
            continue
        template, where = rng.choice([
            ("Authorization: Bearer {t}", "header line"),
            ("authorization: bearer {t}", "lower-case header"),
            ('{{"headers":{{"Authorization":"Bearer {t}"}}}}', "JSON headers"),
            ("GET /v1/items?access=Bearer%20{t} HTTP/1.1", "URL-encoded in a query"),
            ("curl -H 'Authorization: Bearer {t}' https://api.example.com/v1/me", "curl command"),
            ("upstream request failed: Bearer {t} rejected (401)", "error message"),
            ("Authorization:Bearer {t}", "no space after the colon"),
            ("body: grant=refresh&auth=Bearer+{t}&x=1", "form-encoded, '+' for the space"),
        ])
        examples.append({"detector": "bearer_token", "text": template.format(t=token), "value": token, "note": f"{note}; {where}"})
    return examples


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_value(rng: random.Random) -> tuple[str, str]:
    alg = rng.choice(["HS256", "RS256", "ES256", "HS512", "none"])
    header = {"alg": alg, "typ": "JWT"} if rng.random() < 0.7 else {"alg": alg, "kid": random_token(rng, 12)}
    payload = {"sub": str(rng.randint(10**5, 10**9)), "iat": rng.randint(1_600_000_000, 1_750_000_000)}
    if rng.random() < 0.5:
        payload["email"] = email_value(rng)[0]
    if rng.random() < 0.5:
        payload["scope"] = "openid profile"
    signature_bytes = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64, "none": 0}[alg]
    signature = b64url(bytes(rng.randrange(256) for _ in range(signature_bytes)))
    token = f"{b64url(json.dumps(header, separators=(',', ':')).encode())}.{b64url(json.dumps(payload, separators=(',', ':')).encode())}.{signature}"
    return token, f"JWT {alg}"


def jwe_value(rng: random.Random) -> tuple[str, str]:
    header = b64url(json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": random_token(rng, 8)}, separators=(",", ":")).encode())
    parts = [header] + [b64url(bytes(rng.randrange(256) for _ in range(size))) for size in (256, 12, rng.randint(40, 300), 16)]
    return ".".join(parts), "JWE (encrypted, five parts)"


def jwt_examples(rng: random.Random) -> list[Example]:
    examples = []
    for i in range(PER_FAMILY):
        token, note = jwe_value(rng) if i % 10 == 9 else jwt_value(rng)
        contexts = [
            ("id_token={v}", "form field"),
            ("GET /callback?code=abc&id_token={v}&state=xyz HTTP/1.1", "URL query"),
            ("Set-Cookie: session={v}; Path=/; HttpOnly", "cookie"),
            ('{{"access_token":"{v}","expires_in":3600}}', "JSON token response"),
            ("{v}", "bare"),
            ("verifying token {v} failed: expired", "error message"),
        ]
        examples.append(in_context(rng, token, "jwt", note, contexts))
    return examples


def pem_body(rng: random.Random, size: int) -> list[str]:
    encoded = base64.b64encode(bytes(rng.randrange(256) for _ in range(size))).decode()
    return [encoded[i : i + 64] for i in range(0, len(encoded), 64)]


def private_key_examples(rng: random.Random) -> list[Example]:
    examples = []
    for i in range(PER_FAMILY):
        label, size = rng.choice([("PRIVATE KEY", 1218), ("PRIVATE KEY", 1217), ("RSA PRIVATE KEY", 1192), ("EC PRIVATE KEY", 121), ("ENCRYPTED PRIVATE KEY", 1298), ("OPENSSH PRIVATE KEY", 400)])
        lines = pem_body(rng, size)
        kind = i % 6
        if kind == 4:  # a Kubernetes Secret or config printed as YAML, indented
            value = f"-----BEGIN {label}-----\n    " + "\n    ".join(lines) + f"\n    -----END {label}-----"
            text = f"data:\n  tls.key: |\n    {value}\n"
            note = "indented YAML block"
        elif kind == 5:  # Windows line ends
            value = f"-----BEGIN {label}-----\r\n" + "\r\n".join(lines) + f"\r\n-----END {label}-----"
            text = f"key file contents: {value}\r\n"
            note = "CRLF line ends"
        elif kind == 0:  # a service-account key file logged as JSON text: newlines are "\n" escapes
            pem = f"-----BEGIN {label}-----\\n" + "\\n".join(lines) + f"\\n-----END {label}-----\\n"
            value = pem[: pem.rindex("-----") + 5]
            project = rng.choice(["prod-payments", "my-project-1234", "data-lake"])
            text = json.dumps({
                "type": "service_account", "project_id": project, "private_key_id": hashlib.sha1(value.encode()).hexdigest(),
                "private_key": "@@KEY@@", "client_email": f"loader@{project}.iam.gserviceaccount.com",
            }).replace("@@KEY@@", pem)
            note = "service-account JSON as text"
        elif kind == 1:  # the key itself with real newlines
            value = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"
            text = f"loaded credentials:\n{value}\n"
            note = "PEM with newlines"
        elif kind == 2:  # a log line cut at a size limit in the middle of the key
            full = f"-----BEGIN {label}-----\\n" + "\\n".join(lines)
            value = full[: rng.randint(120, min(400, len(full)))]
            value = value.rstrip("\\n")
            text = f'config dump: {{"private_key": "{value}'
            note = "truncated log line"
        else:
            value = f"-----BEGIN {label}-----" + "".join(lines) + f"-----END {label}-----"
            text = f"GOOGLE_CREDENTIALS_KEY={value}"
            note = "PEM on one line"
        examples.append({"detector": "gcp_private_key", "text": text, "value": value, "note": f"{label}; {note}"})
    return examples


def api_key_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        key = "AIza" + random_token(rng, 35)
        contexts = [
            ("GET https://maps.googleapis.com/maps/api/geocode/json?address=Seoul&key={v} HTTP/1.1", "URL query"),
            ("apiKey: {v}", "config line"),
            ('{{"apiKey":"{v}","authDomain":"app.firebaseapp.com"}}', "Firebase config"),
            ("GOOGLE_API_KEY={v}", "environment dump"),
            ("{v}", "bare"),
            ("request denied for key {v}: API not enabled", "error message"),
        ]
        examples.append(in_context(rng, key, "gcp_api_key", "Google API key", contexts))
    return examples


def ipv4_value(rng: random.Random) -> str:
    first = rng.choice([10, 172, 192, 34, 35, 8, 203, 104, 1, 100, 255, 127])
    return ".".join(str(x) for x in (first, rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))


def ipv4_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        value = ipv4_value(rng)
        contexts = _CONTEXTS + [
            ("{v}:8080", "with a port"),
            ("GET http://{v}/healthz HTTP/1.1", "URL host"),
            ("X-Forwarded-For: {v}, 10.0.0.2", "forwarded-for list"),
            ('{{"remoteIp":"{v}","status":200}}', "JSON field"),
            ("connection from {v} port 53211", "sshd line"),
            ("allow {v}/32 on port 443", "CIDR"),
            ("IP:{v}", "label without space"),
        ]
        examples.append(in_context(rng, value, "ipv4", "IPv4 address", contexts))
    return examples


def ipv6_value(rng: random.Random) -> tuple[str, str]:
    groups = [f"{rng.randrange(65536):x}" for _ in range(8)]
    groups[0] = rng.choice(["2001", "2600", "2a00", "fe80", "fd12", "2404"])
    style = rng.randrange(5)
    if style == 0:
        return ":".join(f"{int(g, 16):04x}" for g in groups), "full form"
    if style == 1:
        cut = rng.randint(1, 6)
        length = rng.randint(1, 7 - cut)
        return ":".join(groups[:cut]) + "::" + ":".join(groups[cut + length :]), "compressed"
    if style == 2:
        return "::ffff:" + ipv4_value(rng), "IPv4-mapped"
    if style == 3:
        return ":".join(groups), "no leading zeros"
    return rng.choice(["::1", "fe80::1", "2001:db8::" + groups[7]]), "short"


def ipv6_examples(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(PER_FAMILY):
        value, note = ipv6_value(rng)
        contexts = _CONTEXTS + [
            ("[{v}]:443", "bracketed with a port"),
            ("GET http://[{v}]/ HTTP/1.1", "URL host"),
            ('{{"callerIp":"{v}"}}', "JSON field"),
            ("route {v}/64 via eth0", "prefix"),
        ]
        if rng.random() < 0.1:
            value = value.upper()
        examples.append(in_context(rng, value, "ipv6", note, contexts))
    return examples


# --- negatives -------------------------------------------------------------------------------


def negative(detector: str, text: str, note: str) -> Example:
    return {"detector": detector, "text": text, "value": "", "note": note}


def email_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(40):
        name = rng.choice(["logo", "icon", "hero", "avatar", "banner", "sprite"])
        examples.append(negative("email", f"GET /static/img/{name}@{rng.choice(['2x', '3x'])}.{rng.choice(['png', 'webp', 'jpg', 'svg'])} 200", "retina asset name"))
    for _ in range(30):
        package = rng.choice(["react", "lodash", "@angular/core", "@types/node", "express", "typescript"])
        examples.append(negative("email", f"npm install {package}@{rng.randint(1, 20)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}", "package@version"))
    for _ in range(30):
        digest = hashlib.sha256(str(rng.random()).encode()).hexdigest()
        examples.append(negative("email", f"pulling image gcr.io/proj/app@sha256:{digest}", "image digest"))
    for _ in range(30):
        examples.append(negative("email", rng.choice([
            f"ssh root@bastion-{rng.randint(1, 9)} -p 22",
            f"user@localhost login ok (uid={rng.randint(1000, 2000)})",
            f"connecting to postgres://app@db-{rng.randint(1, 9)}:5432/app",
            f"{rng.choice(_FIRST)}@{rng.choice(['host', 'build-agent', 'node7'])} ran job {rng.randint(1, 999)}",
            f"@channel deploy {rng.randint(100, 999)} finished",
            "\"@type\": \"type.googleapis.com/google.cloud.audit.AuditLog\"",
            f"rate {rng.randint(1, 99)} @ {rng.randint(1, 9)}.{rng.randint(0, 99)} req/s",
            "annotation @Override on method toString",
            f"a@b.c is not a valid address (seen {rng.randint(1, 50)} times)",
            "info@@example.com rejected as malformed",
            f"{rng.choice(['foo', 'bar'])}@{rng.choice(['example', 'corp'])} has no domain suffix",
            f"archive backup@v{rng.randint(1, 9)}.tar.gz uploaded",
            "<button @click.prevent=\"save\">",
            f"@media screen and (max-width: {rng.randint(300, 1200)}px)",
            f"route registered by @app.route('/items/{rng.randint(1, 99)}')",
            f"cc @{rng.choice(_FIRST)}.{rng.choice(_LAST)} please review",
        ]), "address-like but not an address"))
    return examples


def phone_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(50):
        examples.append(negative("phone_international", rng.choice([
            f"time=2024-03-15T10:22:01+0{rng.randint(0, 9)}:00",
            f"[26/Apr/2022:22:53:36 +0{rng.randint(1, 9)}00] \"GET / HTTP/1.1\" 200 {rng.randint(100, 99999)}",
            f"timezone UTC+{rng.randint(1, 12)} (GMT+0{rng.randint(1, 9)}00)",
            f"version 1.{rng.randint(0, 9)}.{rng.randint(0, 9)}+{rng.randint(20200101, 20251231)}",
            f"build 2.3.1+{rng.randint(10**7, 10**9)}",
            f"counter delta +{rng.randint(1, 9999999)}",
            f"balance changed by +{rng.randint(1, 9999)}.{rng.randint(0, 99):02d} KRW",
            f"retry in +{rng.randint(1, 60)}s",
            f"expires now+{rng.randint(1, 30)} days",
            f"score {rng.randint(1, 9)}+{rng.randint(1, 9)}={rng.randint(2, 18)}",
            f"a+{rng.randint(10**9, 10**11)} is a search token",
            f"location +{rng.randint(33, 38)}.{rng.randint(1000, 9999)}, +{rng.randint(124, 129)}.{rng.randint(1000, 9999)}",
            f"growth +{rng.randint(1, 99)}.{rng.randint(0, 9)}% vs last week",
            f"ISO duration P{rng.randint(1, 9)}D, offset +{rng.randint(1, 14):02d}:{rng.choice(['00', '30', '45'])}",
        ]), "plus sign before digits"))
    for _ in range(60):
        examples.append(negative("phone_kr", rng.choice([
            f"order ORD-{rng.randint(2020, 2025)}-{rng.randint(0, 999999):06d} shipped",
            f"invoice INV-{rng.randint(20200101, 20251231)}-{rng.randint(0, 9999):04d}",
            f"zip {rng.randint(1000, 63999):05d} Seoul",
            f"business registration {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10000, 99999)}",
            f"request id 0{rng.randint(10**13, 10**14 - 1)}",
            f"010-{rng.randint(1000, 9999)}-{rng.randint(10000, 99999)} is not a number we issue",
            f"part no. 02-{rng.randint(10, 99)}-{rng.randint(2020, 2025)}",
            f"released {rng.randint(2018, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} build {rng.randint(1000, 9999)}",
            f"duration={rng.randint(0, 9)}.{rng.randint(10**8, 10**9 - 1)}s",
            f"offset 0x{rng.randint(16**7, 16**8 - 1):08x}",
            f"serial SN0{rng.randint(10**8, 10**10)}",
            f"ticket #{rng.randint(10**5, 10**7)}",
            f"toll-free 080-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
            f"hotline 1588-{rng.randint(1000, 9999)}",
            f"bank account 110-{rng.randint(100, 999)}-{rng.randint(100000, 999999)}",
            f"031-{rng.randint(200, 999)}-{rng.randint(10000, 99999)} has one digit too many",
            f"build {rng.randint(2018, 2025)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}.{rng.randint(1, 999)}",
        ]), "phone-like id"))
    return examples


def impossible_rrn(rng: random.Random) -> tuple[str, str]:
    year = rng.randint(30, 99)
    problem = rng.randrange(5)
    if problem == 0:
        return f"{year:02d}{rng.randint(13, 99):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 4)}{digits(rng, 6)}", "month > 12"
    if problem == 1:
        return f"{year:02d}0230-{rng.randint(1, 2)}{digits(rng, 6)}", "February 30"
    if problem == 2:
        return f"{year:02d}{rng.randint(1, 12):02d}{rng.randint(32, 99):02d}-{rng.randint(1, 4)}{digits(rng, 6)}", "day > 31"
    if problem == 3:
        return f"{year:02d}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.choice('09')}{digits(rng, 6)}", "gender digit 0 or 9"
    return f"{year:02d}{rng.randint(1, 12):02d}00-{rng.randint(1, 4)}{digits(rng, 6)}", "day 00"


def corporate_number(rng: random.Random) -> str:
    """Registry office (4 digits), corporation type, 6-digit serial, check digit (weights 1,2)."""
    body = rng.choice(["1101", "1311", "1345", "1801", "2041", "1201"]) + rng.choice(["11", "81", "71"]) + f"{rng.randint(1, 300000):06d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 2) for i, d in enumerate(body))
    number = body + str((10 - total % 10) % 10)
    return f"{number[:6]}-{number[6:]}"


def rrn_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(80):
        value, problem = impossible_rrn(rng)
        examples.append(negative("kr_rrn", rng.choice(_CONTEXTS)[0].format(v=value), f"RRN-shaped, {problem}"))
    for _ in range(30):
        examples.append(negative("kr_rrn", f"corporate registration {corporate_number(rng)}", "corporate registration number"))
    for _ in range(60):
        # epoch milliseconds of log times from 2024-06 to 2026
        millis = rng.randint(1_717_200_000_000, 1_798_700_000_000)
        examples.append(negative("kr_rrn", rng.choice([f"ts={millis}", f'{{"timestamp_ms":{millis}}}', f"expires_at {millis}"]), "epoch milliseconds"))
    return examples


def card_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(100):
        number, brand = card_number(rng)
        broken = luhn_break(number)
        style = rng.randrange(3)
        value = broken if style == 0 else (" " if style == 1 else "-").join(card_layout(broken))
        examples.append(negative("payment_card", rng.choice(_CONTEXTS)[0].format(v=value), f"{brand}-shaped, fails Luhn"))
    for _ in range(40):
        number, brand = card_number(rng)
        cut = number[:12] if rng.random() < 0.5 else number + digits(rng, 4)
        examples.append(negative("payment_card", f"reference {cut}", "card prefix with a length no network issues"))
    for _ in range(40):
        examples.append(negative("payment_card", rng.choice([
            f"\"targetId\":\"{rng.randint(10**18, 10**19 - 1)}\"",
            f"instance_id={rng.randint(10**18, 9 * 10**18)}",
            f"operation-{rng.randint(1600000000000, 1760000000000)}-{uuid.UUID(int=rng.getrandbits(128)).hex[:13]}",
            f"projects/{rng.randint(10**11, 10**12 - 1)}/locations/asia-northeast3",
            f"oauth2_client_id {rng.randint(10**20, 10**21 - 1)}",
        ]), "GCP numeric id"))
    return examples


def token_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(60):
        examples.append(negative("bearer_token", rng.choice([
            'WWW-Authenticate: Bearer realm="example", error="invalid_token"',
            "Bearer authentication is required for this endpoint",
            "Authorization: Bearer <token>",
            "Authorization: Bearer ${ACCESS_TOKEN}",
            "Authorization: Bearer YOUR_ACCESS_TOKEN",
            "Authorization: Bearer [REDACTED]",
            "Authorization: Bearer null",
            "Authorization: Bearer undefined",
            '{"token_type":"Bearer","expires_in":3599}',
            f"bearer_token_ttl={rng.randint(60, 86400)}",
            "missing Bearer token in request",
            "Bearer ***",
            f"bearer {rng.choice(['tokens', 'scheme', 'auth'])} disabled by policy",
        ]), "Bearer without a token"))
    for _ in range(50):
        header = b64url(json.dumps({"key": rng.choice(["a", "b"]), "n": rng.randint(1, 99)}).encode())
        examples.append(negative("jwt", rng.choice([
            f"data={header}",
            f"cursor {header}.{rng.randint(1, 99)}",
            f"eyJ{random_token(rng, 10)}.eyJ{random_token(rng, 10)}.{random_token(rng, 20)} looks like a token but is not",
            f"header only: {b64url(json.dumps({'alg': 'HS256'}).encode())}",
        ]), "base64 JSON that is not a JWT"))
    for _ in range(60):
        body = "\\n".join(pem_body(rng, 900))
        examples.append(negative("gcp_private_key", rng.choice([
            f"-----BEGIN CERTIFICATE-----\\n{body}\\n-----END CERTIFICATE-----",
            f"-----BEGIN PUBLIC KEY-----\\n{body}\\n-----END PUBLIC KEY-----",
            "error: no PRIVATE KEY found in credentials file",
            "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----",
            "-----BEGIN PRIVATE KEY-----\\n<redacted>\\n-----END PRIVATE KEY-----",
            f"\"private_key_id\": \"{hashlib.sha1(body.encode()).hexdigest()}\"",
        ]), "key-shaped text without a private key"))
    for _ in range(60):
        examples.append(negative("gcp_api_key", rng.choice([
            f"key=AIza{random_token(rng, 34)}",
            f"key=AIza{random_token(rng, 36)}",
            f"AIZA{random_token(rng, 35)}",
            f"prefix AIza and then some words {random_token(rng, 35)}",
            f"x-AIza{random_token(rng, 20)}",
        ]), "AIza-like but not a key"))
    return examples


def ip_negatives(rng: random.Random) -> list[Example]:
    examples = []
    for _ in range(60):
        examples.append(negative("ipv4", rng.choice([
            f"Mozilla/5.0 Chrome/{rng.randint(100, 125)}.0.{rng.randint(1000, 6999)}.{rng.randint(10, 250)} Safari/537.36",
            f"version {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
            f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}.{rng.randint(0, 99)}",
            f"Windows 10.0.{rng.randint(19000, 22999)}.{rng.randint(1000, 4000)}",
            f"OID 1.3.6.1.4.1.{rng.randint(100, 99999)}",
            f"build {rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}",
            f"{rng.randint(1, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)}.{rng.randint(0, 9)} (five parts)",
            f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)} out of range",
            f"latency p99={rng.randint(1, 9)}.{rng.randint(100, 999)}s",
            f"nginx/1.{rng.randint(18, 27)}.{rng.randint(0, 5)}.{rng.randint(0, 9)}",
        ]), "IP-like version or number"))
    for _ in range(60):
        examples.append(negative("ipv6", rng.choice([
            f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d} worker started",
            f"mac {':'.join(f'{rng.randrange(256):02x}' for _ in range(6))}",
            f"std::vector<int> size={rng.randint(1, 99)}",
            f"Rails::Application booted in {rng.randint(1, 9)}s",
            f"db::add failed at line {rng.randint(1, 999)}",
            f"INFO :: task {rng.randint(1, 999)} :: done",
            f"aspect ratio 16:9 at {rng.randint(24, 120)}fps",
            "cafe::babe marker",
            f"sha {hashlib.md5(str(rng.random()).encode()).hexdigest()}",
        ]), "colon-separated but not an address"))
    return examples


def ordinary_lines(rng: random.Random) -> list[Example]:
    """Everyday GKE and Cloud logs with no personal data at all."""
    examples = []
    pods = ["web", "api", "worker", "payments", "auth", "ingest", "billing"]
    for _ in range(1100):
        pod = f"{rng.choice(pods)}-{random_token(rng, 10, 'bcdfghjklmnpqrstvwxz2456789')}-{random_token(rng, 5, 'bcdfghjklmnpqrstvwxz2456789')}"
        trace = uuid.UUID(int=rng.getrandbits(128)).hex
        request_id = str(uuid.UUID(int=rng.getrandbits(128)))
        sha = hashlib.sha256(str(rng.random()).encode()).hexdigest()
        ts = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999999):09d}Z"
        epoch = rng.randint(1_735_689_600, 1_798_761_599)
        text = rng.choice([
            f"{ts} INFO pod {pod} started in namespace prod (trace {trace})",
            f'{{"severity":"INFO","time":"{ts}","msg":"request complete","request_id":"{request_id}","latency":"{rng.randint(1, 999)}.{rng.randint(0, 999999):06d}ms"}}',
            f"ingress-nginx - - [15/Mar/2025:10:{rng.randint(10, 59)}:{rng.randint(10, 59)} +0900] \"GET /api/v{rng.randint(1, 3)}/items/{rng.randint(1, 99999)} HTTP/1.1\" 200 {rng.randint(100, 99999)} \"-\" \"kube-probe/1.{rng.randint(24, 30)}\"",
            f"panic: runtime error: index out of range [{rng.randint(1, 9)}] with length {rng.randint(0, 9)}\n\ngoroutine {rng.randint(1, 9999)} [running]:\nmain.handler(0xc000{rng.randint(100000, 999999)})\n\t/app/main.go:{rng.randint(10, 300)} +0x{rng.randint(16, 4095):x}",
            f"java.lang.NullPointerException\n\tat com.example.Service.process(Service.java:{rng.randint(10, 999)})\n\tat com.example.Worker.run(Worker.java:{rng.randint(10, 999)})",
            f"Successfully pulled image \"asia-northeast3-docker.pkg.dev/prod-{rng.randint(100, 999)}/app/{rng.choice(pods)}:v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}\" in {rng.randint(1, 999)}.{rng.randint(100, 999)}ms",
            f"Created container {rng.choice(pods)} (id {sha[:64]})",
            f"ts={epoch}.{rng.randint(0, 999999):06d} level=info caller=server.go:{rng.randint(10, 999)} msg=\"listening on :{rng.choice([8080, 8443, 9090])}\"",
            f"SELECT * FROM orders WHERE id = {rng.randint(1, 10**7)} AND status = 'PAID' -- took {rng.randint(1, 999)}ms",
            f"gs://prod-logs-{rng.randint(1000, 9999)}/2025/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/part-{rng.randint(0, 99999):05d}.json.gz uploaded ({rng.randint(10**5, 10**9)} bytes)",
            f"HPA scaled deployment/{rng.choice(pods)} from {rng.randint(1, 9)} to {rng.randint(2, 20)} replicas (cpu {rng.randint(50, 99)}%)",
            f"주문 처리 완료: 주문번호 {rng.randint(2024, 2025)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(0, 99999):05d}, 결제 {rng.randint(1000, 999999)}원",
            f"projects/prod-{rng.randint(100, 999)}/logs/stdout insertId={random_token(rng, 14, string.ascii_lowercase + string.digits)}",
            f"memory usage {rng.randint(100, 4000)}Mi of {rng.choice([512, 1024, 2048, 4096])}Mi, gc pause {rng.randint(1, 999)}µs",
            f"spanId={rng.getrandbits(63)} traceSampled=true",
            f"checksum md5={hashlib.md5(sha.encode()).hexdigest()} crc32c={rng.getrandbits(32):08x}",
            f"kube-proxy: syncing iptables rules took {rng.randint(1, 999)}.{rng.randint(100000, 999999)}ms",
            f"{ts} WARN connection pool exhausted ({rng.randint(1, 200)}/{rng.randint(200, 400)}) retry={rng.randint(1, 5)}",
        ])
        examples.append(negative("none", text, "ordinary log line"))
    return examples


def generate() -> tuple[list[Example], list[Example]]:
    rng = random.Random(SEED)
    positives = (
        email_examples(rng) + international_examples(rng) + kr_phone_examples(rng) + rrn_examples(rng) + card_examples(rng)
        + bearer_examples(rng) + jwt_examples(rng) + private_key_examples(rng) + api_key_examples(rng)
        + ipv4_examples(rng) + ipv6_examples(rng)
    )
    negatives = (
        email_negatives(rng) + phone_negatives(rng) + rrn_negatives(rng) + card_negatives(rng) + token_negatives(rng)
        + ip_negatives(rng) + ordinary_lines(rng)
    )
    for line in (HERE / "handwritten.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            example = json.loads(line)
            label = example.pop("label")
            (positives if label == "positive" else negatives).append(example)
    return positives, negatives


def render(examples: list[Example]) -> str:
    return "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in examples)


def main() -> None:
    positives, negatives = generate()
    (HERE / "positives.jsonl").write_text(render(positives), encoding="utf-8")
    (HERE / "negatives.jsonl").write_text(render(negatives), encoding="utf-8")
    print(f"positives={len(positives)} negatives={len(negatives)}")


if __name__ == "__main__":
    main()
