//! Request extractors that fail with an [`ApiError`] naming the offending field or parameter.
//!
//! axum's own `Json`, `Query` and `Path` reject with plain-text bodies and without a field name;
//! an API client (or a fuzzer) needs to know *which* field was wrong, in the problem format.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer, Unexpected, Visitor};
use serde::Serialize;
use serde_json::{Map, Value};
use serde_path_to_error::{Path as ErrPath, Segment};

/// Longest accepted query parameter value, in characters: longer search text is a mistake or
/// an attack, and the database should not be asked to match it.
pub const MAX_PARAM_CHARS: usize = 500;

/// A JSON request body, deserialised with the error naming the field path.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(req, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An RFC 7396 merge patch: a JSON object (null members remove, objects merge recursively).
#[derive(Debug)]
pub struct MergePatch(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for MergePatch {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = json_body(req, state).await?;
        match parse_json::<Value>(&bytes)? {
            Value::Object(m) => Ok(MergePatch(m)),
            _ => Err(ApiError::Body {
                field: None,
                code: "invalid_patch",
                message: "a merge patch must be a JSON object".into(),
            }),
        }
    }
}

impl MergePatch {
    /// Applies the patch to `current` and reads the result back as `T`: the way PATCH turns
    /// "change these fields" into the full input the store's update takes. Unknown fields and
    /// wrong types come back as 422 naming the field, just as on POST.
    pub fn apply<T: Serialize + DeserializeOwned>(self, current: &T) -> Result<T, ApiError> {
        let mut target = serde_json::to_value(current)
            .map_err(|e| ApiError::Internal(format!("serialising the current record: {e}")))?;
        merge(&mut target, Value::Object(self.0));
        serde_path_to_error::deserialize(target).map_err(json_error)
    }
}

/// RFC 7396 §2, MergePatch(Target, Patch).
pub fn merge(target: &mut Value, patch: Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(&k);
                    } else {
                        merge(t.entry(k).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other,
    }
}

/// Checks the content type and reads the body within the configured limit.
async fn json_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(req.headers()) {
        return Err(ApiError::UnsupportedMediaType);
    }
    Bytes::from_request(req, state).await.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge
        } else {
            ApiError::BodyUnreadable
        }
    })
}

/// `application/json` and any `application/*+json` (merge-patch, problem), parameters ignored.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(ct) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON body; syntax errors are 400 with the position, shape errors 422 with the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let inner = e.inner();
    match inner.classify() {
        Category::Syntax | Category::Eof => syntax_error(inner),
        Category::Io => ApiError::BodyUnreadable,
        Category::Data => {
            let message = strip_position(inner);
            let (field, code) = field_of(e.path(), &message);
            ApiError::Body {
                field,
                code,
                message,
            }
        }
    }
}

fn syntax_error(e: &serde_json::Error) -> ApiError {
    ApiError::MalformedJson {
        line: e.line(),
        column: e.column(),
        message: strip_position(e),
    }
}

/// serde_json appends " at line L column C" to its messages; the problem reports the position
/// separately, and a data error's position in a re-serialised patch would be meaningless.
fn strip_position(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    truncate(msg, 300)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// Formats a path the way the validators name fields: `lines[0].quantity`, `background.occupation`.
fn dotted(path: &ErrPath) -> String {
    let mut s = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => s.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(key);
            }
            Segment::Unknown => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push('?');
            }
        }
    }
    s
}

/// The name between the first pair of backticks of a serde message ("missing field `name`").
fn quoted_name(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// Names the field a serde data error is about, and a stable code for the kind of error.
///
/// serde_path_to_error gives the path to where deserialisation stopped; for a missing or unknown
/// field that is the enclosing object (or already the key), so the key named in the message is
/// appended when the path does not end with it.
fn field_of(path: &ErrPath, message: &str) -> (Option<String>, &'static str) {
    let base = dotted(path);
    let (code, named) = if message.starts_with("missing field") {
        ("missing_field", quoted_name(message))
    } else if message.starts_with("unknown field") {
        ("unknown_field", quoted_name(message))
    } else if message.starts_with("duplicate field") {
        ("duplicate_field", quoted_name(message))
    } else if message.starts_with("invalid type") {
        ("invalid_type", None)
    } else {
        // "unknown variant", "invalid value", "input contains invalid characters" (dates) …
        ("invalid_value", None)
    };
    let field = match named {
        Some(n) if base == n || base.ends_with(&format!(".{n}")) => base,
        Some(n) if base.is_empty() => n.to_owned(),
        Some(n) => format!("{base}.{n}"),
        None if base.is_empty() => return (None, code),
        None => base,
    };
    (Some(field), code)
}

/// Typed query parameters; unknown, duplicate or unparsable parameters are a 400 naming it.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(|_| {
                ApiError::param(
                    "query",
                    "invalid_query",
                    "the query string is not valid form encoding",
                )
            })?;
        parse_query(&pairs).map(ApiQuery)
    }
}

