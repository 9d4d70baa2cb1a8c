//! A `serde` serializer that writes the bytes of
//! `serde_json::to_writer_pretty`, for the JSON report ([`super::json`]).
//!
//! It exists for the strings. serde_json escapes a string a byte at a time
//! through a table, a loop its `Formatter` trait cannot replace, and the
//! JSON report is mostly strings (paths, job ids, times), so that loop
//! would be most of the report's rendering. [`Pretty`] writes strings
//! with [`super::ndjson::push_str`] (short strings checked as one or two
//! words, long ones 16 bytes at a time, plain text copied at once, the
//! same escapes) and everything else as serde_json's `Serializer` with its
//! `PrettyFormatter` does, method for method: the layout by [`Layout`],
//! numbers and booleans by serde_json itself, map keys by serde_json too
//! (see [`push_key`]). One difference, which no report type meets: with
//! serde_json's `raw_value` or `arbitrary_precision` features (neither is
//! enabled), a `RawValue` or a `Number` would be written as the struct
//! serde_json makes of it, not as its text (the `Value` test would fail).
//!
//! The tests compare it with `serde_json::to_writer_pretty` on values of
//! every shape, here and on whole reports (`tests/it/json_render.rs`).

use std::fmt;

use serde::ser::{self, Error as _};
use serde::Serialize;
use serde_json::Error;

use super::ndjson::{push_escaped, push_str};

type Result<T = ()> = std::result::Result<T, Error>;

/// Serializes `value` into `buf` as serde_json's pretty printer does when
/// the value sits `depth` levels deep (its opening bracket already placed).
pub(super) fn render<T: Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    value: &T,
    depth: usize,
) -> std::io::Result<()> {
    let mut ser = Pretty {
        buf,
        layout: Layout {
            depth,
            has_value: false,
        },
    };
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// A comma, a line break and the deepest indent written in one piece.
const BREAK: &[u8; 2 + 2 * 32] =
    b",\n                                                                ";

/// serde_json's `PrettyFormatter` with a two-space indent: the same state,
/// the same methods (those it leaves empty left out), the same bytes, but
/// a line break and its indent written at once, not one write per level
/// (deep `sites` rows have many levels).
struct Layout {
    depth: usize,
    has_value: bool,
}

impl Layout {
    /// A line break (after a comma unless `first`) and the indent.
    fn line_break(&self, buf: &mut Vec<u8>, first: bool) {
        /// Bytes copied at once: a fixed size is a few moves, not a call to
        /// `memcpy` (the break is cut to its length after).
        const FIXED: usize = 34;
        let start = usize::from(first);
        let end = 2 + 2 * self.depth;
        match BREAK[start..].first_chunk::<FIXED>() {
            Some(fixed) if end - start <= FIXED => {
                let len = buf.len();
                buf.extend_from_slice(fixed);
                buf.truncate(len + end - start);
            }
            _ => match BREAK.get(start..end) {
                Some(bytes) => buf.extend_from_slice(bytes),
                None => {
                    buf.extend_from_slice(&BREAK[start..2]);
                    (0..self.depth).for_each(|_| buf.extend_from_slice(b"  "));
                }
            },
        }
    }

    /// `[` or `{`.
    fn begin(&mut self, buf: &mut Vec<u8>, bracket: u8) {
        self.depth += 1;
        self.has_value = false;
        buf.push(bracket);
    }

    /// `]` or `}`, on a line of its own unless the array or object is
    /// empty.
    fn end(&mut self, buf: &mut Vec<u8>, bracket: u8) {
        self.depth -= 1;
        if self.has_value {
            self.line_break(buf, true);
        }
        buf.push(bracket);
    }

    /// Before an element or a key.
    fn begin_value(&self, buf: &mut Vec<u8>, first: bool) {
        self.line_break(buf, first);
    }

    /// After an element or a member's value.
    fn end_value(&mut self) {
        self.has_value = true;
    }
}

/// The serializer: the buffer written to and where the layout stands.
pub(super) struct Pretty<'b> {
    buf: &'b mut Vec<u8>,
    layout: Layout,
}

impl<'b> Pretty<'b> {
    /// A scalar, by serde_json itself (its compact and pretty bytes are
    /// the same for scalars).
    fn scalar(
        &mut self,
        write: impl FnOnce(&mut serde_json::Serializer<&mut Vec<u8>>) -> Result,
    ) -> Result {
        write(&mut serde_json::Serializer::new(&mut *self.buf))
    }

    /// Opens the object `{"variant": ` that wraps an enum variant's data.
    fn begin_variant(&mut self, variant: &str) {
        self.layout.begin(self.buf, b'{');
        self.layout.begin_value(self.buf, true);
        push_str(variant, self.buf);
        self.buf.extend_from_slice(b": ");
    }

