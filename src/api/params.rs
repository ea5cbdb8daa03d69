//! Numeric query parameters, parsed so that a bad value is refused with a 400 that names the
//! parameter: not a number, `NaN`, infinite, negative or out of range. Used through
//! `#[serde(deserialize_with = ...)]` on the query structs, since the query string parser's
//! own errors do not say which parameter was at fault.

use serde::{Deserialize, Deserializer, de::Error};

use super::error::ApiError;

fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    String::deserialize(d)
}

fn integer<E: Error>(name: &str, raw: &str) -> Result<i64, E> {
    raw.trim()
        .parse()
        .map_err(|_| E::custom(format!("{name} must be an integer, got {raw:?}")))
}

fn probability<E: Error>(name: &str, raw: &str) -> Result<f64, E> {
    match raw.trim().parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(E::custom(format!(
            "{name} must be a number between 0 and 1, got {raw:?}"
        ))),
    }
}

/// An integer parameter that may not be negative.
fn count<E: Error>(name: &str, raw: &str) -> Result<i64, E> {
    match integer(name, raw)? {
        n if n < 0 => Err(E::custom(format!("{name} cannot be negative, got {n}"))),
        n => Ok(n),
    }
}

/// `limit` (its range is checked with [`page_size`]).
pub fn limit<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    integer("limit", &text(d)?)
}

/// `offset`: not negative.
pub fn offset<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    count("offset", &text(d)?)
}

/// `after`: a sequence number, not negative.
pub fn after<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    count("after", &text(d)?)
}

/// `before`: an entry ID, not negative; optional (with `#[serde(default)]`).
pub fn before<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    count("before", &text(d)?).map(Some)
}

/// `wait`: seconds (its range is checked by the handler).
pub fn wait<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    integer("wait", &text(d)?)
}

/// `min_score`: a probability; optional (with `#[serde(default)]`).
pub fn min_score<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    probability("min_score", &text(d)?).map(Some)
}

/// `max_score`: a probability; optional (with `#[serde(default)]`).
pub fn max_score<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    probability("max_score", &text(d)?).map(Some)
}

/// A page size: between 1 and `max`.
pub fn page_size(limit: i64, max: i64) -> Result<i64, ApiError> {
    if (1..=max).contains(&limit) {
        return Ok(limit);
    }
    Err(ApiError::bad_request(
        "invalid_query",
        format!("limit must be between 1 and {max}, got {limit}"),
    ))
}