/// Deserialises decoded `(name, value)` pairs into `T`.
pub fn parse_query<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    for (k, v) in pairs {
        // NUL and other control characters are never meant, and PostgreSQL rejects NUL in text.
        if v.chars().any(char::is_control) {
            return Err(ApiError::param(
                k,
                "invalid_characters",
                "contains control characters",
            ));
        }
        if v.chars().count() > MAX_PARAM_CHARS {
            return Err(ApiError::param(
                k,
                "too_long",
                format!("is longer than {MAX_PARAM_CHARS} characters"),
            ));
        }
    }
    let de = MapDeserializer::<_, ValueError>::new(
        pairs
            .iter()
            .map(|(k, v)| (k.as_str(), ParamValue(v.as_str()))),
    );
    serde_path_to_error::deserialize(de).map_err(|e| {
        let message = truncate(&e.inner().to_string(), 300);
        let (field, _) = field_of(e.path(), &message);
        let code = if message.starts_with("unknown field") {
            "unknown_parameter"
        } else if message.starts_with("duplicate field") {
            "duplicate_parameter"
        } else {
            "invalid_parameter"
        };
        let param = field.unwrap_or_else(|| "query".into());
        ApiError::param(&param, code, message)
    })
}

/// One query value: text that becomes whatever type the field asks for. A parameter that is
/// present is `Some`, even when empty: `?stage=` is not a stage, and quietly ignoring it would
/// return a different list than the client asked for.
#[derive(Debug, Clone, Copy)]
struct ParamValue<'a>(&'a str);

impl<'de> IntoDeserializer<'de, ValueError> for ParamValue<'_> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! parse_number {
    ($($method:ident => $ty:ty, $visit:ident;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self.0.trim().parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(serde::de::Error::invalid_value(Unexpected::Str(self.0), &visitor)),
            }
        }
    )*};
}

