//! The serde code of the generated models, written out instead of derived.
//!
//! A model struct keeps the JSON properties it does not declare in `additional_properties`. The
//! derive does that with `#[serde(flatten)]`, which buffers every object into an intermediate
//! map before decoding it. Here each struct says where one property goes ([`Object::field`]) and
//! the object is decoded in one pass: known keys straight into their fields, the rest into
//! `additional_properties`. The polymorphic `Any…` enums read `@odata.type` (the first property
//! of every Graph object) and decode the rest straight into the member it names.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON string (an object's key, an enum's value), borrowed from the input when it has no
/// escapes.
pub struct Key<'de>(Cow<'de, str>);

impl Key<'_> {
    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key as an owned string.
    pub fn into_string(self) -> String {
        self.0.into_owned()
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// A model struct, decoded property by property.
pub trait Object: Default {
    /// The Rust name, for error messages ("expected struct AccessPackage").
    const NAME: &'static str;

    /// Decodes the value of property `key` from `map` into its field, or into
    /// `additional_properties` when the type does not declare it.
    fn field<'de, A: MapAccess<'de>>(&mut self, key: Key<'de>, map: &mut A) -> Result<(), A::Error>;
}

/// A model struct with `@odata.type`, which may be a member of a polymorphic enum.
pub trait Member {
    /// Writes the object, its `@odata.type` first: `odata_type`, or `tag` (`#microsoft.graph.…`,
    /// what a polymorphic enum sends for its member) when that is unset.
    fn write<S: Serializer>(&self, tag: Option<&'static str>, serializer: S) -> Result<S::Ok, S::Error>;
}

/// `Deserialize` of a model struct.
pub fn deserialize<'de, T: Object, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    struct ObjectVisitor<T>(PhantomData<T>);
    impl<'de, T: Object> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "struct {}", T::NAME)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut out = T::default();
            fill(&mut out, &mut map)?;
            Ok(out)
        }
    }
    deserializer.deserialize_map(ObjectVisitor(PhantomData))
}

/// Decodes the remaining properties of `map` into `out`.
pub fn fill<'de, T: Object, A: MapAccess<'de>>(out: &mut T, map: &mut A) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        out.field(key, map)?;
    }
    Ok(())
}

/// An undeclared property: kept as JSON in `additional_properties`.
pub fn other<'de, A: MapAccess<'de>>(
    additional: &mut Map<String, Value>,
    key: Key<'de>,
    map: &mut A,
) -> Result<(), A::Error> {
    let value: Value = map.next_value()?;
    additional.insert(key.into_string(), value);
    Ok(())
}

/// Decodes the value of a declared property into its field. (One generic function per field type,
/// shared by every field of that type, instead of the same lines in every struct's `field`.)
pub fn set<'de, T: Deserialize<'de>, A: MapAccess<'de>>(slot: &mut T, map: &mut A) -> Result<(), A::Error> {
    *slot = map.next_value()?;
    Ok(())
}

/// Decodes an `Edm.DateTimeOffset` property into its field. Graph writes its timestamps in one form,
/// `2024-05-01T12:30:00Z` with up to 7 digits of fractional seconds: that form is read directly,
/// about five times as fast as chrono's general RFC 3339 parser, which reads any other form (an
/// offset, a lowercase `t`, a leap second) as `DateTime<Utc>`'s `Deserialize` does: the same
/// value, the same errors.
pub fn set_date_time<'de, A: MapAccess<'de>>(slot: &mut Option<DateTime<Utc>>, map: &mut A) -> Result<(), A::Error> {
    *slot = map.next_value_seed(OptionalDateTime)?;
    Ok(())
}

/// `Option<DateTime<Utc>>`, decoded as its `Deserialize` does, with [`graph_date_time`] first.
struct OptionalDateTime;

impl<'de> de::DeserializeSeed<'de> for OptionalDateTime {
    type Value = Option<DateTime<Utc>>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptionalDateTime {
    type Value = Option<DateTime<Utc>>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(DateTimeText).map(Some)
    }
}

/// The text of a `DateTime<Utc>`.
struct DateTimeText;