    /// Closes what [`Pretty::begin_variant`] opened.
    fn end_variant(&mut self) {
        self.layout.end_value();
        self.layout.end(self.buf, b'}');
    }

    /// Opens an array or object and closes it at once when `len` says it
    /// is empty.
    fn compound<'s>(&'s mut self, len: Option<usize>, open: u8, close: u8) -> Compound<'s, 'b> {
        self.layout.begin(self.buf, open);
        let empty = len == Some(0);
        if empty {
            self.layout.end(self.buf, close);
        }
        Compound {
            ser: self,
            state: if empty { State::Empty } else { State::First },
        }
    }
}

impl<'s, 'b> ser::Serializer for &'s mut Pretty<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'s, 'b>;
    type SerializeTuple = Compound<'s, 'b>;
    type SerializeTupleStruct = Compound<'s, 'b>;
    type SerializeTupleVariant = Compound<'s, 'b>;
    type SerializeMap = Compound<'s, 'b>;
    type SerializeStruct = Compound<'s, 'b>;
    type SerializeStructVariant = Compound<'s, 'b>;

    fn serialize_bool(self, v: bool) -> Result {
        self.scalar(|s| s.serialize_bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result {
        self.scalar(|s| s.serialize_i8(v))
    }

    fn serialize_i16(self, v: i16) -> Result {
        self.scalar(|s| s.serialize_i16(v))
    }

    fn serialize_i32(self, v: i32) -> Result {
        self.scalar(|s| s.serialize_i32(v))
    }

    fn serialize_i64(self, v: i64) -> Result {
        self.scalar(|s| s.serialize_i64(v))
    }

    fn serialize_i128(self, v: i128) -> Result {
        self.scalar(|s| s.serialize_i128(v))
    }

    fn serialize_u8(self, v: u8) -> Result {
        self.scalar(|s| s.serialize_u8(v))
    }

    fn serialize_u16(self, v: u16) -> Result {
        self.scalar(|s| s.serialize_u16(v))
    }

    fn serialize_u32(self, v: u32) -> Result {
        self.scalar(|s| s.serialize_u32(v))
    }

    fn serialize_u64(self, v: u64) -> Result {
        self.scalar(|s| s.serialize_u64(v))
    }

    fn serialize_u128(self, v: u128) -> Result {
        self.scalar(|s| s.serialize_u128(v))
    }

    fn serialize_f32(self, v: f32) -> Result {
        self.scalar(|s| s.serialize_f32(v))
    }

    fn serialize_f64(self, v: f64) -> Result {
        self.scalar(|s| s.serialize_f64(v))
    }

    fn serialize_char(self, v: char) -> Result {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }

    fn serialize_str(self, v: &str) -> Result {
        push_str(v, self.buf);
        Ok(())
    }

    /// An array of numbers, as serde_json writes bytes.
    fn serialize_bytes(self, v: &[u8]) -> Result {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        v.iter().try_for_each(|b| seq.serialize_element(b))?;
        seq.end()
    }

    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result {
        self.buf.extend_from_slice(b"null");
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.begin_variant(variant);
        value.serialize(&mut *self)?;
        self.end_variant();
        Ok(())
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'b>> {
        Ok(self.compound(len, b'[', b']'))
    }

    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'b>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'s, 'b>> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'b>> {
        self.begin_variant(variant);
        self.serialize_seq(Some(len))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'s, 'b>> {
        Ok(self.compound(len, b'{', b'}'))
    }

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<Compound<'s, 'b>> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'b>> {
        self.begin_variant(variant);
        self.serialize_map(Some(len))
    }

    /// The text `value` displays, escaped as it comes.
    fn collect_str<T: fmt::Display + ?Sized>(self, value: &T) -> Result {
        /// Escapes each piece written to it into the buffer.
        struct Escaping<'a>(&'a mut Vec<u8>);
        impl fmt::Write for Escaping<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                push_escaped(s, self.0);
                Ok(())
            }
        }
        self.buf.push(b'"');
        fmt::write(&mut Escaping(self.buf), format_args!("{value}"))
            .map_err(|_| Error::custom("a Display implementation returned an error"))?;
        self.buf.push(b'"');
        Ok(())
    }
}

/// Where an array or object stands, as serde_json's `State`.
#[derive(PartialEq, Eq)]
enum State {
    /// Closed already (its length was 0).
    Empty,
    /// Nothing written in it yet.
    First,
    /// Something written.
    Rest,
}

/// An open array or object (and the variant object around it, for the
/// `…Variant` traits).
pub(super) struct Compound<'s, 'b> {
    ser: &'s mut Pretty<'b>,
    state: State,
}