impl<'de> serde::Deserializer<'de> for ParamValue<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_str(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            "true" | "1" => visitor.visit_bool(true),
            "false" | "0" => visitor.visit_bool(false),
            _ => Err(serde::de::Error::invalid_value(
                Unexpected::Str(self.0),
                &visitor,
            )),
        }
    }

    parse_number! {
        deserialize_i8 => i8, visit_i8;
        deserialize_i16 => i16, visit_i16;
        deserialize_i32 => i32, visit_i32;
        deserialize_i64 => i64, visit_i64;
        deserialize_u8 => u8, visit_u8;
        deserialize_u16 => u16, visit_u16;
        deserialize_u32 => u32, visit_u32;
        deserialize_u64 => u64, visit_u64;
        deserialize_f32 => f32, visit_f32;
        deserialize_f64 => f64, visit_f64;
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_enum(IntoDeserializer::<ValueError>::into_deserializer(self.0))
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

/// The integer `{id}` of a resource path; anything else is a 400 naming `id`.
#[derive(Debug, Clone, Copy)]
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let bad = || ApiError::param("id", "invalid_id", "must be an integer");
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| bad())?;
        raw.parse::<i64>().map(PathId).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use patron_core::{CustomerId, CustomerInput, LifecycleStage, OrderInput};
    use serde::Deserialize;

    fn body_err<T: DeserializeOwned + std::fmt::Debug>(
        json: &str,
    ) -> (u16, Option<String>, String) {
        let e = parse_json::<T>(json.as_bytes()).expect_err("should fail");
        let p = e.problem();
        (p.status, p.field, p.code)
    }

    #[test]
    fn json_errors_name_fields() {
        let (s, f, c) = body_err::<CustomerInput>(r#"{"kind":"person"}"#);
        assert_eq!(
            (s, f.as_deref(), c.as_str()),
            (422, Some("name"), "missing_field")
        );
        let (s, f, c) = body_err::<CustomerInput>(r#"{"kind":"person","name":"x","nope":1}"#);
        assert_eq!(
            (s, f.as_deref(), c.as_str()),
            (422, Some("nope"), "unknown_field")
        );
        let (s, f, _) = body_err::<CustomerInput>(r#"{"kind":"person","name":5}"#);
        assert_eq!((s, f.as_deref()), (422, Some("name")));
        let (s, f, _) =
            body_err::<CustomerInput>(r#"{"kind":"person","name":"x","birth_date":"2020-13-45"}"#);
        assert_eq!((s, f.as_deref()), (422, Some("birth_date")));
        let (s, f, c) =
            body_err::<CustomerInput>(r#"{"kind":"person","name":"x","background":{"zzz":"1"}}"#);
        assert_eq!(
            (s, f.as_deref(), c.as_str()),
            (422, Some("background.zzz"), "unknown_field")
        );
        let (s, f, _) = body_err::<OrderInput>(
            r#"{"customer_id":1,"order_date":"2024-01-01","lines":[{"quantity":"x"}]}"#,
        );
        assert_eq!((s, f.as_deref()), (422, Some("lines[0].quantity")));
        let (s, f, _) = body_err::<OrderInput>(
            r#"{"customer_id":1,"order_date":"2024-01-01","lines":[{"amount_minor":1}]}"#,
        );
        assert_eq!((s, f.as_deref()), (422, Some("lines[0].quantity")));
    }

    #[test]
    fn syntax_errors_are_400_with_position() {
        let e = parse_json::<CustomerInput>(b"{\n  \"name\": ").expect_err("eof");
        match &e {
            ApiError::MalformedJson { line, .. } => assert_eq!(*line, 2),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(e.problem().status, 400);
        let e = parse_json::<Value>(b"{} x").expect_err("trailing");
        assert_eq!(e.problem().status, 400);
    }

    #[test]
    fn merge_patch_follows_rfc7396() {
        let mut t = serde_json::json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge(&mut t, serde_json::json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, serde_json::json!({"a": "z", "c": {"d": "e"}}));
        let mut t = serde_json::json!({"a": [1, 2]});
        merge(&mut t, serde_json::json!({"a": [3], "n": {"x": null}}));
        assert_eq!(t, serde_json::json!({"a": [3], "n": {}}));
    }

    #[test]
    fn patch_clears_and_rejects_unknown() {
        let cur = CustomerInput {
            name: "A".into(),
            email: Some("a@b.com".into()),
            ..Default::default()
        };
        let Value::Object(p) = serde_json::json!({"email": null, "name": "B"}) else {
            panic!("object")
        };
        let out = MergePatch(p).apply(&cur).expect("applies");
        assert_eq!((out.name.as_str(), out.email), ("B", None));
        let Value::Object(p) = serde_json::json!({"id": 3}) else {
            panic!("object")
        };
        let p = MergePatch(p).apply(&cur).expect_err("unknown").problem();
        assert_eq!((p.status, p.field.as_deref()), (422, Some("id")));
        let Value::Object(p) = serde_json::json!({"name": null}) else {
            panic!("object")
        };
        let p = MergePatch(p).apply(&cur).expect_err("required").problem();
        assert_eq!((p.status, p.field.as_deref()), (422, Some("name")));
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Q {
        limit: Option<u32>,
        stage: Option<LifecycleStage>,
        owner: Option<patron_core::UserId>,
        from: Option<NaiveDate>,
        customer_id: Option<CustomerId>,
        flag: Option<bool>,
        q: Option<String>,
    }

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn query_values_are_typed() {
        let q: Q = parse_query(&pairs(&[
            ("limit", "20"),
            ("stage", "lost"),
            ("owner", "7"),
            ("from", "2024-02-03"),
            ("customer_id", "9"),
            ("flag", "true"),
            ("q", "张三"),
        ]))
        .expect("parses");
        assert_eq!(q.limit, Some(20));
        assert_eq!(q.stage, Some(LifecycleStage::Lost));
        assert_eq!(q.owner, Some(patron_core::UserId(7)));
        assert_eq!(q.from, NaiveDate::from_ymd_opt(2024, 2, 3));
        assert_eq!(q.customer_id, Some(CustomerId(9)));
        assert_eq!(q.flag, Some(true));
        assert_eq!(q.q.as_deref(), Some("张三"));
        let empty: Q = parse_query(&pairs(&[("q", "")])).expect("empty text is text");
        assert_eq!(empty.q.as_deref(), Some(""));
        let absent: Q = parse_query(&[]).expect("nothing given");
        assert_eq!(absent.stage, None);
    }

    #[test]
    fn query_errors_name_the_parameter() {
        for (input, param, code) in [
            (vec![("limit", "ten")], "limit", "invalid_parameter"),
            (vec![("limit", "-1")], "limit", "invalid_parameter"),
            (vec![("stage", "")], "stage", "invalid_parameter"),
            (vec![("from", "")], "from", "invalid_parameter"),
            (vec![("stage", "sleeping")], "stage", "invalid_parameter"),
            (vec![("from", "yesterday")], "from", "invalid_parameter"),
            (vec![("owner", "1.5")], "owner", "invalid_parameter"),
            (vec![("bogus", "1")], "bogus", "unknown_parameter"),
            (vec![("q", "a"), ("q", "b")], "q", "duplicate_parameter"),
            (vec![("q", "a\0b")], "q", "invalid_characters"),
        ] {
            let e = parse_query::<Q>(&pairs(&input)).expect_err(param).problem();
            assert_eq!(e.status, 400, "{input:?}");
            assert_eq!(e.field.as_deref(), Some(param), "{input:?}: {}", e.detail);
            assert_eq!(e.code, code, "{input:?}");
        }
    }

    #[test]
    fn content_types() {
        let mut h = HeaderMap::new();
        assert!(!is_json(&h));
        for (ct, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("Application/JSON", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            h.insert(CONTENT_TYPE, ct.parse().expect("header"));
            assert_eq!(is_json(&h), ok, "{ct}");
        }
    }
}
