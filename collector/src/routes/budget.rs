//! Counting events against the per-request limits without building them.
//!
//! One [`Budget`] is kept per request. For each raw event it walks the JSON once, allocating
//! nothing, and counts nesting depth, object keys, the properties of the event, and string
//! bytes (keys and values, after unescaping), refusing at the first limit passed. On the way
//! it finds the project key the event carries (`api_key`, `token`, or posthog-js's
//! `properties.token`), so the request's key can be checked before any event is parsed.

use super::envelope::invalid_json;
use super::error::ApiError;
use hush_config::LimitsConfig;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// What one request has used of its limits so far.
#[derive(Debug)]
pub struct Budget<'l> {
    limits: &'l LimitsConfig,
    keys: usize,
    string_bytes: usize,
    over: Option<Over>,
}

/// The limit an event went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Over {
    Depth,
    String,
    Properties,
    Keys,
    StringBytes,
}

impl<'l> Budget<'l> {
    /// A fresh budget for one request.
    pub fn new(limits: &'l LimitsConfig) -> Self {
        Budget {
            limits,
            keys: 0,
            string_bytes: 0,
            over: None,
        }
    }

    /// Counts one event, found at nesting `depth` of the body, against the limits, and
    /// returns the project key it carries, if any (`api_key`, then `token`, then
    /// `properties.token`; only non-empty strings count).
    ///
    /// # Errors
    /// 400 `too_deep` for nesting past `max_json_depth`; 413 `string_too_long`,
    /// `too_many_properties`, `too_many_keys` or `too_many_string_bytes` naming the limit;
    /// 400 `invalid_json` if `event` is not valid JSON.
    pub fn check<'a>(
        &mut self,
        event: &'a RawValue,
        depth: usize,
    ) -> Result<Option<Cow<'a, str>>, ApiError> {
        let mut de = serde_json::Deserializer::from_str(event.get());
        let walk = Walk {
            budget: self,
            depth,
            role: Role::Event,
        };
        match walk.deserialize(&mut de) {
            Ok(Found::Keys(keys)) => Ok(keys.into_key()),
            Ok(_) => Ok(None),
            Err(e) => Err(match self.over.take() {
                Some(over) => self.error(over),
                None if e.to_string().contains("recursion limit") => self.error(Over::Depth),
                None => invalid_json(&e),
            }),
        }
    }

    fn error(&self, over: Over) -> ApiError {
        let l = self.limits;
        let (code, detail) = match over {
            Over::Depth => {
                return ApiError::bad_request(
                    "too_deep",
                    format!(
                        "JSON nested deeper than {} levels (limits.max_json_depth)",
                        l.max_json_depth
                    ),
                )
            }
            Over::String => (
                "string_too_long",
                format!(
                    "a string value or key is longer than {} bytes (limits.max_string_bytes)",
                    l.max_string_bytes
                ),
            ),
            Over::Properties => (
                "too_many_properties",
                format!(
                    "an event has more than {} properties (limits.max_properties_per_event)",
                    l.max_properties_per_event
                ),
            ),
            Over::Keys => (
                "too_many_keys",
                format!(
                    "the request has more than {} object keys (limits.max_keys_per_request)",
                    l.max_keys_per_request
                ),
            ),
            Over::StringBytes => (
                "too_many_string_bytes",
                format!(
                    "the request has more than {} bytes of strings \
                     (limits.max_string_bytes_per_request)",
                    l.max_string_bytes_per_request
                ),
            ),
        };
        ApiError::TooLarge { code, detail }
    }

    fn refuse<E: de::Error>(&mut self, over: Over) -> E {
        self.over = Some(over);
        E::custom("over a limit")
    }

    fn count_string<E: de::Error>(&mut self, len: usize) -> Result<(), E> {
        if len > self.limits.max_string_bytes {
            return Err(self.refuse(Over::String));
        }
        self.string_bytes += len;
        if self.string_bytes > self.limits.max_string_bytes_per_request {
            return Err(self.refuse(Over::StringBytes));
        }
        Ok(())
    }

    fn count_key<E: de::Error>(&mut self, len: usize) -> Result<(), E> {
        self.keys += 1;
        if self.keys > self.limits.max_keys_per_request {
            return Err(self.refuse(Over::Keys));
        }
        self.count_string(len)
    }
}