impl Compound<'_, '_> {
    /// Starts the next element or key.
    fn next(&mut self) {
        let first = self.state == State::First;
        self.state = State::Rest;
        self.ser.layout.begin_value(self.ser.buf, first);
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.next();
        value.serialize(&mut *self.ser)?;
        self.ser.layout.end_value();
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.ser.buf.extend_from_slice(b": ");
        value.serialize(&mut *self.ser)?;
        self.ser.layout.end_value();
        Ok(())
    }

    /// Closes it with `bracket` unless it was empty (closed at once).
    fn close(&mut self, bracket: u8) {
        if self.state != State::Empty {
            self.ser.layout.end(self.ser.buf, bracket);
        }
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }

    fn end(mut self) -> Result {
        self.close(b']');
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }

    fn end(self) -> Result {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.element(value)
    }

    fn end(mut self) -> Result {
        self.close(b']');
        self.ser.end_variant();
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result {
        self.next();
        push_key(key, self.ser.buf)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result {
        self.value(value)
    }

    fn end(mut self) -> Result {
        self.close(b'}');
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    /// A member whose key is a field name: a plain string.
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        self.next();
        push_str(key, self.ser.buf);
        self.value(value)
    }

    fn end(self) -> Result {
        ser::SerializeMap::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(mut self) -> Result {
        self.close(b'}');
        self.ser.end_variant();
        Ok(())
    }
}

/// Appends `key` as serde_json writes a map's key (strings as they are,
/// numbers and booleans quoted, an error for anything else), by having
/// serde_json write the one-member map `{KEY:null}` and keeping the key:
/// every key type gets serde_json's own bytes and errors. Maps are rare in
/// the report (the baseline's totals); struct members do not come here.
fn push_key<T: Serialize + ?Sized>(key: &T, buf: &mut Vec<u8>) -> Result {
    struct OneMember<'a, T: ?Sized>(&'a T);
    impl<T: Serialize + ?Sized> Serialize for OneMember<'_, T> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = s.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    let map = serde_json::to_vec(&OneMember(key))?;
    let key = map
        .strip_prefix(b"{")
        .and_then(|rest| rest.strip_suffix(b":null}"))
        .ok_or_else(|| Error::custom("serde_json wrote a one-member map unlike {KEY:null}"))?;
    buf.extend_from_slice(key);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;
    use crate::model::code::Code;
    use crate::report::ndjson::tests::text;
    use crate::report::Change;

    /// serde_json's own rendering, or its error.
    fn reference<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut out = Vec::new();
        serde_json::to_writer_pretty(&mut out, value).ok()?;
        Some(String::from_utf8(out).unwrap())
    }

    /// [`render`]'s, at the top level.
    fn rendered<T: Serialize + ?Sized>(value: &T) -> Option<String> {
        let mut out = Vec::new();
        render(&mut out, value, 0).ok()?;
        Some(String::from_utf8(out).unwrap())
    }

    /// Any JSON value: nested arrays and objects (empty ones too), numbers
    /// of every kind, and strings with all that needs escaping, keys too.
    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text().prop_map(Value::from),
        ];
        leaf.prop_recursive(6, 96, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((text(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    #[derive(Clone, Debug, Serialize)]
    struct UnitStruct;

    #[derive(Clone, Debug, Serialize)]
    struct Newtype(String);

    #[derive(Clone, Debug, Serialize)]
    struct Pair(i64, f32);

    #[derive(Clone, Debug, Serialize)]
    struct Empty {}

    /// Bytes as serde's `serialize_bytes` (a `Vec<u8>` is a sequence).
    #[derive(Clone, Debug)]
    struct Bytes(Vec<u8>);

    impl Serialize for Bytes {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }

    /// Text written through `collect_str`, as `Display` types are.
    #[derive(Clone, Debug)]
    struct Shown(String);

    impl Serialize for Shown {
        fn serialize<S: ser::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            s.collect_str(&format_args!("{}<{}>", self.0, self.0))
        }
    }

    /// Every kind of enum variant serde has.
    #[derive(Clone, Debug, Serialize)]
    enum Shape {
        Unit,
        Newtype(String),
        Tuple(u8, String),
        NoFields(),
        Struct {
            list: Vec<u32>,
            text: Option<String>,
        },
        NoMembers {},
    }

    /// Every other kind of value serde has, beside what [`value`] makes.
    #[derive(Clone, Debug, Serialize)]
    struct Kinds {
        text: String,
        ch: char,
        code: Code,
        shown: Shown,
        small: i8,
        big: i128,
        huge: u128,
        single: f32,
        unit: (),
        unit_struct: UnitStruct,
        newtype: Newtype,
        pair: Pair,
        tuple: (u8, String, bool),
        empty: Empty,
        bytes: Bytes,
        shapes: Vec<Shape>,
        nested: Vec<Vec<Option<Shape>>>,
        by_text: BTreeMap<String, u32>,
        by_number: BTreeMap<i32, bool>,
        by_flag: BTreeMap<bool, Option<String>>,
        by_change: BTreeMap<Change, usize>,
        by_char: BTreeMap<char, ()>,
        by_code: BTreeMap<Code, Vec<f64>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        maybe: Option<u8>,
    }

    fn shape() -> impl Strategy<Value = Shape> {
        prop_oneof![
            Just(Shape::Unit),
            text().prop_map(Shape::Newtype),
            (any::<u8>(), text()).prop_map(|(n, t)| Shape::Tuple(n, t)),
            Just(Shape::NoFields()),
            (
                proptest::collection::vec(any::<u32>(), 0..3),
                proptest::option::of(text())
            )
                .prop_map(|(list, text)| Shape::Struct { list, text }),
            Just(Shape::NoMembers {}),
        ]
    }

    fn kinds() -> impl Strategy<Value = Kinds> {
        let change = proptest::sample::select(vec![
            Change::New,
            Change::Increased,
            Change::Unchanged,
            Change::Decreased,
            Change::Resolved,
        ]);
        let scalars = (
            text(),
            any::<char>(),
            0u16..=9999,
            any::<i8>(),
            any::<i128>(),
            any::<u128>(),
            any::<f32>(),
            (any::<i64>(), any::<f32>()),
            (any::<u8>(), text(), any::<bool>()),
            proptest::collection::vec(any::<u8>(), 0..4),
            proptest::option::of(any::<u8>()),
        );
        let shapes = (
            proptest::collection::vec(shape(), 0..4),
            proptest::collection::vec(
                proptest::collection::vec(proptest::option::of(shape()), 0..3),
                0..3,
            ),
        );
        let maps = (
            proptest::collection::btree_map(text(), any::<u32>(), 0..3),
            proptest::collection::btree_map(any::<i32>(), any::<bool>(), 0..3),
            proptest::collection::btree_map(any::<bool>(), proptest::option::of(text()), 0..3),
            proptest::collection::btree_map(change, any::<usize>(), 0..3),
            proptest::collection::btree_map(any::<char>(), Just(()), 0..3),
            proptest::collection::btree_map(
                (0u16..=9999).prop_map(|n| Code::new(n).unwrap()),
                proptest::collection::vec(any::<f64>(), 0..3),
                0..3,
            ),
        );
        (scalars, shapes, maps).prop_map(
            |(
                (text, ch, code, small, big, huge, single, pair, tuple, bytes, maybe),
                (shapes, nested),
                (by_text, by_number, by_flag, by_change, by_char, by_code),
            )| Kinds {
                text: text.clone(),
                ch,
                code: Code::new(code).unwrap(),
                shown: Shown(text.clone()),
                small,
                big,
                huge,
                single,
                unit: (),
                unit_struct: UnitStruct,
                newtype: Newtype(text),
                pair: Pair(pair.0, pair.1),
                tuple,
                empty: Empty {},
                bytes: Bytes(bytes),
                shapes,
                nested,
                by_text,
                by_number,
                by_flag,
                by_change,
                by_char,
                by_code,
                maybe,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_json_value_is_written_as_serde_json_does(v in value()) {
            prop_assert_eq!(rendered(&v), reference(&v));
        }

        #[test]
        fn every_kind_of_serde_value_is_written_as_serde_json_does(k in kinds()) {
            prop_assert_eq!(rendered(&k), reference(&k));
        }
    }

    #[test]
    fn keys_serde_json_refuses_are_refused() {
        let by_list: BTreeMap<Vec<u8>, u8> = [(vec![1], 2)].into();
        let by_unit: BTreeMap<String, BTreeMap<(), u8>> =
            [("x".to_string(), [((), 1)].into())].into();
        assert_eq!(reference(&by_list), None);
        assert_eq!(rendered(&by_list), None);
        assert_eq!(reference(&by_unit), None);
        assert_eq!(rendered(&by_unit), None);
    }

    #[test]
    fn nesting_deeper_than_the_indent_table_matches_serde_json() {
        // 40 levels of arrays and objects, each with a value beside.
        let mut value = serde_json::json!({"leaf": [1, "x\ny"], "empty": {}, "none": []});
        for level in 0..40 {
            value = if level % 2 == 0 {
                serde_json::json!([level, value])
            } else {
                serde_json::json!({"level": level, "inner": value})
            };
        }
        assert_eq!(rendered(&value), reference(&value));
    }
}