impl Visitor<'_> for DateTimeText {
    type Value = DateTime<Utc>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 formatted date and time string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime<Utc>, E> {
        match graph_date_time(v) {
            Some(t) => Ok(t),
            None => v.parse::<DateTime<FixedOffset>>().map(|t| t.with_timezone(&Utc)).map_err(E::custom),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.F]Z` (`F`: 1 to 9 digits), the form Graph writes, when it names a valid
/// time; `None` for anything else.
fn graph_date_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let shape = b.len() >= 20 && (b[4], b[7], b[10], b[13], b[16]) == (b'-', b'-', b'T', b':', b':');
    if !shape || b[b.len() - 1] != b'Z' {
        return None;
    }
    let number =
        |digits: &[u8]| digits.iter().try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    let nanos = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => number(digits)? * 10u32.pow(9 - digits.len() as u32),
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(number(&b[0..4])? as i32, number(&b[5..7])?, number(&b[8..10])?)?;
    let time = date.and_hms_nano_opt(number(&b[11..13])?, number(&b[14..16])?, number(&b[17..19])?, nanos)?;
    Some(time.and_utc())
}

/// A model struct being written: each property one call, the first error kept and returned by
/// [`Writer::end`] (so that a struct's `serialize` is a list of calls, not of early returns).
pub struct Writer<M: SerializeMap> {
    map: M,
    error: Option<M::Error>,
}

impl<M: SerializeMap> Writer<M> {
    /// Writes `key` when the property is set (unset properties are left out, `null` is sent with
    /// `set_null`).
    pub fn entry<T: Serialize + ?Sized>(&mut self, key: &'static str, value: Option<&T>) {
        if let (None, Some(value)) = (&self.error, value) {
            if let Err(e) = self.map.serialize_entry(key, value) {
                self.error = Some(e);
            }
        }
    }

    /// Writes the properties of `additional_properties` and ends the object.
    pub fn end(mut self, additional: &Map<String, Value>) -> Result<M::Ok, M::Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        for (key, value) in additional {
            self.map.serialize_entry(key, value)?;
        }
        self.map.end()
    }
}

/// Starts the object of a model struct.
pub fn begin<S: Serializer>(serializer: S) -> Result<Writer<S::SerializeMap>, S::Error> {
    Ok(Writer { map: serializer.serialize_map(None)?, error: None })
}

/// A polymorphic `Any…` enum, decoded on the `@odata.type` of its object.
pub trait Tagged: Sized {
    /// The Rust name, for error messages.
    const NAME: &'static str;

    /// When `tag` (without its `#`) names a member: that member decoded from the rest of `map`
    /// (with [`fill`]), its `odata_type` set to `sent` (the tag as the server wrote it). `None`
    /// for other tags.
    fn member<'de, A: MapAccess<'de>>(tag: &str, sent: &str, map: &mut A) -> Result<Option<Self>, A::Error>;

    /// Any object, decoded from JSON: by its tag, or as the declared type when it has none.
    fn from_json<E: de::Error>(value: Value) -> Result<Self, E>;
}

/// `Deserialize` of a polymorphic enum. Graph writes `@odata.type` first: when it is, the object is
/// decoded in one pass into the member the tag names; otherwise (no tag, a tag this crate does not
/// know, a tag further down) the object is read as JSON first.
pub fn deserialize_tagged<'de, T: Tagged, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    struct TaggedVisitor<T>(PhantomData<T>);
    impl<'de, T: Tagged> Visitor<'de> for TaggedVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a JSON object ({})", T::NAME)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut seen = Map::new();
            if let Some(key) = map.next_key::<Key<'de>>()? {
                let value: Value = map.next_value()?;
                if let ("@odata.type", Value::String(sent)) = (key.as_str(), &value) {
                    let tag = sent.strip_prefix('#').unwrap_or(sent);
                    if let Some(member) = T::member(tag, sent, &mut map)? {
                        return Ok(member);
                    }
                }
                seen.insert(key.into_string(), value);
            }
            while let Some((key, value)) = map.next_entry::<String, Value>()? {
                seen.insert(key, value);
            }
            T::from_json(Value::Object(seen))
        }
        // Anything that is not an object goes the way of JSON too (a member fails on it, `Other`
        // keeps it), as before.
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            T::from_json(Value::Bool(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            T::from_json(Value::from(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            T::from_json(Value::from(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            T::from_json(Value::from(v))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            T::from_json(Value::from(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            T::from_json(Value::Null)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
            let value = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
            T::from_json(value)
        }
    }
    deserializer.deserialize_any(TaggedVisitor(PhantomData))
}
