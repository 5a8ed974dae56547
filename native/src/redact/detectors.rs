//! The built-in detectors of bridge/redaction/detectors.py, match for match.
//!
//! Python's regexes use look-behind and look-ahead, which the `regex` crate lacks. Each one
//! is rebuilt as: candidate start positions (a literal or byte class the match starts with)
//! where the look-behind holds, checked here by hand; an anchored regex at each of them whose
//! trailing group consumes what the look-ahead tests (leftmost-first picks the same match as
//! backtracking, as the look-ahead only accepts or refuses an end), or for the simpler shapes
//! (RRNs, digit runs, e-mail domains, API keys) a matcher that makes backtracking's choices
//! by hand; and the search resumes where Python's finditer does: at the end of a match, or
//! one character on.
//! Offsets are byte offsets into UTF-8; the classes tested are ASCII except where Python's
//! Unicode `\w`/`\s` matter (pyunicode.rs).

use std::sync::OnceLock;

use memchr::memmem;
use regex::Regex;

use super::checks::*;
use super::pyunicode::{is_space, is_word, SPACE_CLASS};
use super::Decline;

pub type Span = (usize, usize, String);

/// `(?![0-9A-Za-z])(?![-.][0-9])`, consumed.
const RIGHT: &str = r"(?:\z|[^0-9A-Za-z.\-]|[.\-](?:\z|[^0-9]))";
const OCTET: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

struct Patterns {
    phone_kr: Regex,
    phone_intl: Regex,
    bearer: Regex,
    jwt: Regex,
    key_begin: Regex,
    key_end: Regex,
    ipv4: Regex,
    ipv6: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let sep = "[-. ]?";
        let area = "(?:2|3[1-3]|4[1-4]|5[1-5]|6[1-4])";
        let subscriber = format!(
            "(?:{area}{sep}[2-9][0-9]{{2,3}}|10{sep}[0-9]{{4}}|1[16-9]{sep}[0-9]{{3,4}}|70{sep}[0-9]{{4}}|50[2-8]{sep}[0-9]{{3,4}}){sep}[0-9]{{4}}"
        );
        let phone_kr = format!(
            r"^((?:\(0{area}\) ?[2-9][0-9]{{2,3}}{sep}[0-9]{{4}}|0{subscriber}|\+82{sep}(?:\(0\){sep}|0)?{subscriber}|82{sep}0?(?:10{sep}[0-9]{{4}}|1[16-9]{sep}[0-9]{{3,4}}){sep}[0-9]{{4}})){RIGHT}"
        );
        let ipv4_body = format!(r"{OCTET}(?:\.{OCTET}){{3}}");
        let h = "[0-9A-Fa-f]{1,4}";
        let ipv6 = format!(
            r"^((?:(?:{h}:){{6}}{ipv4_body}|::(?:[fF]{{4}}(?::0{{1,4}})?:)?{ipv4_body}|(?:{h}:){{1,4}}:{ipv4_body}|(?:{h}:){{7}}{h}|(?:{h}:){{1,6}}:{h}|(?:{h}:){{1,5}}(?::{h}){{1,2}}|(?:{h}:){{1,4}}(?::{h}){{1,3}}|(?:{h}:){{1,3}}(?::{h}){{1,4}}|(?:{h}:){{1,2}}(?::{h}){{1,5}}|{h}:(?::{h}){{1,6}}|:(?::{h}){{1,7}}|(?:{h}:){{1,7}}:))(?:\z|[^0-9A-Za-z:.]|\.(?:\z|[^0-9]))"
        );
        let compile = |pattern: &str| Regex::new(pattern).expect("built-in pattern");
        Patterns {
            phone_kr: compile(&phone_kr),
            phone_intl: compile(r"^(\+[1-9][0-9]*\)?(?:(?:[ .\-]|[ .\-]?\([0-9]{1,4}\)[ .\-]?)[0-9]+)*)(?:\z|[^0-9A-Za-z])"),
            bearer: compile(&format!(r"^(?:(?i:bearer)(?:{SPACE_CLASS}+|%20|\+)([A-Za-z0-9\-._~+/]+=*)|(ya29\.[A-Za-z0-9_\-]{{20,}}))")),
            jwt: compile(r"^((eyJ[A-Za-z0-9_\-]{4,})(?:\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+|\.ey[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*))(?:\z|[^A-Za-z0-9_\-])"),
            key_begin: compile("-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
            key_end: compile("-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
            ipv4: compile(&format!(r"^({ipv4_body})(?:\z|[^0-9A-Za-z.]|\.(?:\z|[^0-9]))")),
            ipv6: compile(&ipv6),
        }
    })
}

