"""Each built-in detector: what it finds, what it leaves, and the value a hash is made from."""
import pytest

from bridge.redaction import checks
from bridge.redaction.detectors import BUILTIN, pattern_detector


def covered(detector: str, text: str, value: str) -> bool:
    start = text.index(value)
    return any(s <= start and start + len(value) <= e for s, e, _ in BUILTIN[detector].find(text))


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
KEY_BODY = "\\n".join(["MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"] * 3)
PRIVATE_KEY = f"-----BEGIN PRIVATE KEY-----\\n{KEY_BODY}\\n-----END PRIVATE KEY-----"

POSITIVES = [
    ("email", "login failed for Kim.MinJi@naver.com (3)", "Kim.MinJi@naver.com"),
    ("email", "GET /u?email=john.doe%40gmail.com&x=1", "john.doe%40gmail.com"),
    ("email", "john@example.co.kr으로 보냈습니다", "john@example.co.kr"),
    ("phone_international", "call +1 (415) 555-2671 now", "+1 (415) 555-2671"),
    ("phone_international", '{"phone":"+447700900123"}', "+447700900123"),
    ("phone_international", "(+44) 20 7946 0958", "(+44) 20 7946 0958"),
    ("phone_international", "+33 1 23 45 67 89 twice", "+33 1 23 45 67 89"),
    ("phone_kr", "연락처 010-9876-5432 입니다", "010-9876-5432"),
    ("phone_kr", "to=01056781234", "01056781234"),
    ("phone_kr", "store (031) 724-1234", "(031) 724-1234"),
    ("phone_kr", "seoul 02 345 6789", "02 345 6789"),
    ("phone_kr", "from +82 10-2345-6789", "+82 10-2345-6789"),
    ("phone_kr", "msisdn 821023456789 ok", "821023456789"),
    ("kr_rrn", "주민번호 850315-1234566 불일치", "850315-1234566"),
    ("kr_rrn", '{"ssn":"9503152345676"}', "9503152345676"),
    ("kr_rrn", "born 2021: 211005-3123456", "211005-3123456"),
    ("payment_card", "card 4111 1111 1111 1111 12/25", "4111 1111 1111 1111"),
    ("payment_card", "amex 3782-822463-10005", "3782-822463-10005"),
    ("payment_card", "pan=5365101234567893", "5365101234567893"),
    ("payment_card", "2025 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("bearer_token", "Authorization: Bearer 8f14e45fceea167a5a36dedd4bea2543", "8f14e45fceea167a5a36dedd4bea2543"),
    ("bearer_token", "auth=Bearer%20abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
    ("bearer_token", "token ya29.a0AfB_byC4kVt3Z9hXn2QmR8sLpW1uYeJ6", "ya29.a0AfB_byC4kVt3Z9hXn2QmR8sLpW1uYeJ6"),
    ("jwt", f"id_token={JWT}&state=1", JWT),
    ("gcp_private_key", f'{{"private_key": "{PRIVATE_KEY}\\n"}}', PRIVATE_KEY),
    ("gcp_private_key", "dump: -----BEGIN RSA PRIVATE KEY-----\n" + "A" * 64 + "\n" + "B" * 30, "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 64 + "\n" + "B" * 30),
    ("gcp_api_key", "key=AIzaSyDdVgKwhZl0sTTTLZ7iTmt1r3N2cJLnaDk&x", "AIzaSyDdVgKwhZl0sTTTLZ7iTmt1r3N2cJLnaDk"),
    ("ipv4", "from 34.66.19.193:443", "34.66.19.193"),
    ("ipv6", "client [2001:db8:85a3::8a2e:370:7334]:443", "2001:db8:85a3::8a2e:370:7334"),
    ("ipv6", "::ffff:192.0.2.128 mapped", "::ffff:192.0.2.128"),
]


@pytest.mark.parametrize("detector, text, value", POSITIVES)
def test_detector_finds(detector, text, value):
    assert covered(detector, text, value)


NEGATIVES = [
    ("email", "GET /img/logo@2x.png 200"),
    ("email", '"@type": "type.googleapis.com/google.cloud.audit.AuditLog"'),
    ("email", "npm install react@18.2.0 and nginx@sha256:0d17b565"),
    ("email", "user@localhost and a@b.c"),
    ("phone_international", "[26/Apr/2022:22:53:36 +0800] UTC+09:00"),
    ("phone_international", "version 1.0.0+20240315 build+12345678 delta +1234567"),
    ("phone_international", "location +37.5665, +126.9780"),
    ("phone_kr", "order ORD-2024-012345 zip 06236 id 01012345678901"),
    ("phone_kr", "010-1234-56789 and 031-234-56789 and 1588-1234 and 080-123-4567"),
    ("phone_kr", "duration=3.123456789s"),
    ("kr_rrn", "901301-1234567 900230-1234567 991231-9234567"),
    ("kr_rrn", "850315-1234567"),  # the check digit is wrong
    ("kr_rrn", "ts=1750000000123"),
    ("payment_card", "4111 1111 1111 1112"),
    ("payment_card", "targetId 4881930676783516364"),
    ("payment_card", "1234 5678 9012 3456"),
    ("payment_card", "6212 3456 7890 1234 568"),
    ("bearer_token", 'WWW-Authenticate: Bearer realm="example", error="invalid_token"'),
    ("bearer_token", "Authorization: Bearer YOUR_ACCESS_TOKEN / Bearer <token> / Bearer ${TOKEN}"),
    ("jwt", "eyJrZXkiOiJ2YWx1ZSJ9 and eyJfoo1.eyJbar2.baz"),
    ("gcp_private_key", "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"),
    ("gcp_private_key", "-----BEGIN CERTIFICATE-----\\n" + "A" * 200 + "\\n-----END CERTIFICATE-----"),
    ("gcp_api_key", "AIzaSyDdVgKwhZl0sTTTLZ7iTmt1r3N2cJLna and AIzaSyDdVgKwhZl0sTTTLZ7iTmt1r3N2cJLnaDkX"),
    ("ipv4", "Chrome/120.0.6099.109 version 1.2.3.4 v1.2.3.4 1.3.6.1.4.1 256.1.1.1"),
    ("ipv6", "12:34:56.789 std::vector db::add 00:1a:2b:3c:4d:5e INFO :: done"),
]


@pytest.mark.parametrize("detector, text", NEGATIVES)
def test_detector_leaves(detector, text):
    assert BUILTIN[detector].find(text) == []


@pytest.mark.parametrize(
    "detector, forms",
    [
        ("phone_kr", ["010-1234-5678", "01012345678", "+82 10 1234 5678", "+82 (0)10-1234-5678", "821012345678"]),
        ("phone_international", ["+1 (415) 555-2671", "+14155552671", "+1.415.555.2671"]),
        ("email", ["John.Doe@Example.com", "john.doe%40example.com"]),
        ("payment_card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"]),
    ],
)
def test_one_canonical_value_per_datum(detector, forms):
    canonical = {BUILTIN[detector].find(f" {form} ")[0][2] for form in forms}
    assert len(canonical) == 1


def test_luhn_and_issuers():
    assert checks.luhn_valid("4111111111111111") and not checks.luhn_valid("4111111111111112")
    assert checks.card_issuer_known("378282246310005")  # Amex, 15
    assert not checks.card_issuer_known("3782822463100050")  # Amex prefix, 16 digits
    assert not checks.card_issuer_known("1234567890123456")


def test_rrn_checks():
    assert checks.rrn_date_valid("0002294123456")  # 2000-02-29, gender 4
    assert not checks.rrn_date_valid("0102294123456")  # 2001 is no leap year
    assert not checks.rrn_date_valid("8501019123456")  # gender digit 9
    assert checks.rrn_checksum_valid("8503151234566")
    assert not checks.rrn_checksum_valid("8503151234567")
    foreign = "850315512345"
    total = sum(int(d) * w for d, w in zip(foreign, (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)))
    assert checks.rrn_checksum_valid(foreign + str((13 - total % 11) % 10))


def test_country_codes():
    assert checks.country_code_of("821012345678") == "82"
    assert checks.country_code_of("14155552671") == "1"
    assert checks.country_code_of("3531234567") == "353"
    assert checks.country_code_of("0123") is None


def test_user_pattern_with_a_group():
    detector = pattern_detector("order", r"order=(ORD-[0-9]{6})", group=1, literals=("ORD-",))
    assert detector.find("x order=ORD-123456 y") == [(8, 18, "ORD-123456")]
    with pytest.raises(ValueError, match="no group 2"):
        pattern_detector("bad", r"ORD", group=2)
    with pytest.raises(ValueError, match="empty string"):
        pattern_detector("bad", r"(ORD)?")


def test_long_runs_of_numbers_stay_fast():
    # Group search is bounded per start; a run of thousands of numbers is linear work.
    text = " ".join(["1234"] * 5000)
    assert BUILTIN["payment_card"].find(text) == []
