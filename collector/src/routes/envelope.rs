//! Reading the top level of a capture body without building its events: the project key,
//! and each event as a raw slice of the body.
//!
//! PostHog's body shapes are `{"api_key"|"token": KEY, "batch": [EVENT, ...]}`, one event
//! (carrying its own key), or an array of events. One pass over the body checks its JSON
//! syntax and finds the key and the event slices; nothing but the list of slices is
//! allocated (and the key, when it holds escapes), so an unknown key or an oversized batch
//! is refused before any event is built.

use super::error::ApiError;
use hush_config::LimitsConfig;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;

/// The top level of a capture body.
#[derive(Debug)]
pub struct Envelope<'a> {
    /// The project key of a `{"api_key"|"token", "batch"}` body; `None` for the other shapes,
    /// whose events carry their own key.
    pub api_key: Option<Cow<'a, str>>,
    /// Each event, unparsed.
    pub events: Vec<&'a RawValue>,
    /// How deep the events sit in the body (1 for a single event, 2 in an array, 3 in a
    /// batch), for the nesting limit.
    pub depth: usize,
}

impl<'a> Envelope<'a> {
    /// Reads the top level of `body`.
    ///
    /// # Errors
    /// 400 `invalid_json` for malformed JSON or invalid UTF-8, `invalid_body` for another
    /// shape, `invalid_batch` when `batch` is not an array; 413 `batch_too_large` for more
    /// than `limits.max_batch_len` events (found while reading, before the rest is read).
    pub fn read(body: &'a [u8], limits: &LimitsConfig) -> Result<Self, ApiError> {
        let fault = RefCell::new(None);
        let mut de = serde_json::Deserializer::from_slice(body);
        let top = TopSeed {
            max_batch: limits.max_batch_len,
            fault: &fault,
        }
        .deserialize(&mut de)
        .and_then(|top| de.end().map(|()| top));
        let top = match top {
            Ok(top) => top,
            Err(e) => return Err(fault.into_inner().unwrap_or_else(|| invalid_json(&e))),
        };
        match top {
            Top::Array(events) => Ok(Envelope {
                api_key: None,
                events,
                depth: 2,
            }),
            Top::Object {
                api_key,
                token,
                batch: Some(events),
                ..
            } => Ok(Envelope {
                api_key: api_key.or(token),
                events,
                depth: 3,
            }),
            Top::Object {
                has_event: true, ..
            } => {
                let event: &RawValue =
                    serde_json::from_slice(body).map_err(|e| invalid_json(&e))?;
                Ok(Envelope {
                    api_key: None,
                    events: vec![event],
                    depth: 1,
                })
            }
            Top::Object { .. } => Err(ApiError::bad_request(
                "invalid_body",
                "expected a `batch` array, one event, or an array of events",
            )),
        }
    }
}

/// A JSON syntax error, by position only (the input is never quoted).
pub(crate) fn invalid_json(e: &serde_json::Error) -> ApiError {
    ApiError::bad_request("invalid_json", crate::pipeline::describe_json_error(e))
}

enum Top<'a> {
    Array(Vec<&'a RawValue>),
    Object {
        api_key: Option<Cow<'a, str>>,
        token: Option<Cow<'a, str>>,
        batch: Option<Vec<&'a RawValue>>,
        has_event: bool,
    },
}

/// Where a visitor leaves the precise client error before failing the deserializer.
type Fault = RefCell<Option<ApiError>>;

fn fail<E: de::Error>(fault: &Fault, error: ApiError) -> E {
    *fault.borrow_mut() = Some(error);
    E::custom("refused")
}

struct TopSeed<'f> {
    max_batch: usize,
    fault: &'f Fault,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = Top<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// Visitor methods that refuse every scalar (`null`, booleans, numbers, strings) with
/// `$refusal`.
macro_rules! refuse_scalars {
    ($refusal:ident) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Err(self.$refusal())
        }
    };
}

impl TopSeed<'_> {
    fn not_this_shape<E: de::Error>(&self) -> E {
        fail(
            self.fault,
            ApiError::bad_request("invalid_body", "expected a JSON object or array"),
        )
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = Top<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }

    refuse_scalars!(not_this_shape);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_events(seq, self.max_batch, self.fault).map(Top::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut api_key, mut token, mut batch, mut has_event) = (None, None, None, false);
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::ApiKey => api_key = map.next_value::<MaybeKey>()?.0,
                Field::Token => token = map.next_value::<MaybeKey>()?.0,
                Field::Batch => {
                    batch = Some(map.next_value_seed(BatchSeed {
                        max_batch: self.max_batch,
                        fault: self.fault,
                    })?)
                }
                Field::Event => {
                    has_event = true;
                    map.next_value::<IgnoredAny>()?;
                }
                Field::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Top::Object {
            api_key,
            token,
            batch,
            has_event,
        })
    }
}