/// The end of capture group 1 of `regex` matched at `at` (anchored), or None. The lazy DFA
/// answers whether there is a match at all, cheaply; captures are only taken for a match.
fn body_end(regex: &Regex, text: &str, at: usize) -> Option<usize> {
    let rest = &text[at..];
    if !regex.is_match(rest) {
        return None;
    }
    regex.captures(rest).map(|c| at + c.get(1).map_or(0, |g| g.end()))
}

fn prev_char(text: &str, at: usize) -> Option<char> {
    text[..at].chars().next_back()
}

/// `(?<![0-9A-Za-z])(?<![0-9][-.])` at `at`.
fn left_ok(bytes: &[u8], at: usize) -> bool {
    if at >= 1 {
        let before = bytes[at - 1];
        if before.is_ascii_alphanumeric() {
            return false;
        }
        if at >= 2 && (before == b'-' || before == b'.') && bytes[at - 2].is_ascii_digit() {
            return false;
        }
    }
    true
}

fn digits_of(text: &str) -> String {
    text.bytes().filter(u8::is_ascii_digit).map(char::from).collect()
}

// --- numbers ------------------------------------------------------------------------------

fn number_like(byte: u8) -> bool {
    byte.is_ascii_digit() || matches!(byte, b' ' | b'(' | b')' | b'.' | b'+' | b'-')
}

/// `[0-9+(][0-9 ().+\-]{8,}` found left to right, those with 9 digits or more: byte ranges (ASCII inside).
pub fn number_stretches(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut stretches = Vec::new();
    let mut at = 0;
    while let Some(start) = next_number_start(bytes, at) {
        let end = start + 1 + bytes[start + 1..].iter().take_while(|&&b| number_like(b)).count();
        // No phone, RRN or card has fewer than 9 digits, and none reaches past its stretch
        // (Python searches two characters further, for the look-ahead only): a stretch
        // with fewer digits can be left out.
        if end - start >= 9 && bytes[start..end].iter().filter(|b| b.is_ascii_digit()).count() >= 9 {
            stretches.push((start, end));
        }
        at = end + 1; // later starts in this run are shorter; bytes[end] is not number-like
    }
    stretches
}

/// The next byte from `from` on that can start a stretch: a digit, '+' or '('.
fn next_number_start(bytes: &[u8], mut from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    while from + 16 <= bytes.len() {
        use std::arch::x86_64::*;
        // SSE2 is part of x86_64; 16 bytes at a time, as most of a text is not numbers
        let mask = unsafe {
            let v = _mm_loadu_si128(bytes[from..].as_ptr().cast());
            let from_zero = _mm_sub_epi8(v, _mm_set1_epi8(b'0' as i8));
            let digit = _mm_cmpeq_epi8(_mm_min_epu8(from_zero, _mm_set1_epi8(9)), from_zero);
            let sign = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'+' as i8)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b'(' as i8)));
            _mm_movemask_epi8(_mm_or_si128(digit, sign)) as u32
        };
        if mask != 0 {
            return Some(from + mask.trailing_zeros() as usize);
        }
        from += 16;
    }
    bytes.get(from..)?.iter().position(|&b| b.is_ascii_digit() || b == b'+' || b == b'(').map(|i| from + i)
}

