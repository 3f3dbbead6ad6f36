use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Percent-encodes `s` as exactly one path segment: only unreserved characters stay as they are,
/// so an id containing `/ ? # % '` or spaces can never change the path.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// An OData string literal for a function argument in the URL **path** (`filterByCurrentUser(on='...')`):
/// quoted, `'` doubled, then percent-encoded as part of a path segment (the quotes stay literal).
///
/// Not for `$filter`: the query is percent-encoded by the request, so this would encode twice.
/// Write filters with [`Filter`](crate::Filter) (or
/// [`quote_literal`](crate::quote_literal) in a raw filter).
pub fn path_argument_literal(s: &str) -> String {
    format!("'{}'", encode_segment(&s.replace('\'', "''")))
}

/// An OData collection literal for a function argument in the URL **path**
/// (`computeInheritance(labelIds=["a","b"],...)`): the items as a JSON array (OData's collection
/// literal in a URL), percent-encoded as part of a path segment.
pub fn path_argument_collection<T: Serialize>(items: &[T]) -> String {
    // The arguments are primitives, enums and the crate's models, whose serialization cannot fail
    // (no map with non-string keys); an empty array stands in should one ever fail.
    encode_segment(&serde_json::to_string(items).unwrap_or_else(|_| String::from("[]")))
}

/// A function argument in the URL **path** that is neither a string nor an enum: a number,
/// boolean, GUID, date or time as its OData literal (its JSON form unquoted: `row=3`,
/// `start=2024-05-01T00:00:00Z`), percent-encoded as part of a path segment.
pub fn path_argument_value<T: Serialize>(value: &T) -> String {
    // Primitives and the runtime's value types, whose serialization cannot fail.
    let json = serde_json::to_string(value).unwrap_or_default();
    let text = json.strip_prefix('"').and_then(|j| j.strip_suffix('"')).unwrap_or(&json);
    encode_segment(text)
}

/// The old name of [`path_argument_literal`], which was easy to mistake for a `$filter` helper.
#[deprecated(
    note = "for path arguments only: use `path_argument_literal`; in `$filter`, use `Filter` or `quote_literal`"
)]
pub fn odata_string_literal(s: &str) -> String {
    path_argument_literal(s)
}

/// An ISO 8601 duration (`Edm.Duration`), such as `P7D` or `PT1H30M`. Keeps the components as
/// written, since months and years have no fixed length.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct IsoDuration {
    /// A leading `-`.
    pub negative: bool,
    /// `Y`
    pub years: u64,
    /// `M` before `T`
    pub months: u64,
    /// `W`
    pub weeks: u64,
    /// `D`
    pub days: u64,
    /// `H`
    pub hours: u64,
    /// `M` after `T`
    pub minutes: u64,
    /// `S`, possibly fractional
    pub seconds: f64,
}

impl IsoDuration {
    /// A duration of `days` days (`P{days}D`).
    pub fn days(days: u64) -> Self {
        IsoDuration { days, ..Default::default() }
    }

    /// The length as a `std::time::Duration`, when it has no years or months (negative ones
    /// have none either).
    pub fn to_std(&self) -> Option<std::time::Duration> {
        if self.negative || self.years != 0 || self.months != 0 {
            return None;
        }
        let whole = ((self.weeks * 7 + self.days) * 24 + self.hours) * 3600 + self.minutes * 60;
        Some(std::time::Duration::from_secs(whole) + std::time::Duration::try_from_secs_f64(self.seconds).ok()?)
    }
}

impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        for (v, c) in [(self.years, 'Y'), (self.months, 'M'), (self.weeks, 'W'), (self.days, 'D')] {
            if v != 0 {
                write!(f, "{v}{c}")?;
            }
        }
        if self.hours != 0 || self.minutes != 0 || self.seconds != 0.0 {
            f.write_str("T")?;
            if self.hours != 0 {
                write!(f, "{}H", self.hours)?;
            }
            if self.minutes != 0 {
                write!(f, "{}M", self.minutes)?;
            }
            if self.seconds != 0.0 {
                write!(f, "{}S", self.seconds)?;
            }
        } else if self.years == 0 && self.months == 0 && self.weeks == 0 && self.days == 0 {
            f.write_str("T0S")?;
        }
        Ok(())
    }
}

impl FromStr for IsoDuration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not an ISO 8601 duration");
        let (negative, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        let rest = rest.strip_prefix('P').ok_or_else(bad)?;
        let mut d = IsoDuration { negative, ..Default::default() };
        let mut in_time = false;
        let mut any_time = false;
        let mut number = String::new();
        let mut any = false;
        for c in rest.chars() {
            match c {
                'T' if !in_time && number.is_empty() => in_time = true,
                '0'..='9' | '.' | ',' => number.push(if c == ',' { '.' } else { c }),
                _ => {
                    if number.is_empty() {
                        return Err(bad());
                    }
                    let whole = || number.parse::<u64>().map_err(|_| bad());
                    match (in_time, c) {
                        (false, 'Y') => d.years = whole()?,
                        (false, 'M') => d.months = whole()?,
                        (false, 'W') => d.weeks = whole()?,
                        (false, 'D') => d.days = whole()?,
                        (true, 'H') => d.hours = whole()?,
                        (true, 'M') => d.minutes = whole()?,
                        (true, 'S') => d.seconds = number.parse::<f64>().map_err(|_| bad())?,
                        _ => return Err(bad()),
                    }
                    number.clear();
                    any = true;
                    any_time |= in_time;
                }
            }
        }
        if !any || !number.is_empty() || (in_time && !any_time) {
            return Err(bad());
        }
        Ok(d)
    }
}

impl Serialize for IsoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for IsoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Bytes sent as base64 text (`Edm.Binary`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        let engine = &base64::engine::general_purpose::STANDARD;
        engine
            .decode(s.as_bytes())
            .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(s.as_bytes()))
            .map(Base64Bytes)
            .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

/// The `@odata.type` of a JSON object, without the leading `#`.
pub fn odata_type_of(value: &serde_json::Value) -> Option<&str> {
    let t = value.get("@odata.type")?.as_str()?;
    Some(t.strip_prefix('#').unwrap_or(t))
}

/// Decodes a polymorphic member from the JSON it was dispatched on; an error names the JSON path
/// inside the value, e.g. schedule.expiration.duration: "`P1X` is not an ISO 8601 duration"; the
/// caller's path leads to the value.
pub fn from_value<T: serde::de::DeserializeOwned, E: serde::de::Error>(value: serde_json::Value) -> Result<T, E> {
    // A rare path: Graph writes `@odata.type` first, and such objects are decoded in one pass
    // (`runtime::object`).
    super::json_path::from_value(&value).map_err(|(path, message)| {
        if path == "." { E::custom(message) } else { E::custom(format!("{path}: {message}")) }
    })
}