/// Collects at most `max` raw events; one more is a 413 before the rest is read.
fn read_events<'de, A: SeqAccess<'de>>(
    mut seq: A,
    max: usize,
    fault: &Fault,
) -> Result<Vec<&'de RawValue>, A::Error> {
    let mut events = Vec::new();
    while let Some(event) = seq.next_element::<&'de RawValue>()? {
        if events.len() == max {
            return Err(fail(
                fault,
                ApiError::TooLarge {
                    code: "batch_too_large",
                    detail: format!("a batch may hold at most {max} events (limits.max_batch_len)"),
                },
            ));
        }
        events.push(event);
    }
    Ok(events)
}

struct BatchSeed<'f> {
    max_batch: usize,
    fault: &'f Fault,
}

impl BatchSeed<'_> {
    fn not_an_array<E: de::Error>(&self) -> E {
        fail(
            self.fault,
            ApiError::bad_request("invalid_batch", "`batch` must be an array of events"),
        )
    }
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    refuse_scalars!(not_an_array);

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.not_an_array())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        read_events(seq, self.max_batch, self.fault)
    }
}

/// A top-level key, recognised without allocating.
enum Field {
    ApiKey,
    Token,
    Batch,
    Event,
    Other,
}

impl<'de> de::Deserialize<'de> for Field {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Field, E> {
                Ok(match key {
                    "api_key" => Field::ApiKey,
                    "token" => Field::Token,
                    "batch" => Field::Batch,
                    "event" => Field::Event,
                    _ => Field::Other,
                })
            }
        }
        d.deserialize_str(FieldVisitor)
    }
}

/// A project key: a non-empty string, borrowed from the body when it holds no escapes.
/// Anything else is skipped and counts as no key.
struct MaybeKey<'a>(Option<Cow<'a, str>>);

impl<'de> de::Deserialize<'de> for MaybeKey<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeKeyVisitor)
    }
}

struct MaybeKeyVisitor;

impl<'de> Visitor<'de> for MaybeKeyVisitor {
    type Value = MaybeKey<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a project key")
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        Ok(MaybeKey((!s.is_empty()).then_some(Cow::Borrowed(s))))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        Ok(MaybeKey((!s.is_empty()).then(|| Cow::Owned(s.to_owned()))))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(MaybeKey(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(MaybeKey(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(MaybeKey(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(MaybeKey(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(MaybeKey(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MaybeKey(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MaybeKey(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LimitsConfig {
        LimitsConfig {
            max_batch_len: 3,
            ..LimitsConfig::default()
        }
    }

    fn read(body: &str) -> Result<Envelope<'_>, ApiError> {
        Envelope::read(body.as_bytes(), &limits())
    }

    #[test]
    fn reads_every_shape() {
        let e = read(
            r#"{"batch": [{"event": "a"}, {"event": "b"}], "api_key": "phc_k", "sent_at": "x"}"#,
        )
        .unwrap();
        assert_eq!(
            (e.api_key.as_deref(), e.events.len(), e.depth),
            (Some("phc_k"), 2, 3)
        );
        assert_eq!(e.events[1].get(), r#"{"event": "b"}"#);
        let e = read(r#"{"token": "phc_t", "api_key": "", "batch": []}"#).unwrap();
        assert_eq!(
            e.api_key.as_deref(),
            Some("phc_t"),
            "an empty api_key is no key"
        );
        let e = read(r#"{"api_key": "phc_\u0041", "batch": []}"#).unwrap();
        assert_eq!(e.api_key.as_deref(), Some("phc_A"), "escapes are decoded");
        let e = read(r#" [{"event": "a"}] "#).unwrap();
        assert_eq!((e.api_key, e.events.len(), e.depth), (None, 1, 2));
        let body = r#"{"event": "a", "api_key": "phc_k", "properties": {}}"#;
        let e = read(body).unwrap();
        assert_eq!((e.api_key, e.events.len(), e.depth), (None, 1, 1));
        assert_eq!(e.events[0].get(), body);
    }

    #[test]
    fn refuses_other_shapes_by_code() {
        for (body, code) in [
            ("42", "invalid_body"),
            ("null", "invalid_body"),
            (r#""phc_key""#, "invalid_body"),
            (r#"{"api_key": "phc_k"}"#, "invalid_body"),
            (r#"{"batch": {"event": "a"}}"#, "invalid_batch"),
            (r#"{"batch": null}"#, "invalid_batch"),
            (r#"{"batch": [1, 2, 3, 4]}"#, "batch_too_large"),
            (r#"[1, 2, 3, 4, 5]"#, "batch_too_large"),
            (r#"{"batch": [}"#, "invalid_json"),
            (r#"{"batch": []} trailing"#, "invalid_json"),
        ] {
            assert_eq!(read(body).unwrap_err().code(), code, "{body}");
        }
        let e = Envelope::read(&[b'[', 0xff, b']'], &limits()).unwrap_err();
        assert_eq!(e.code(), "invalid_json");
    }

    #[test]
    fn deep_nesting_outside_the_events_is_skipped_without_recursion() {
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        let body = format!(r#"{{"extra": {deep}, "api_key": "phc_k", "batch": []}}"#);
        assert!(read(&body).is_ok());
    }
}
