//! The one place that touches a YAML library. `serde_yaml` is deprecated upstream; swapping it for
//! a maintained fork (`serde_norway`, same API) means changing this module and Cargo.toml only.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Loc, Result};

/// Deserializes YAML text, reporting errors as `file:line:column: message`.
pub fn from_str<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T> {
    serde_yaml::from_str(text).map_err(|e| located(&e, file))
}

fn located(e: &serde_yaml::Error, file: &Path) -> Error {
    let loc = e.location().map_or(Loc::default(), |l| Loc {
        line: u32::try_from(l.line()).unwrap_or(u32::MAX),
        col: u32::try_from(l.column()).unwrap_or(u32::MAX),
    });
    Error::input(file, loc, crate::error::without_position_suffix(e.to_string()))
}

/// Where `needle` first stands as a word of its own (not part of a longer name) on a line of
/// `text` that is not a comment, between lines `from` and `to` (1-based, `to` excluded): for
/// errors found after parsing, at the value they are about.
pub fn find_word(text: &str, needle: &str, from: u32, to: u32) -> Option<Loc> {
    if needle.is_empty() {
        return None;
    }
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.lines()
        .enumerate()
        .map(|(i, l)| (u32::try_from(i + 1).unwrap_or(u32::MAX), l))
        .filter(|(n, l)| *n >= from && *n < to && !l.trim_start().starts_with('#'))
        .find_map(|(line, l)| {
            let col = l.match_indices(needle).map(|(i, _)| i).find(|&i| {
                let before = l[..i].chars().next_back();
                let after = l[i + needle.len()..].chars().next();
                !before.is_some_and(is_name) && !after.is_some_and(is_name)
            })?;
            Some(Loc { line, col: u32::try_from(col + 1).unwrap_or(1) })
        })
}

/// Deserializes YAML text in one pass, rejecting a mapping with two equal keys (as reading into a
/// YAML value would, but without building one): a [`Deserializer`] wrapper that checks the keys
/// of every mapping on the way through. Errors are `file:line:column: message`; for a duplicate
/// key the position is where the mapping holding it starts, and the message names the key.
pub fn from_str_unique_keys<T: DeserializeOwned>(text: &str, file: &Path) -> Result<T> {
    let de = serde_yaml::Deserializer::from_str(text);
    T::deserialize(unique::Keys::new(de)).map_err(|e| located(&e, file))
}

/// The one-pass duplicate-key check behind [`from_str_unique_keys`]. Every `Deserializer`,
/// `Visitor`, `SeqAccess`, `MapAccess`, `EnumAccess` and `VariantAccess` is wrapped so that
/// nested values are checked too; a mapping's keys are recorded as they are read.
mod unique {
    use std::collections::HashSet;
    use std::fmt;

