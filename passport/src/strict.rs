//! Strict decoding helpers: unpadded base64url and JSON without duplicate members.

use crate::error::Cause;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::fmt;

/// Decodes strict unpadded base64url: alphabet `A-Z a-z 0-9 - _`, no `=`,
/// no whitespace, and unused trailing bits must be zero (one encoding per
/// byte string).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    // URL_SAFE_NO_PAD rejects padding and non-zero trailing bits; the explicit
    // alphabet check keeps that true whatever the engine's defaults become.
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    if s.len() % 4 == 1 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// Encodes unpadded base64url.
pub fn b64url_encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Why strict JSON decoding failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON (syntax, UTF-8, trailing bytes, nesting too deep); the
    /// `serde_json` error.
    Syntax(Cause),
    /// An object repeats a member name (at any depth).
    Duplicate(String),
    /// Valid JSON but not an object.
    NotObject,
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(e) => write!(f, "not JSON: {e}"),
            JsonError::Duplicate(n) => write!(f, "duplicate member {n:?}"),
            JsonError::NotObject => f.write_str("not a JSON object"),
        }
    }
}

/// Parses one JSON object, rejecting duplicate member names at any depth.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse_value(bytes)? {
        Value::Object(m) => Ok(m),
        _ => Err(JsonError::NotObject),
    }
}

/// Parses one JSON value, rejecting duplicate member names at any depth.
pub fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let dup = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = StrictSeed { dup: &dup }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => match dup.into_inner() {
            Some(name) => Err(JsonError::Duplicate(name)),
            None => Err(JsonError::Syntax(Cause::new(e))),
        },
    }
}

/// Parses one JSON object in a single pass, returning the values of the
/// members named in `names` (in that order) and discarding the others, which
/// are still fully parsed and checked for duplicate member names at any depth.
pub(crate) fn parse_fields<const N: usize>(
    bytes: &[u8],
    names: &[&str; N],
) -> Result<[Option<Value>; N], JsonError> {
    let dup = RefCell::new(None);
    let (result, not_object) = {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let seed = FieldsSeed {
            dup: &dup,
            names,
            not_object: std::cell::Cell::new(false),
        };
        let r =
            de::Deserializer::deserialize_any(&mut de, &seed).and_then(|v| de.end().map(|()| v));
        (r, seed.not_object.get())
    };
    match result {
        Ok(v) => Ok(v),
        Err(e) => {
            if let Some(name) = dup.into_inner() {
                Err(JsonError::Duplicate(name))
            } else if not_object {
                Err(JsonError::NotObject)
            } else {
                Err(JsonError::Syntax(Cause::new(e)))
            }
        }
    }
}

struct FieldsSeed<'a, const N: usize> {
    dup: &'a RefCell<Option<String>>,
    names: &'a [&'a str; N],
    not_object: std::cell::Cell<bool>,
}

/// A member name: the index of a known name, or an unknown name.
enum Key {
    Known(usize),
    Unknown(String),
}

struct KeySeed<'a, const N: usize>(&'a [&'a str; N]);

impl<'de, const N: usize> DeserializeSeed<'de> for KeySeed<'_, N> {
    type Value = Key;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for KeySeed<'_, N> {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }
    fn visit_str<E>(self, v: &str) -> Result<Key, E> {
        Ok(match self.0.iter().position(|n| *n == v) {
            Some(i) => Key::Known(i),
            None => Key::Unknown(v.to_owned()),
        })
    }
}

impl<'de, const N: usize> Visitor<'de> for &FieldsSeed<'_, N> {
    type Value = [Option<Value>; N];

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.not_object()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Consume it so that the error is "not an object", not a syntax error.
        let inner = StrictSeed { dup: self.dup };
        while seq.next_element_seed(inner)?.is_some() {}
        self.not_object()
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
        let mut unknown: Vec<String> = Vec::new();
        let inner = StrictSeed { dup: self.dup };
        while let Some(key) = map.next_key_seed(KeySeed(self.names))? {
            let name = match &key {
                Key::Known(i) if out[*i].is_some() => Some(self.names[*i].to_owned()),
                Key::Unknown(k) if unknown.contains(k) => Some(k.clone()),
                _ => None,
            };
            if let Some(name) = name {
                let msg = format!("duplicate member {name:?}");
                *self.dup.borrow_mut() = Some(name);
                return Err(de::Error::custom(msg));
            }
            let v = map.next_value_seed(inner)?;
            match key {
                Key::Known(i) => out[i] = Some(v),
                Key::Unknown(k) => unknown.push(k),
            }
        }
        Ok(out)
    }
}

impl<const N: usize> FieldsSeed<'_, N> {
    fn not_object<T, E: de::Error>(&self) -> Result<T, E> {
        self.not_object.set(true);
        Err(E::custom("not a JSON object"))
    }
}

#[derive(Clone, Copy)]
struct StrictSeed<'a> {
    dup: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for StrictSeed<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                let msg = format!("duplicate member {key:?}");
                *self.dup.borrow_mut() = Some(key);
                return Err(de::Error::custom(msg));
            }
            let v = map.next_value_seed(self)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_is_strict() {
        assert_eq!(b64url_decode("YQ").as_deref(), Some(&b"a"[..]));
        assert_eq!(b64url_decode("YQ=="), None, "padding");
        assert_eq!(b64url_decode("YR"), None, "non-zero trailing bits");
        assert_eq!(b64url_decode("Y Q"), None, "whitespace");
        assert_eq!(b64url_decode("+/8"), None, "standard alphabet");
        assert_eq!(b64url_decode("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(b64url_decode("Y"), None, "impossible length");
    }

    #[test]
    fn duplicates_rejected_at_any_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonError::Duplicate("a".into()))
        );
        assert_eq!(
            parse_object(br#"{"x":[{"b":1,"b":1}]}"#),
            Err(JsonError::Duplicate("b".into()))
        );
        // Escapes are decoded before comparison.
        assert_eq!(
            parse_object(br#"{"alg":1,"\u0061lg":2}"#),
            Err(JsonError::Duplicate("alg".into()))
        );
        assert!(parse_object(br#"{"a":1,"b":{"a":2}}"#).is_ok());
        assert_eq!(parse_object(b"[1]"), Err(JsonError::NotObject));
        assert!(matches!(
            parse_object(br#"{"a":1} x"#),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_object(b"{\"a\":\"\xff\"}"),
            Err(JsonError::Syntax(_))
        ));
    }

    #[test]
    fn fields_single_pass() {
        let names = ["a", "b"];
        let [a, b] = parse_fields(br#"{"x":{"y":1},"b":[1],"a":"s"}"#, &names).unwrap();
        assert_eq!(a, Some(Value::String("s".into())));
        assert_eq!(b, Some(serde_json::json!([1])));
        for (input, want) in [
            (&br#"{"a":1,"a":1}"#[..], JsonError::Duplicate("a".into())),
            (br#"{"x":1,"x":1}"#, JsonError::Duplicate("x".into())),
            (br#"{"x":{"y":1,"y":2}}"#, JsonError::Duplicate("y".into())),
            (br#"{"\u0061":1,"a":1}"#, JsonError::Duplicate("a".into())),
            (b"[1,2]", JsonError::NotObject),
            (b"\"s\"", JsonError::NotObject),
            (b"null", JsonError::NotObject),
        ] {
            assert_eq!(parse_fields(input, &names), Err(want), "{input:?}");
        }
        assert!(matches!(
            parse_fields(b"{", &names),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_fields(b"{} {}", &names),
            Err(JsonError::Syntax(_))
        ));
    }
}
