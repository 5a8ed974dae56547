//! JSON text -> serde_json::Value, accepting exactly what orjson.loads accepts (RFC 8259) and
//! giving the values serde_json's own parser gives, but faster: maps are built at their final
//! size from a shared stack of members instead of grown one insert at a time.

use serde_json::{Map, Number, Value};

use super::json::{find_to_escape, ESCAPE, HEX};
use super::Declined;

/// serde_json's own limit, well inside bridge/decode.py's MAX_NESTING of 200.
const MAX_DEPTH: usize = 128;

/// Text orjson.loads refuses (the Python path raises DecodeError for it).
const fn invalid(what: &'static str) -> Declined {
    Declined(what)
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
    members: Vec<(String, Value)>,
    items: Vec<Value>,
    scratch: Vec<u8>,
    /// Places so far where the text is not what json::write_value would print for its value
    /// (whitespace, an escape written another way, a number spelled otherwise, a repeated key).
    irregular: u32,
    /// Objects so far whose keys are not in json::write_sorted's order.
    unsorted: u32,
    spans: Vec<Span>,
}

/// Where a member value of the top-level object lies in the text, and whether those bytes are
/// already exactly what json::write_value (`canonical`) and json::write_sorted (`sorted`) print.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    canonical: bool,
    sorted: bool,
}

/// The parsed text with, when its top-level object has no repeated key, the span of each
/// member's value in map order (so that a value left untouched can be copied, not rewritten).
pub struct Received<'a> {
    pub text: &'a str,
    spans: Vec<Span>,
}

impl Received<'_> {
    /// The text of the `index`-th top-level member's value if json::write_value prints exactly that.
    pub fn canonical(&self, index: usize) -> Option<&[u8]> {
        self.spans.get(index).filter(|span| span.canonical).map(|span| &self.text.as_bytes()[span.start..span.end])
    }

    /// The same for json::write_sorted.
    pub fn sorted(&self, index: usize) -> Option<&[u8]> {
        self.spans.get(index).filter(|span| span.canonical && span.sorted).map(|span| &self.text.as_bytes()[span.start..span.end])
    }
}