/// Python's `finditer` over each stretch: `match_at(at, spans)` says where a match starting at
/// `at` ends (keeping its spans, if any), or None; the search resumes at a match's end, or
/// one character on.
fn in_stretches(stretches: &[(usize, usize)], mut match_at: impl FnMut(usize, &mut Vec<Span>) -> Option<usize>) -> Vec<Span> {
    let mut spans = Vec::new();
    for &(start, end) in stretches {
        let mut at = start;
        while at < end {
            at = match_at(at, &mut spans).unwrap_or(at + 1);
        }
    }
    spans
}

pub fn find_phone_kr(text: &str, stretches: &[(usize, usize)]) -> Vec<Span> {
    if !text.contains('0') && !text.contains("82") {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    in_stretches(stretches, |at, spans| {
        let byte = bytes[at];
        if !matches!(byte, b'(' | b'0' | b'+' | b'8') || !left_ok(bytes, at) || byte == b'+' && at > 0 && bytes[at - 1] == b'+' {
            return None;
        }
        let found_end = body_end(&patterns().phone_kr, text, at)?;
        let mut digits = digits_of(&text[at..found_end]);
        if let Some(rest) = digits.strip_prefix("82") {
            digits = format!("0{}", rest.strip_prefix('0').unwrap_or(rest));
        }
        spans.push((at, found_end, digits));
        Some(found_end)
    })
}

/// `RIGHT` at `at` (Python's `(?![0-9A-Za-z])(?![-.][0-9])`).
fn right_ok(bytes: &[u8], at: usize) -> bool {
    match bytes.get(at) {
        None => true,
        Some(b) if b.is_ascii_alphanumeric() => false,
        Some(b'-' | b'.') => !bytes.get(at + 1).is_some_and(u8::is_ascii_digit),
        Some(_) => true,
    }
}

fn digits_at(bytes: &[u8], at: usize, count: usize) -> bool {
    bytes.len() >= at + count && bytes[at..at + count].iter().all(u8::is_ascii_digit)
}

/// `[0-9]{6}[- ]?[0-9]{7}` then RIGHT at `at`: (end, offset of the last seven digits). With a
/// separator there is no other way to match, without one neither.
fn rrn_at(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    if !digits_at(bytes, at, 6) {
        return None;
    }
    let tail = if matches!(bytes.get(at + 6), Some(b'-' | b' ')) { at + 7 } else { at + 6 };
    (digits_at(bytes, tail, 7) && right_ok(bytes, tail + 7)).then_some((tail + 7, tail))
}

pub fn find_rrn(text: &str, stretches: &[(usize, usize)]) -> Vec<Span> {
    let bytes = text.as_bytes();
    in_stretches(stretches, |at, spans| {
        if !bytes[at].is_ascii_digit() || !left_ok(bytes, at) {
            return None;
        }
        let (found_end, tail) = rrn_at(bytes, at)?;
        let digits = format!("{}{}", &text[at..at + 6], &text[tail..tail + 7]);
        let d = digits.as_bytes();
        if rrn_date_valid(d) && (rrn_checksum_valid(d) || rrn_random_serial(d)) {
            spans.push((at, found_end, digits));
        }
        Some(found_end)
    })
}

/// `[0-9]+(?:[ -][0-9]+)*` then RIGHT at `at`: the greedy chain of digit groups, given back
/// group by group until RIGHT holds (a cut inside a group always has a digit after it).
fn digit_run_at(bytes: &[u8], at: usize) -> Option<usize> {
    let run = |from: usize| from + bytes[from..].iter().take_while(|b| b.is_ascii_digit()).count();
    let mut end = run(at);
    let mut found = right_ok(bytes, end).then_some(end);
    while matches!(bytes.get(end), Some(b' ' | b'-')) && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        end = run(end + 1);
        if right_ok(bytes, end) {
            found = Some(end);
        }
    }
    found
}