/// What a value is to the walk: the event itself, its `properties`, a value whose string
/// may be a project key, or anything else.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Event,
    Properties,
    Key,
    Plain,
}

/// The project keys found in an event.
#[derive(Default)]
struct Keys<'a> {
    api_key: Option<Cow<'a, str>>,
    token: Option<Cow<'a, str>>,
    properties_token: Option<Cow<'a, str>>,
}

impl<'a> Keys<'a> {
    fn into_key(self) -> Option<Cow<'a, str>> {
        self.api_key.or(self.token).or(self.properties_token)
    }
}

enum Found<'a> {
    Nothing,
    Str(Cow<'a, str>),
    Keys(Keys<'a>),
}

impl<'a> Found<'a> {
    fn key(self) -> Option<Cow<'a, str>> {
        match self {
            Found::Str(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }
}

struct Walk<'b, 'l> {
    budget: &'b mut Budget<'l>,
    depth: usize,
    role: Role,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = Found<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.depth > self.budget.limits.max_json_depth {
            return Err(self.budget.refuse(Over::Depth));
        }
        d.deserialize_any(self)
    }
}

impl<'l> Walk<'_, 'l> {
    fn child(&mut self, role: Role) -> Walk<'_, 'l> {
        Walk {
            budget: &mut *self.budget,
            depth: self.depth + 1,
            role,
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = Found<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Found::Nothing)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Found::Nothing)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Found::Nothing)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Found::Nothing)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Found::Nothing)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
        self.budget.count_string(s.len())?;
        Ok(match self.role {
            Role::Key => Found::Str(Cow::Borrowed(s)),
            _ => Found::Nothing,
        })
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        self.budget.count_string(s.len())?;
        Ok(match self.role {
            Role::Key => Found::Str(Cow::Owned(s.to_owned())),
            _ => Found::Nothing,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element_seed(self.child(Role::Plain))?.is_some() {}
        Ok(Found::Nothing)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Keys::default();
        let mut entries = 0usize;
        while let Some(name) = map.next_key_seed(KeyName {
            budget: &mut *self.budget,
        })? {
            entries += 1;
            if self.role == Role::Properties
                && entries > self.budget.limits.max_properties_per_event
            {
                return Err(self.budget.refuse(Over::Properties));
            }
            let role = match (self.role, name) {
                (Role::Event, Name::ApiKey | Name::Token) => Role::Key,
                (Role::Event, Name::Properties) => Role::Properties,
                (Role::Properties, Name::Token) => Role::Key,
                _ => Role::Plain,
            };
            let found = map.next_value_seed(self.child(role))?;
            match (self.role, name, found) {
                (Role::Event, Name::ApiKey, found) => keys.api_key = found.key(),
                (Role::Event, Name::Token, found) => keys.token = found.key(),
                (Role::Event, Name::Properties, Found::Keys(inner)) => {
                    keys.properties_token = inner.properties_token
                }
                (Role::Properties, Name::Token, found) => keys.properties_token = found.key(),
                _ => {}
            }
        }
        Ok(Found::Keys(keys))
    }
}

/// The keys the walk looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Name {
    ApiKey,
    Token,
    Properties,
    Other,
}

/// Counts an object key and recognises it, without allocating.
struct KeyName<'b, 'l> {
    budget: &'b mut Budget<'l>,
}