/// The text must be UTF-8 already (checked once for the whole input).
pub fn parse(text: &str) -> Result<(Value, Received<'_>), Declined> {
    let mut parser = Parser {
        text,
        at: 0,
        depth: 0,
        // Sized for a usual LogEntry, so that they seldom grow member by member.
        members: Vec::with_capacity(32),
        items: Vec::with_capacity(8),
        scratch: Vec::new(),
        irregular: 0,
        unsorted: 0,
        spans: Vec::with_capacity(16),
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.at != text.len() {
        return Err(invalid("trailing characters"));
    }
    let mut spans = parser.spans;
    if value.as_object().is_none_or(|map| map.len() != spans.len()) {
        spans.clear();
    }
    Ok((value, Received { text, spans }))
}

/// Whether json::write_str escapes `ch` as the `\\u` digits `written` (only control characters
/// without a short escape, in lower-case hex).
fn escaped_as_written(ch: char, written: &[u8]) -> bool {
    let code = ch as u32;
    code < 0x20 && ESCAPE[code as usize] == b'u' && written == [b'0', b'0', HEX[(code >> 4) as usize], HEX[(code & 0xf) as usize]]
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        let from = self.at;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
        if self.at != from {
            self.irregular += 1;
        }
    }

    fn expect(&mut self, literal: &[u8]) -> Result<(), Declined> {
        if self.bytes()[self.at..].starts_with(literal) {
            self.at += literal.len();
            Ok(())
        } else {
            Err(invalid("literal"))
        }
    }

    fn value(&mut self) -> Result<Value, Declined> {
        self.skip_space();
        match self.peek().ok_or(invalid("end"))? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Value::String),
            b't' => self.expect(b"true").map(|()| Value::Bool(true)),
            b'f' => self.expect(b"false").map(|()| Value::Bool(false)),
            b'n' => self.expect(b"null").map(|()| Value::Null),
            b'-' | b'0'..=b'9' => self.number().map(Value::Number),
            _ => Err(invalid("value")),
        }
    }

    fn enter(&mut self) -> Result<(), Declined> {
        self.depth += 1;
        self.at += 1;
        if self.depth > MAX_DEPTH {
            return Err(invalid("too deep"));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Value, Declined> {
        self.enter()?;
        let start = self.members.len();
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            loop {
                self.skip_space();
                if self.peek() != Some(b'"') {
                    return Err(invalid("key"));
                }
                let key = self.string()?;
                self.skip_space();
                self.expect(b":")?;
                self.skip_space();
                let (start, irregular, unsorted) = (self.at, self.irregular, self.unsorted);
                let value = self.value()?;
                if self.depth == 1 {
                    self.spans.push(Span {
                        start,
                        end: self.at,
                        canonical: self.irregular == irregular,
                        sorted: self.unsorted == unsorted,
                    });
                }
                self.members.push((key, value));
                self.skip_space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(invalid("object")),
                }
            }
        }
        self.depth -= 1;
        let members = &self.members[start..];
        if members.windows(2).any(|pair| pair[0].0.as_bytes() >= pair[1].0.as_bytes()) {
            self.unsorted += 1;
        }
        let count = members.len();
        let mut map = Map::with_capacity(count);
        // A repeated key keeps its first place and its last value, as in a Python dict.
        for (key, value) in self.members.drain(start..) {
            map.insert(key, value);
        }
        if map.len() != count {
            self.irregular += 1;
        }
        Ok(Value::Object(map))
    }

    fn array(&mut self) -> Result<Value, Declined> {
        self.enter()?;
        let start = self.items.len();
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                let item = self.value()?;
                self.items.push(item);
                self.skip_space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        break;
                    }
                    _ => return Err(invalid("array")),
                }
            }
        }
        self.depth -= 1;
        Ok(Value::Array(self.items.drain(start..).collect()))
    }

    /// At the opening quote.
    fn string(&mut self) -> Result<String, Declined> {
        self.at += 1;
        let start = self.at;
        let run = find_to_escape(&self.bytes()[start..]);
        let end = start + run;
        match self.peek_at(end) {
            Some(b'"') => {
                self.at = end + 1;
                Ok(self.text[start..end].to_owned())
            }
            Some(b'\\') => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                scratch.extend_from_slice(&self.bytes()[start..end]);
                self.at = end;
                let done = self.escaped_rest(&mut scratch);
                let text = done.and_then(|()| String::from_utf8(scratch.clone()).map_err(|_| invalid("utf-8")));
                self.scratch = scratch;
                text
            }
            _ => Err(invalid("control character or end in string")),
        }
    }

    fn peek_at(&self, at: usize) -> Option<u8> {
        self.bytes().get(at).copied()
    }

    /// From a backslash to the closing quote, appending the decoded text.
    fn escaped_rest(&mut self, out: &mut Vec<u8>) -> Result<(), Declined> {
        loop {
            match self.peek().ok_or(invalid("end in string"))? {
                b'"' => {
                    self.at += 1;
                    return Ok(());
                }
                b'\\' => {
                    let escape = self.peek_at(self.at + 1).ok_or(invalid("end in escape"))?;
                    self.at += 2;
                    let byte = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => {
                            self.irregular += 1;
                            b'/'
                        }
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let digits = self.at;
                            let ch = self.unicode_escape()?;
                            if !escaped_as_written(ch, &self.bytes()[digits..self.at]) {
                                self.irregular += 1;
                            }
                            out.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(invalid("escape")),
                    };
                    out.push(byte);
                }
                _ => {
                    let run = find_to_escape(&self.bytes()[self.at..]);
                    if run == 0 {
                        return Err(invalid("control character in string"));
                    }
                    out.extend_from_slice(&self.bytes()[self.at..self.at + run]);
                    self.at += run;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Declined> {
        let digits = self.bytes().get(self.at..self.at + 4).ok_or(invalid("short \\u"))?;
        let value = digits.iter().try_fold(0u32, |acc, b| (*b as char).to_digit(16).map(|d| acc * 16 + d));
        self.at += 4;
        value.ok_or(invalid("\\u digits"))
    }

    /// After `\u`: one code point, a surrogate pair joined; a lone surrogate is an error (as in orjson).
    fn unicode_escape(&mut self) -> Result<char, Declined> {
        let first = self.hex4()?;
        let code = match first {
            0xd800..=0xdbff => {
                if self.bytes().get(self.at..self.at + 2) != Some(b"\\u") {
                    return Err(invalid("lone surrogate"));
                }
                self.at += 2;
                let second = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(invalid("lone surrogate"));
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(invalid("lone surrogate")),
            code => code,
        };
        char::from_u32(code).ok_or(invalid("code point"))
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: integers as u64/i64 when they fit,
    /// everything else as the correctly rounded f64 (what serde_json and orjson both give).
    fn number(&mut self) -> Result<Number, Declined> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let digits = |parser: &mut Self| {
            let from = parser.at;
            while let Some(b'0'..=b'9') = parser.peek() {
                parser.at += 1;
            }
            parser.at - from
        };
        let int_start = self.at;
        let int_digits = digits(self);
        if int_digits == 0 || (int_digits > 1 && self.bytes()[int_start] == b'0') {
            return Err(invalid("number"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(invalid("fraction"));
            }
            integral = false;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(invalid("exponent"));
            }
            integral = false;
        }
        let literal = &self.text[start..self.at];
        if integral {
            let magnitude = &self.text[int_start..self.at];
            if !negative {
                if let Ok(unsigned) = magnitude.parse::<u64>() {
                    return Ok(Number::from(unsigned));
                }
            } else if let Ok(signed) = literal.parse::<i64>() {
                // serde_json reads "-0" as the float -0.0 (the writer then declines it).
                if signed != 0 {
                    return Ok(Number::from(signed));
                }
            }
        }
        let float: f64 = literal.parse().map_err(|_| invalid("number"))?;
        let number = Number::from_f64(float).ok_or(invalid("number out of range"))?;
        // -0.0 too: json::write_value declines it, so a copy must not let it through.
        if float == 0.0 && float.is_sign_negative() || zmij::Buffer::new().format_finite(float) != literal {
            self.irregular += 1;
        }
        Ok(number)
    }
}

#[cfg(test)]
mod tests {
    use super::super::json::{write_sorted, write_value};
    use super::*;

    /// Each member's received text is offered for copying only where it is what writing prints.
    fn copies(text: &str) -> Vec<(bool, bool)> {
        let (value, received) = parse(text).expect("valid JSON");
        let map = value.as_object().expect("an object");
        let mut flags = Vec::new();
        for (index, (_, member)) in map.iter().enumerate() {
            let (mut written, mut sorted) = (Vec::new(), Vec::new());
            let writes = write_value(&mut written, member).is_ok() && write_sorted(&mut sorted, member).is_ok();
            if let Some(copy) = received.canonical(index) {
                assert!(writes && copy == written.as_slice(), "{text}: member {index}");
            }
            if let Some(copy) = received.sorted(index) {
                assert!(writes && copy == sorted.as_slice(), "{text}: member {index} sorted");
            }
            flags.push((received.canonical(index).is_some(), received.sorted(index).is_some()));
        }
        flags
    }

    #[test]
    fn only_text_written_exactly_so_is_copied() {
        let exact = [
            r#"{"a":{"k":"v","n":12,"m":-3,"f":1.5,"t":true,"z":null,"l":[1,"x",{}]}}"#,
            r#"{"a":"q\"b\\s\n\r\t\b\f\u0001\u001f é€😀"}"#,
            r#"{"a":{"b":1,"a":2}}"#,
        ];
        assert_eq!(copies(exact[0]), [(true, false)]);
        assert_eq!(copies(exact[1]), [(true, true)]);
        assert_eq!(copies(exact[2]), [(true, false)]);
        assert_eq!(copies(r#"{"a":{"a":1,"b":[{"c":2,"d":3}]}}"#), [(true, true)]);
        for rewritten in [
            r#"{"a":{"k": "v"}}"#,
            r#"{"a":{"k" :"v"}}"#,
            r#"{"a":[1, 2]}"#,
            r#"{"a":"\/"}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\u00e9"}"#,
            r#"{"a":"\u000A"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000a"}"#,
            r#"{"a":1e5}"#,
            r#"{"a":1.50}"#,
            r#"{"a":1E+2}"#,
            r#"{"a":-0}"#,
            r#"{"a":-0.0}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":-9223372036854775809}"#,
            r#"{"a":{"k":1,"k":2}}"#,
        ] {
            assert_eq!(copies(rewritten), [(false, false)], "{rewritten}");
        }
        // Space around a member's value is outside its text.
        assert_eq!(copies(r#"{ "a": {"x":1} , "b":[1 ],"c" : "ok" }"#), [(true, true), (false, false), (true, true)]);
        // A repeated top-level key: map order no longer follows the text, nothing is copied.
        assert_eq!(copies(r#"{"a":1,"b":2,"a":3}"#), [(false, false), (false, false)]);
    }
}