type Group = (usize, usize);

fn card_of(chosen: &[Group], text: &str) -> Option<Span> {
    let digits: String = chosen.iter().map(|&(s, e)| &text[s..e]).collect();
    let d = digits.as_bytes();
    (b"23456".contains(&d[0]) && card_issuer_known(d) && luhn_valid(d)).then(|| (chosen[0].0, chosen[chosen.len() - 1].1, digits))
}

fn card_shaped(chosen: &[Group], bytes: &[u8]) -> bool {
    let sizes: Vec<usize> = chosen.iter().map(|&(s, e)| e - s).collect();
    let length: usize = sizes.iter().sum();
    if !(13..=19).contains(&length) || chosen.len() == 1 && length > 16 {
        return false;
    }
    let mut separators = chosen[..chosen.len() - 1].iter().map(|&(_, e)| bytes[e]);
    if let Some(first) = separators.next() {
        if separators.any(|s| s != first) {
            return false;
        }
    }
    card_layout_valid(&sizes)
}

fn card_in(groups: &[Group], text: &str) -> Option<Span> {
    let bytes = text.as_bytes();
    if card_shaped(groups, bytes) {
        return card_of(groups, text);
    }
    for first in 0..groups.len() {
        for last in (first..groups.len().min(first + 5)).rev() {
            let chosen = &groups[first..=last];
            if card_shaped(chosen, bytes) {
                if let Some(found) = card_of(chosen, text) {
                    return Some(found);
                }
            }
        }
    }
    None
}

pub fn find_card(text: &str, stretches: &[(usize, usize)]) -> Vec<Span> {
    let bytes = text.as_bytes();
    in_stretches(stretches, |at, spans| {
        if !bytes[at].is_ascii_digit() || !left_ok(bytes, at) {
            return None;
        }
        let run_end = digit_run_at(bytes, at)?;
        let number = &bytes[at..run_end];
        if number.len() < 13 {
            return Some(run_end);
        }
        if number.iter().all(u8::is_ascii_digit) {
            if number.len() <= 16 && b"23456".contains(&number[0]) && card_issuer_known(number) && luhn_valid(number) {
                spans.push((at, run_end, text[at..run_end].to_string()));
            }
            return Some(run_end);
        }
        let mut groups: Vec<Group> = Vec::new();
        let mut position = at;
        while position < run_end {
            let group_start = position;
            while position < run_end && bytes[position].is_ascii_digit() {
                position += 1;
            }
            groups.push((group_start, position));
            position += 1; // the separator
        }
        while let Some(found) = (!groups.is_empty()).then(|| card_in(&groups, text)).flatten() {
            let found_end = found.1;
            spans.push(found);
            groups.retain(|&(s, _)| s >= found_end);
        }
        Some(run_end)
    })
}

fn international_number(groups: &[&str]) -> Option<String> {
    let digits: String = groups.iter().filter(|g| **g != "(0)").flat_map(|g| g.chars()).filter(|c| *c != '(' && *c != ')').collect();
    let code = country_code_of(&digits)?;
    if code == "1" {
        let national = &digits.as_bytes()[1..];
        return (national.len() == 10 && national[0] >= b'2' && national[3] >= b'2').then_some(digits);
    }
    let shortest = if groups.len() == 1 { 10 } else { 8 };
    (shortest..=15).contains(&digits.len()).then_some(digits)
}

/// `\([0-9]+\)|[0-9]+` over a phone match: (token, end offset).
fn phone_groups(matched: &str) -> Vec<(&str, usize)> {
    let bytes = matched.as_bytes();
    let mut groups = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'(' {
            let mut end = at + 1;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            if end > at + 1 && end < bytes.len() && bytes[end] == b')' {
                groups.push((&matched[at..=end], end + 1));
                at = end + 1;
                continue;
            }
            at += 1;
        } else if bytes[at].is_ascii_digit() {
            let mut end = at;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            groups.push((&matched[at..end], end));
            at = end;
        } else {
            at += 1;
        }
    }
    groups
}

