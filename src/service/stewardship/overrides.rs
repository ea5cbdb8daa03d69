//! A steward's value for one field of a golden record. It wins survivorship until removed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Actor, Audited, OverrideRequest, audit, check_version, load_active, snapshot};
use crate::model::FieldError;
use crate::normalize;
use crate::rules::{Domain, FieldDef};
use crate::service::golden::{golden_view, recompute_golden};
use crate::service::views::GoldenView;
use crate::service::{Golden, ServiceError};
use crate::store::models::NewOverride;
use crate::store::queries::golden;

/// Longest override value accepted.
const MAX_VALUE_CHARS: usize = 4_000;

impl Golden {
    /// Sets the value of `request.field`, or removes its override when the value is null.
    #[tracing::instrument(skip(self, request, actor))]
    pub fn override_field(
        &self,
        domain: &str,
        id: &str,
        request: &OverrideRequest,
        actor: &Actor,
    ) -> Result<GoldenView, ServiceError> {
        let domain = self.domain(domain)?;
        let field = domain.field(&request.field).ok_or_else(|| {
            field_error(
                &request.field,
                format!("{} declares no field {:?}", domain.name, request.field),
            )
        })?;
        writable(field, actor)?;
        let value = checked_value(field, &request.value)?;
        self.store.write(|tx| {
            let row = load_active(tx.conn(), &domain.name, id)?;
            check_version(&row, Some(request.version))?;
            let before = snapshot(tx.conn(), id)?;
            let action = match &value {
                Some(value) => {
                    let at = tx.now();
                    golden::put_override(
                        tx.conn(),
                        &NewOverride {
                            golden_id: id,
                            field: &field.name,
                            value,
                            actor: &actor.sub,
                            reason: request.comment.as_deref(),
                            created_at: at,
                        },
                    )?;
                    "override_field"
                }
                None => {
                    if !golden::remove_override(tx.conn(), id, &field.name)? {
                        return Err(ServiceError::NotFound(format!(
                            "an override of {} on {id}",
                            field.name
                        )));
                    }
                    "remove_override"
                }
            };
            tx.emit(
                Some(&domain.name),
                "golden.overridden",
                Some(id),
                &json!({"golden_id": id, "field": field.name, "value": request.value,
                        "by": actor.sub}),
            );
            recompute_golden(tx, &domain, id)?;
            let after = snapshot(tx.conn(), id)?;
            audit(
                tx,
                actor,
                Audited {
                    action,
                    domain: &domain.name,
                    entity_type: "golden",
                    entity_id: id,
                    reason: request.comment.as_deref(),
                    before,
                    after,
                },
            )?;
            let row = load_active(tx.conn(), &domain.name, id)?;
            golden_view(tx.conn(), row, id)
        })
    }
}

/// The override as stored (JSON text), or `None` to remove it. The value must pass the field's
/// own validation, so an override can't make a golden record invalid.
fn checked_value(field: &FieldDef, value: &Value) -> Result<Option<String>, ServiceError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => {
            return Err(field_error(
                &field.name,
                "an override must be a string, number, boolean or null".into(),
            ));
        }
    };
    if text.trim().is_empty() {
        return Err(field_error(
            &field.name,
            "an override cannot be empty; send null to remove it".into(),
        ));
    }
    if text.chars().count() > MAX_VALUE_CHARS {
        return Err(field_error(
            &field.name,
            format!("an override may hold at most {MAX_VALUE_CHARS} characters"),
        ));
    }
    normalize::standardize(field.field_type, &text)
        .map_err(|e| field_error(&field.name, e.to_string()))?;
    Ok(Some(value.to_string()))
}

/// A merge's field picks checked against the domain: each names a declared field and holds a
/// value its type accepts. Returns (field, stored JSON value) pairs.
pub(super) fn checked_picks(
    domain: &Domain,
    picks: &BTreeMap<String, Value>,
    actor: &Actor,
) -> Result<Vec<(String, String)>, ServiceError> {
    picks
        .iter()
        .map(|(name, value)| {
            let field = domain.field(name).ok_or_else(|| {
                field_error(name, format!("{} declares no field {name:?}", domain.name))
            })?;
            writable(field, actor)?;
            let value = checked_value(field, value)?
                .ok_or_else(|| field_error(name, "a pick needs a value".into()))?;
            Ok((field.name.clone(), value))
        })
        .collect()
}

/// A sensitive field is written (overridden, picked) only by an actor who may see it: a
/// steward who sees it masked would be setting a value blind.
fn writable(field: &FieldDef, actor: &Actor) -> Result<(), ServiceError> {
    if field.sensitive && !actor.sensitive {
        return Err(ServiceError::Forbidden(format!(
            "{} is a sensitive field: setting its value requires the sensitive role",
            field.name
        )));
    }
    Ok(())
}

fn field_error(field: &str, message: String) -> ServiceError {
    ServiceError::Unprocessable {
        message: format!("invalid override of {field}: {message}"),
        details: vec![FieldError::new(field, message)],
    }
}