    use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};

    /// Where the wrapper of a mapping key writes the key it saw.
    type Slot<'a> = Option<&'a mut Option<String>>;

    pub(super) struct Keys<'a, D> {
        de: D,
        slot: Slot<'a>,
    }

    impl<D> Keys<'_, D> {
        pub(super) fn new(de: D) -> Self {
            Keys { de, slot: None }
        }
    }

    macro_rules! forward_deserialize {
        ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.de.$method($($arg,)* Visit { inner: visitor, slot: self.slot })
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Keys<'_, D> {
        type Error = D::Error;

        forward_deserialize! {
            deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(), deserialize_i32(),
            deserialize_i64(), deserialize_i128(), deserialize_u8(), deserialize_u16(), deserialize_u32(),
            deserialize_u64(), deserialize_u128(), deserialize_f32(), deserialize_f64(), deserialize_char(),
            deserialize_str(), deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
            deserialize_option(), deserialize_unit(), deserialize_unit_struct(name: &'static str),
            deserialize_newtype_struct(name: &'static str), deserialize_seq(), deserialize_tuple(len: usize),
            deserialize_tuple_struct(name: &'static str, len: usize), deserialize_map(),
            deserialize_struct(name: &'static str, fields: &'static [&'static str]),
            deserialize_enum(name: &'static str, variants: &'static [&'static str]),
            deserialize_identifier(), deserialize_ignored_any(),
        }

        fn is_human_readable(&self) -> bool {
            self.de.is_human_readable()
        }
    }

    struct Visit<'a, V> {
        inner: V,
        slot: Slot<'a>,
    }

    impl<V> Visit<'_, V> {
        fn record(&mut self, key: impl FnOnce() -> String) {
            if let Some(slot) = self.slot.as_deref_mut() {
                *slot = Some(key());
            }
        }
    }

    macro_rules! forward_scalar {
        ($($method:ident($ty:ty)),* $(,)?) => {$(
            fn $method<E: de::Error>(mut self, v: $ty) -> Result<Self::Value, E> {
                // A non-string key never equals a string key with the same text.
                self.record(|| format!("\u{0}{v}"));
                self.inner.$method(v)
            }
        )*};
    }

    impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<'_, V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.inner.expecting(f)
        }

        forward_scalar! {
            visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64), visit_i128(i128),
            visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64), visit_u128(u128), visit_f32(f32),
            visit_f64(f64), visit_char(char),
        }

        fn visit_str<E: de::Error>(mut self, v: &str) -> Result<Self::Value, E> {
            self.record(|| v.to_owned());
            self.inner.visit_str(v)
        }

        fn visit_borrowed_str<E: de::Error>(mut self, v: &'de str) -> Result<Self::Value, E> {
            self.record(|| v.to_owned());
            self.inner.visit_borrowed_str(v)
        }

        fn visit_string<E: de::Error>(mut self, v: String) -> Result<Self::Value, E> {
            self.record(|| v.clone());
            self.inner.visit_string(v)
        }

        fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
            self.inner.visit_bytes(v)
        }

        fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
            self.inner.visit_borrowed_bytes(v)
        }

        fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
            self.inner.visit_byte_buf(v)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            self.inner.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
            self.inner.visit_some(Keys::new(de))
        }

        fn visit_newtype_struct<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
            self.inner.visit_newtype_struct(Keys::new(de))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_seq(Seq(seq))
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_map(Map { map, seen: HashSet::new() })
        }

        fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
            self.inner.visit_enum(Enum(data))
        }
    }

    /// A seed whose deserializer is wrapped (and, for a mapping key, records the key).
    struct Seed<'a, S> {
        inner: S,
        slot: Slot<'a>,
    }

    impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'_, S> {
        type Value = S::Value;

        fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
            self.inner.deserialize(Keys { de, slot: self.slot })
        }
    }

    struct Seq<A>(A);

    impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<A> {
        type Error = A::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
            self.0.next_element_seed(Seed { inner: seed, slot: None })
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    struct Map<A> {
        map: A,
        seen: HashSet<String>,
    }

    impl<'de, A: MapAccess<'de>> MapAccess<'de> for Map<A> {
        type Error = A::Error;

        fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
            let mut key = None;
            let value = self.map.next_key_seed(Seed { inner: seed, slot: Some(&mut key) })?;
            if let Some(key) = key {
                if let Some(dup) = self.seen.replace(key) {
                    let shown = dup.strip_prefix('\u{0}').unwrap_or(&dup);
                    return Err(de::Error::custom(format!("duplicate entry with key \"{shown}\"")));
                }
            }
            Ok(value)
        }

        fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
            self.map.next_value_seed(Seed { inner: seed, slot: None })
        }

        fn size_hint(&self) -> Option<usize> {
            self.map.size_hint()
        }
    }

    struct Enum<A>(A);

    impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<A> {
        type Error = A::Error;
        type Variant = Variant<A::Variant>;

        fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self::Variant), A::Error> {
            let (value, variant) = self.0.variant_seed(Seed { inner: seed, slot: None })?;
            Ok((value, Variant(variant)))
        }
    }

    struct Variant<A>(A);

    impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<A> {
        type Error = A::Error;

        fn unit_variant(self) -> Result<(), A::Error> {
            self.0.unit_variant()
        }

        fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
            self.0.newtype_variant_seed(Seed { inner: seed, slot: None })
        }

        fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
            self.0.tuple_variant(len, Visit { inner: visitor, slot: None })
        }

        fn struct_variant<V: Visitor<'de>>(
            self,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, A::Error> {
            self.0.struct_variant(fields, Visit { inner: visitor, slot: None })
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::from_str_unique_keys;

    #[derive(Debug, serde::Deserialize)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum Either {
        Named { name: String },
        Any(BTreeMap<String, i64>),
    }

    fn error(text: &str) -> String {
        match from_str_unique_keys::<BTreeMap<String, Either>>(text, Path::new("t.yml")) {
            Ok(v) => panic!("accepted: {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn duplicate_keys_are_rejected_at_any_depth_with_their_line() {
        let ok = "a:\n  name: x\nb:\n  one: 1\n  two: 2\n";
        assert_eq!(
            from_str_unique_keys::<BTreeMap<String, Either>>(ok, Path::new("t.yml")).map(|m| m.len()).ok(),
            Some(2)
        );
        // The position is where the mapping holding the duplicate starts.
        let top = error("a:\n  name: x\na:\n  name: y\n");
        assert!(top.starts_with("t.yml:1:1:") && top.contains("duplicate entry with key \"a\""), "{top}");
        // Inside an untagged enum, whose content is buffered first.
        let nested = error("a:\n  name: x\n  name: y\n");
        assert!(nested.starts_with("t.yml:2:3:") && nested.contains("duplicate entry with key \"name\""), "{nested}");
        // A number key and a string key with the same text are different keys.
        let mixed = "a:\n  1: 1\n  '1': 2\n";
        assert!(from_str_unique_keys::<BTreeMap<String, serde_yaml::Value>>(mixed, Path::new("t.yml")).is_ok());
        let numbers = error("a:\n  1: 1\n  1: 2\n");
        assert!(numbers.contains("duplicate entry with key \"1\""), "{numbers}");
    }
}