pub fn find_phone_international(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(offset) = memchr::memchr(b'+', &bytes[from..]) {
        let at = from + offset;
        let glued = at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'+') || !matches!(bytes.get(at + 1), Some(b'1'..=b'9'));
        let Some(found_end) = (if glued { None } else { body_end(&patterns().phone_intl, text, at) }) else {
            from = at + 1;
            continue;
        };
        let matched = &text[at..found_end];
        let mut groups = phone_groups(matched);
        let mut start = at;
        if start > 0 && bytes[start - 1] == b'(' && !groups.is_empty() && matched.find(')') == Some(groups[0].0.len() + 1) {
            start -= 1;
        }
        while !groups.is_empty() {
            let tokens: Vec<&str> = groups.iter().map(|g| g.0).collect();
            if let Some(digits) = international_number(&tokens) {
                spans.push((start, at + groups[groups.len() - 1].1, format!("+{digits}")));
                break;
            }
            groups.pop();
        }
        from = found_end;
    }
    spans
}

// --- e-mail ---------------------------------------------------------------------------------

const FILE_ENDINGS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "ico", "bmp", "tif", "tiff", "css", "js", "mjs", "map", "json", "xml", "html", "htm", "txt", "log", "yaml", "yml",
    "toml", "pdf", "woff", "woff2", "ttf", "otf", "mp3", "mp4", "wav", "tar", "gz", "tgz", "bz2", "whl", "jar", "py", "go", "rb", "php", "java", "class",
];
const LONGEST_LOCAL_PART: usize = 256;

fn local_char(c: char) -> bool {
    c == '%' || c == '+' || c == '-' || is_word(c)
}

/// Consumes a run of `[\w%+-]` (read backwards): the offset of its first character, if any.
fn local_run(window: &mut std::iter::Peekable<impl Iterator<Item = (usize, char)>>) -> Option<usize> {
    let mut first = None;
    while let Some((i, _)) = window.next_if(|&(_, c)| local_char(c)) {
        first = Some(i);
    }
    first
}

/// `(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])` at
/// `at`: (start of the top-level domain, end). A label runs to the next '.' (its class has
/// none); the most labels are tried first, then fewer, the next label then read as the
/// top-level domain: a whole run of 2 to 24 letters, with no digit or '-' after it.
fn email_domain(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let label_byte = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-';
    let mut label_starts = Vec::new();
    let mut position = at;
    loop {
        let end = position + bytes[position..].iter().take_while(|b| label_byte(b)).count();
        let length = end - position;
        let valid = (1..=63).contains(&length) && bytes[position] != b'-' && bytes[end - 1] != b'-' && bytes.get(end) == Some(&b'.');
        if !valid {
            break;
        }
        position = end + 1;
        label_starts.push(position); // where the next label, or the top-level domain, starts
    }
    label_starts.into_iter().rev().find_map(|start| {
        let letters = bytes[start..].iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let after = bytes.get(start + letters);
        ((2..=24).contains(&letters) && !after.is_some_and(|b| b.is_ascii_digit() || *b == b'-')).then_some((start, start + letters))
    })
}

