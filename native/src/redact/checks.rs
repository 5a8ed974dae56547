//! The validity checks of bridge/redaction/checks.py, on ASCII digit strings.

use super::Decline;

const COUNTRY_CODES: &str = "1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 \
60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98 \
211 212 213 216 218 220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 235 \
236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252 253 254 255 256 \
257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 \
350 351 352 353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 380 381 \
382 383 385 386 387 389 420 421 423 500 501 502 503 504 505 506 507 508 509 \
590 591 592 593 594 595 596 597 598 599 670 672 673 674 675 676 677 678 679 680 681 \
682 683 685 686 687 688 689 690 691 692 800 808 850 852 853 855 856 870 878 880 881 \
882 883 886 888 960 961 962 963 964 965 966 967 968 970 971 972 973 974 975 976 977 \
979 992 993 994 995 996 998";

/// The E.164 country code the digits start with (1 to 3 digits), if any.
pub fn country_code_of(digits: &str) -> Option<&str> {
    (1..=3)
        .filter(|&size| digits.len() >= size)
        .map(|size| &digits[..size])
        .find(|prefix| COUNTRY_CODES.split(' ').any(|code| code == *prefix))
}

pub fn luhn_valid(digits: &[u8]) -> bool {
    let mut total = 0u32;
    for (position, &digit) in digits.iter().rev().enumerate() {
        let value = u32::from(digit - b'0');
        total += if position % 2 == 1 { [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][value as usize] } else { value };
    }
    total.is_multiple_of(10)
}

const MAESTRO: [u32; 9] = [5018, 5020, 5038, 5893, 6304, 6759, 6761, 6762, 6763];

/// Card lengths issued under a prefix of `size` digits (checks.py's `_card_prefixes`).
fn issued(size: usize, prefix: u32, length: usize) -> bool {
    let within = |low: usize, high: usize| (low..=high).contains(&length);
    match size {
        1 => prefix == 4 && matches!(length, 13 | 16 | 19),
        2 => match prefix {
            51..=55 | 60 => length == 16,
            34 | 37 => length == 15,
            65 | 62 => within(16, 19),
            36 | 38 | 39 => within(14, 19),
            _ => false,
        },
        3 => match prefix {
            644..=649 => within(16, 19),
            300..=305 => within(14, 19),
            508 => length == 16,
            _ => false,
        },
        _ => {
            (2221..=2720).contains(&prefix) && length == 16
                || prefix == 6011 && within(16, 19)
                || prefix == 3095 && within(14, 19)
                || (3528..=3589).contains(&prefix) && within(16, 19)
                || (2200..=2204).contains(&prefix) && within(16, 19)
                || MAESTRO.contains(&prefix) && within(13, 19)
        }
    }
}

pub fn card_issuer_known(digits: &[u8]) -> bool {
    let length = digits.len();
    (1..=4).any(|size| {
        let prefix = &digits[..size.min(length)];
        if prefix.len() > 1 && prefix[0] == b'0' {
            return false; // the table's keys are numbers written without leading zeros
        }
        let value = prefix.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
        issued(prefix.len(), value, length)
    })
}

const CARD_LAYOUTS: [&[usize]; 8] = [&[4, 4, 4, 4], &[4, 4, 4, 4, 3], &[4, 4, 4, 1], &[4, 4, 4, 2], &[4, 4, 4, 3], &[4, 4, 5], &[4, 6, 5], &[4, 6, 4]];

pub fn card_layout_valid(groups: &[usize]) -> bool {
    groups.len() == 1 || CARD_LAYOUTS.contains(&groups)
}

fn number(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0'))
}

pub fn rrn_date_valid(digits: &[u8]) -> bool {
    let century = match digits[6] {
        b'1' | b'2' | b'5' | b'6' => 1900,
        b'3' | b'4' | b'7' | b'8' => 2000,
        _ => return false,
    };
    let month = number(&digits[2..4]);
    let day = number(&digits[4..6]);
    if !(1..=12).contains(&month) || day < 1 {
        return false;
    }
    let year = century + number(&digits[0..2]);
    let leap = year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    day <= days
}

pub fn rrn_checksum_valid(digits: &[u8]) -> bool {
    const WEIGHTS: [u32; 12] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5];
    let total: u32 = digits[..12].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let base = if matches!(digits[6], b'5'..=b'8') { 13 } else { 11 };
    (base - total % 11) % 10 == u32::from(digits[12] - b'0')
}

pub fn rrn_random_serial(digits: &[u8]) -> bool {
    matches!(digits[6], b'3' | b'4' | b'7' | b'8') && number(&digits[0..2]) >= 20
}

fn base64_value(byte: u8) -> Option<u32> {
    Some(match byte {
        b'A'..=b'Z' => byte - b'A',
        b'a'..=b'z' => byte - b'a' + 26,
        b'0'..=b'9' => byte - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    } as u32)
}

/// base64.urlsafe_b64decode of a header padded as checks.py pads it (None: binascii.Error).
fn base64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for &byte in text {
        buffer = (buffer << 6) | base64_value(byte)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The first JWT segment is base64url of a JSON object naming its algorithm.
pub fn jwt_header_valid(header: &[u8]) -> Result<bool, Decline> {
    let Some(decoded) = base64url_decode(header) else { return Ok(false) };
    match serde_json::from_slice::<serde_json::Value>(&decoded) {
        Ok(serde_json::Value::Object(map)) => Ok(map.contains_key("alg") || map.contains_key("typ") || map.contains_key("enc")),
        Ok(_) => Ok(false),
        // orjson reads these (1e999, 1024 levels); serde_json does not
        Err(error) if error.to_string().contains("recursion") || error.to_string().contains("out of range") => Err(Decline("jwt header beyond serde_json")),
        Err(_) => Ok(false),
    }
}
