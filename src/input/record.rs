//! One structured record, as the readers of exports and job-run JSON see
//! it: its keys in any case with those of its `properties`, its values as
//! text, and every code written anywhere in it (what the line scanner
//! would find there, so that a reader can prove it lost none).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::code::Code;

/// A record's keys, lower-cased, with those of its `properties` object.
pub type View<'a> = BTreeMap<String, &'a Value>;

/// Codes per code.
pub type Codes = BTreeMap<Code, u64>;

/// What a structured reader made of an input: its tally, and the codes
/// written in the records that gave events (see [`crate::input::json`]).
#[derive(Debug, Default)]
pub struct Found {
    /// The events.
    pub tally: crate::tally::Tally,
    /// Codes written anywhere in a record that gave an event.
    pub codes: Codes,
}

/// The lower-cased keys of `record` and of its `properties` object (which
/// take precedence: they are the columns).
pub fn view(record: &Value) -> View<'_> {
    let mut view = View::new();
    let Some(o) = record.as_object() else {
        return view;
    };
    for (k, v) in o {
        view.insert(k.to_ascii_lowercase(), v);
    }
    if let Some(props) = o
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("properties"))
        .and_then(|(_, v)| v.as_object())
    {
        for (k, v) in props {
            view.insert(k.to_ascii_lowercase(), v);
        }
    }
    view
}

/// A value as text: strings as they are, null as nothing, others as JSON.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Adds the codes written in `bytes`, found as the line scanner finds
/// them (`AZSM` and four digits on word boundaries), to `codes`.
pub fn count_codes(bytes: &[u8], codes: &mut Codes) {
    for hit in memchr::memmem::find_iter(bytes, b"AZSM") {
        if let Some(code) = crate::scan::code_at(bytes, hit) {
            *codes.entry(code).or_default() += 1;
        }
    }
}

/// Adds the codes written in the keys and strings of `v` to `codes`.
pub fn codes_in(v: &Value, codes: &mut Codes) {
    match v {
        Value::String(s) => count_codes(s.as_bytes(), codes),
        Value::Array(items) => items.iter().for_each(|i| codes_in(i, codes)),
        Value::Object(o) => {
            for (k, v) in o {
                count_codes(k.as_bytes(), codes);
                codes_in(v, codes);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_anywhere_as_the_scanner_finds_them() {
        let v = serde_json::json!({"AZSM1024": ["x AZSM2062", "azsmga101 AZSM20622"],
            "m": {"n": "AZSM1024,AZSM1024"}});
        let mut codes = Codes::new();
        codes_in(&v, &mut codes);
        let got: Vec<(u16, u64)> = codes.iter().map(|(c, n)| (c.number(), *n)).collect();
        assert_eq!(got, vec![(1024, 3), (2062, 1)]);
    }

    #[test]
    fn properties_are_the_records_own_keys() {
        let v = serde_json::json!({"time": "t", "Properties": {"JobRunName": "j"}});
        let view = view(&v);
        assert_eq!(view["jobrunname"], "j");
        assert_eq!(view["time"], "t");
    }
}
