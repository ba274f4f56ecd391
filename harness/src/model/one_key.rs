//! Externally tagged enums read strictly as one-key maps (`- restart: dex`)
//! or bare unit variants (`at: dex`): a serde adapter for the scenario's
//! steps, whatever the format (YAML, or JSON after a patch).

/// `#[serde(deserialize_with = "crate::model::one_key::strict_enums")]` on a field holding an
/// externally tagged enum, or an `Option`/`Vec` of them (`steps: Vec<Step>`,
/// `steps: Option<Vec<Step>>`; add `default` for an optional field).
///
/// Not needed for one-key maps (`- restart: dex`): serde-saphyr reads those
/// natively. It closes one hole: serde-saphyr 2.2.0 reads a bare scalar
/// naming a variant that has a payload (`- restart`, the `: dex` forgotten)
/// by taking the *next* sibling as the payload, so `[restart, dex]` becomes
/// one step and `[restart, {browser_login: ...}]` fails at the wrong item.
/// With this, such a scalar is "invalid type: unit variant, expected newtype
/// variant" at its own place, as with serde_yaml. YAML tags on the enum
/// (`!restart dex`) are then not read as the variant.
pub fn strict_enums<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(Strict(deserializer))
}

mod strict {
    use serde::de::{self, DeserializeSeed, Deserializer, IntoDeserializer, Visitor};
    use std::fmt;

    /// A deserializer that reads enums as one-key maps or bare unit variants,
    /// through `Option` and sequences; anything else as the wrapped one.
    pub struct Strict<D>(pub D);

    macro_rules! forward {
        ($($method:ident)*) => {$(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                self.0.$method(visitor)
            }
        )*};
    }

    impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
        type Error = D::Error;

        forward! {
            deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
            deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
            deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
            deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
            deserialize_unit deserialize_map deserialize_identifier deserialize_ignored_any
        }

        fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_option(Wrap(visitor))
        }

        fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            self.0.deserialize_seq(Wrap(visitor))
        }

        fn deserialize_unit_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_unit_struct(name, visitor)
        }

        fn deserialize_newtype_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_newtype_struct(name, visitor)
        }

        fn deserialize_tuple<V: Visitor<'de>>(
            self,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple(len, visitor)
        }

        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            len: usize,
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_tuple_struct(name, len, visitor)
        }

        fn deserialize_struct<V: Visitor<'de>>(
            self,
            name: &'static str,
            fields: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_struct(name, fields, visitor)
        }

        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _name: &'static str,
            _variants: &'static [&'static str],
            visitor: V,
        ) -> Result<V::Value, D::Error> {
            self.0.deserialize_any(Enum(visitor))
        }
    }

    /// Passes `Strict` on into `Some` and sequence elements.
    struct Wrap<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)
        }

        fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_none()
        }

        fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
            self.0.visit_unit()
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
            self.0.visit_some(Strict(d))
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
            self.0.visit_seq(Seq(seq))
        }
    }

    struct Seq<A>(A);

    impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Seq<A> {
        type Error = A::Error;

        fn next_element_seed<T: DeserializeSeed<'de>>(
            &mut self,
            seed: T,
        ) -> Result<Option<T::Value>, A::Error> {
            self.0.next_element_seed(Seed(seed))
        }

        fn size_hint(&self) -> Option<usize> {
            self.0.size_hint()
        }
    }

    struct Seed<T>(T);

    impl<'de, T: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<T> {
        type Value = T::Value;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
            self.0.deserialize(Strict(d))
        }
    }

    /// An enum from a one-key map (`{variant: payload}`) or a bare name (a
    /// unit variant only: serde's `StrDeserializer` refuses the others).
    struct Enum<V>(V);

    impl<'de, V: Visitor<'de>> Visitor<'de> for Enum<V> {
        type Value = V::Value;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            self.0.expecting(f)
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
            self.0.visit_enum(v.into_deserializer())
        }

        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
            let value = self
                .0
                .visit_enum(de::value::MapAccessDeserializer::new(&mut map))?;
            match map.next_key::<de::IgnoredAny>()? {
                None => Ok(value),
                Some(_) => Err(de::Error::custom(
                    "expected a map with one key, the variant; found more keys",
                )),
            }
        }
    }
}

use strict::Strict;