/// detectors.email_at: the address whose '@' (or "%40") is at `at`.
pub fn email_at(text: &str, at: usize, not_before: usize) -> Option<Span> {
    let bytes = text.as_bytes();
    let domain_start = at + if bytes[at] == b'@' { 1 } else { 3 };
    let (tld_start, domain_end) = email_domain(bytes, domain_start)?;
    if FILE_ENDINGS.iter().any(|ending| ending.eq_ignore_ascii_case(&text[tld_start..domain_end])) {
        return None;
    }
    // `[\w%+-]+(?:\.[\w%+-]+)*` over the (at most 256) characters before `at`, read backwards.
    let mut window = text[not_before..at].char_indices().rev().take(LONGEST_LOCAL_PART).peekable();
    let mut start = not_before + local_run(&mut window)?;
    while window.next_if(|&(_, c)| c == '.').is_some() {
        match local_run(&mut window) {
            Some(first) => start = not_before + first,
            None => break,
        }
    }
    let canonical = format!("{}@{}", &text[start..at], &text[domain_start..domain_end]).to_lowercase();
    Some((start, domain_end, canonical))
}

pub fn find_email(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut signs: Vec<usize> = memchr::memchr_iter(b'@', bytes).collect();
    signs.extend(memmem::find_iter(bytes, b"%40"));
    signs.sort_unstable();
    let mut spans = Vec::new();
    let mut done = 0;
    for at in signs {
        if at >= done {
            if let Some(span) = email_at(text, at, done) {
                done = span.1;
                spans.push(span);
            }
        }
    }
    spans
}

// --- tokens and keys ------------------------------------------------------------------------

fn looks_random(token: &str) -> bool {
    token.len() >= 16
        && (token.bytes().any(|b| b.is_ascii_digit()) || token.bytes().any(|b| b.is_ascii_lowercase()) && token.bytes().any(|b| b.is_ascii_uppercase()))
}

pub fn find_bearer(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if !matches!(byte, b'b' | b'B' | b'y') || prev_char(text, at).is_some_and(is_word) {
            at += 1;
            continue;
        }
        let rest = &bytes[at..];
        let shaped = rest.len() >= 7 && (rest[..6].eq_ignore_ascii_case(b"bearer") || rest.starts_with(b"ya29."));
        let Some(caps) = (if shaped { patterns().bearer.captures(&text[at..]) } else { None }) else {
            at += 1;
            continue;
        };
        let (group, random_needed) = match caps.get(1) {
            Some(g) => (g, true),
            None => (caps.get(2).unwrap(), false),
        };
        if !random_needed || looks_random(group.as_str()) {
            spans.push((at + group.start(), at + group.end(), group.as_str().to_string()));
        }
        at += caps.get(0).unwrap().end();
    }
    spans
}

/// Whether some [bB] starts "bearer" (any case) or some 'y' starts "ya29.": what every
/// find of the bearer detector starts with.
pub fn bearer_possible(bytes: &[u8]) -> bool {
    memchr::memchr3_iter(b'b', b'B', b'y', bytes).any(|at| {
        let rest = &bytes[at + 1..];
        if bytes[at] == b'y' {
            rest.starts_with(b"a29.")
        } else {
            rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b"earer")
        }
    })
}

const TOKEN_CLASS: fn(u8) -> bool = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';

pub fn find_jwt(text: &str) -> Result<Vec<Span>, Decline> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(offset) = memmem::find(&bytes[from..], b"eyJ") {
        let at = from + offset;
        let caps = if at > 0 && TOKEN_CLASS(bytes[at - 1]) { None } else { patterns().jwt.captures(&text[at..]) };
        let Some(caps) = caps else {
            from = at + 1;
            continue;
        };
        let whole = caps.get(1).unwrap();
        if jwt_header_valid(caps.get(2).unwrap().as_str().as_bytes())? {
            spans.push((at, at + whole.end(), whole.as_str().to_string()));
        }
        from = at + whole.end();
    }
    Ok(spans)
}

fn key_body_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+/=:,\\-".contains(c) || is_space(c)
}

