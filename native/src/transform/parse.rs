//! JSON text -> serde_json::Value, accepting exactly what orjson.loads accepts (RFC 8259) and
//! giving the values serde_json's own parser gives, but faster: maps are built at their final
//! size from a shared stack of members instead of grown one insert at a time.

use serde_json::{Map, Number, Value};

use super::json::find_to_escape;
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
}

/// The text must be UTF-8 already (checked once for the whole input).
pub fn parse(text: &str) -> Result<Value, Declined> {
    let mut parser = Parser { text, at: 0, depth: 0, members: Vec::new(), items: Vec::new(), scratch: Vec::new() };
    let value = parser.value()?;
    parser.skip_space();
    if parser.at != text.len() {
        return Err(invalid("trailing characters"));
    }
    Ok(value)
}

impl Parser<'_> {
    fn bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
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
                let value = self.value()?;
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
        let mut map = Map::with_capacity(self.members.len() - start);
        // A repeated key keeps its first place and its last value, as in a Python dict.
        for (key, value) in self.members.drain(start..) {
            map.insert(key, value);
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
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let ch = self.unicode_escape()?;
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
        Number::from_f64(float).ok_or(invalid("number out of range"))
    }
}