impl<'de> DeserializeSeed<'de> for KeyName<'_, '_> {
    type Value = Name;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Name, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeyName<'_, '_> {
    type Value = Name;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Name, E> {
        self.budget.count_key(key.len())?;
        Ok(match key {
            "api_key" => Name::ApiKey,
            "token" => Name::Token,
            "properties" => Name::Properties,
            _ => Name::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: &str) -> Box<RawValue> {
        RawValue::from_string(json.to_string()).unwrap()
    }

    fn limits() -> LimitsConfig {
        LimitsConfig {
            max_json_depth: 6,
            max_string_bytes: 16,
            max_properties_per_event: 3,
            max_keys_per_request: 10,
            max_string_bytes_per_request: 60,
            ..LimitsConfig::default()
        }
    }

    #[test]
    fn finds_the_key_in_posthog_order() {
        let limits = LimitsConfig::default();
        for (event, key) in [
            (
                r#"{"event": "e", "api_key": "phc_a", "token": "phc_t"}"#,
                Some("phc_a"),
            ),
            (r#"{"token": "phc_t", "event": "e"}"#, Some("phc_t")),
            (
                r#"{"event": "e", "properties": {"token": "phc_p", "x": {"token": "no"}}}"#,
                Some("phc_p"),
            ),
            (
                r#"{"event": "e", "api_key": "", "properties": {"token": "phc_p"}}"#,
                Some("phc_p"),
            ),
            (
                r#"{"event": "e", "api_key": 5, "x": {"api_key": "phc_nested"}}"#,
                None,
            ),
            (r#"{"event": "e", "api_key": "phc_\u0041"}"#, Some("phc_A")),
            (r#"[1, 2]"#, None),
        ] {
            let event_raw = raw(event);
            let found = Budget::new(&limits).check(&event_raw, 1).unwrap();
            assert_eq!(found.as_deref(), key, "{event}");
        }
    }

    #[test]
    fn each_limit_is_refused_by_name() {
        let limits = limits();
        for (event, depth, code, names) in [
            (
                r#"{"properties": {"a": 1, "b": 2, "c": 3, "d": 4}}"#,
                1,
                "too_many_properties",
                "limits.max_properties_per_event",
            ),
            (
                r#"{"a": {"b": {"c": 1}}, "d": [{"e": 1, "f": 2, "g": 3, "h": 4, "i": 5, "j": 6, "k": 7}]}"#,
                1,
                "too_many_keys",
                "limits.max_keys_per_request",
            ),
            (
                r#"{"a": "0123456789abcdefg"}"#,
                1,
                "string_too_long",
                "limits.max_string_bytes",
            ),
            (
                r#"{"0123456789abcdefg": 1}"#,
                1,
                "string_too_long",
                "limits.max_string_bytes",
            ),
            (
                r#"{"a": ["0123456789abcdef", "0123456789abcdef", "0123456789abcdef", "0123456789abcdef"]}"#,
                1,
                "too_many_string_bytes",
                "limits.max_string_bytes_per_request",
            ),
            (
                r#"{"a": [[[[[1]]]]]}"#,
                1,
                "too_deep",
                "limits.max_json_depth",
            ),
            (r#"{"a": [1]}"#, 5, "too_deep", "limits.max_json_depth"),
        ] {
            let e = Budget::new(&limits).check(&raw(event), depth).unwrap_err();
            assert_eq!(e.code(), code, "{event}");
            assert!(e.to_string().contains(names), "{e}");
        }
        assert!(Budget::new(&limits)
            .check(&raw(r#"{"a": [[[[1]]]]}"#), 1)
            .is_ok());
    }

    #[test]
    fn the_budget_spans_the_whole_request() {
        let limits = limits();
        let mut budget = Budget::new(&limits);
        let event = raw(r#"{"a": 1, "b": 2, "c": 3, "d": 4}"#);
        assert!(budget.check(&event, 3).is_ok());
        assert!(budget.check(&event, 3).is_ok());
        let e = budget.check(&event, 3).unwrap_err();
        assert_eq!(e.code(), "too_many_keys");
    }

    #[test]
    fn serde_json_recursion_limit_is_a_depth_error() {
        let limits = LimitsConfig {
            max_json_depth: 1000,
            ..LimitsConfig::default()
        };
        let deep = "[".repeat(300) + &"]".repeat(300);
        let e = Budget::new(&limits).check(&raw(&deep), 1).unwrap_err();
        assert_eq!(e.code(), "too_deep");
    }
}