pub fn find_private_key(text: &str) -> Vec<Span> {
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(begin) = patterns().key_begin.find_at(text, from) {
        let body_start = begin.end();
        let body_limit = body_start + text[body_start..].char_indices().find(|(_, c)| !key_body_char(*c)).map_or(text.len() - body_start, |(i, _)| i);
        let (body_end, end) = match patterns().key_end.find(&text[body_start..body_limit]) {
            Some(m) => (body_start + m.start(), body_start + m.end()),
            None => (body_limit, body_limit),
        };
        let body = &text.as_bytes()[body_start..body_end];
        let mut kept = 0;
        let mut at = 0;
        while at < body.len() {
            if body[at] == b'\\' && at + 1 < body.len() && matches!(body[at + 1], b'n' | b'r' | b't') {
                at += 2;
                continue;
            }
            if body[at].is_ascii_alphanumeric() || matches!(body[at], b'+' | b'/' | b'=') {
                kept += 1;
            }
            at += 1;
        }
        if kept >= 40 {
            spans.push((begin.start(), end, text[begin.start()..end].to_string()));
        }
        from = end;
    }
    spans
}

pub fn find_api_key(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(offset) = memmem::find(&bytes[from..], b"AIza") {
        let at = from + offset;
        let end = at + 39;
        let found = !(at > 0 && TOKEN_CLASS(bytes[at - 1]))
            && end <= bytes.len()
            && bytes[at + 4..end].iter().all(|&b| TOKEN_CLASS(b))
            && !(end < bytes.len() && TOKEN_CLASS(bytes[end]));
        if found {
            spans.push((at, end, text[at..end].to_string()));
            from = end;
        } else {
            from = at + 1;
        }
    }
    spans
}

// --- IP addresses ---------------------------------------------------------------------------

/// `_VERSION_BEFORE.search(text, start - 32, start)`: a version word or a product name before.
fn version_before(text: &str, start: usize) -> Result<bool, Decline> {
    let low = text[..start].char_indices().rev().take(32).last().map_or(start, |(i, _)| i);
    let window = &text[low..start];
    if window.chars().any(|c| matches!(c, '\u{130}' | '\u{131}' | '\u{17F}' | '\u{212A}')) {
        return Err(Decline("a letter Python's re folds to ASCII before an IPv4 address"));
    }
    // \b(?i:version|ver|rev|release|build|v)[\s:=]*\Z
    let trimmed = window.trim_end_matches(|c: char| c == ':' || c == '=' || is_space(c));
    for word in ["version", "ver", "rev", "release", "build", "v"] {
        let Some(start_of_word) = trimmed.len().checked_sub(word.len()) else { continue };
        if trimmed.get(start_of_word..).is_some_and(|w| w.eq_ignore_ascii_case(word)) && !prev_char(text, low + start_of_word).is_some_and(is_word) {
            return Ok(true);
        }
    }
    // [A-Za-z][\w.-]*/\Z
    if let Some(before_slash) = window.strip_suffix('/') {
        for c in before_slash.chars().rev() {
            if c.is_ascii_alphabetic() {
                return Ok(true);
            }
            if !(is_word(c) || c == '.' || c == '-') {
                break;
            }
        }
    }
    Ok(false)
}

pub fn find_ipv4(text: &str) -> Result<Vec<Span>, Decline> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let candidate = bytes[at].is_ascii_digit() && !(at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'.'));
        match if candidate { body_end(&patterns().ipv4, text, at) } else { None } {
            Some(end) => {
                if !version_before(text, at)? {
                    spans.push((at, end, text[at..end].to_string()));
                }
                at = end;
            }
            None => at += 1,
        }
    }
    Ok(spans)
}

pub fn find_ipv6(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        let candidate = (byte.is_ascii_hexdigit() || byte == b':') && !(at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || matches!(bytes[at - 1], b':' | b'.')));
        match if candidate { body_end(&patterns().ipv6, text, at) } else { None } {
            Some(end) => {
                let found = &text[at..end];
                if found.bytes().any(|b| b.is_ascii_digit()) {
                    spans.push((at, end, found.to_ascii_lowercase()));
                }
                at = end;
            }
            None => at += 1,
        }
    }
    spans
}
