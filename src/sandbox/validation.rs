//! Validation rules: an org's own checks on a record before it is saved, which
//! fail a create or update with 400 `FIELD_CUSTOM_VALIDATION_EXCEPTION`.
//!
//! Salesforce writes a rule's error condition as a formula; the sandbox takes a
//! SOQL `WHERE` condition over the record's own fields and its parents' (the
//! subset the query engine speaks), which covers what tests need: "Email and
//! Phone both blank", "Amount < 0", "Status = 'Closed' AND Reason = null". The
//! rule fires when the saved record (the stored values with the request's
//! changes applied) matches the condition. Date literals such as `TODAY` are
//! read at the time of the save.
//!
//! ```json
//! { "name": "Lead",
//!   "validationRules": [
//!     { "name": "Reachable", "errorCondition": "Email = null AND Phone = null",
//!       "errorMessage": "A lead needs an email or a phone", "errorDisplayField": "Phone" } ] }
//! ```

use serde::Deserialize;
use time::OffsetDateTime;

use super::errors::SfError;
use super::soql::{self, DataSource, Record, SoqlError};

/// One active validation rule of an sObject type.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ValidationRule {
    /// The rule's API name (for the operator; Salesforce never returns it).
    pub name: String,
    /// A SOQL `WHERE` condition: the record is refused when it holds.
    pub error_condition: String,
    /// The message the API returns.
    pub error_message: String,
    /// The field the error is shown on; none means the top of the page, and an
    /// empty `fields` list in the error.
    pub error_display_field: Option<String>,
}

impl ValidationRule {
    /// Checks that the condition is SOQL the engine accepts for `sobject`.
    pub fn check(&self, sobject: &str, data: &dyn DataSource) -> Result<(), SoqlError> {
        self.fires(sobject, &Record::new(), data, OffsetDateTime::now_utc())
            .map(drop)
    }

    /// Whether `record` of type `sobject` breaks the rule.
    fn fires(
        &self,
        sobject: &str,
        record: &Record,
        data: &dyn DataSource,
        now: OffsetDateTime,
    ) -> Result<bool, SoqlError> {
        soql::condition_holds(sobject, &self.error_condition, record, data, now)
    }

    /// The error Salesforce returns for this rule.
    fn error(&self) -> SfError {
        SfError::dml(
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            self.error_message.clone(),
            self.error_display_field.iter().cloned().collect(),
        )
    }
}

/// Refuses `record` with the first rule of `rules` it breaks. A rule whose
/// condition cannot be evaluated (checked at load, so never in practice) is skipped.
pub fn enforce(
    rules: &[ValidationRule],
    sobject: &str,
    record: &Record,
    data: &dyn DataSource,
) -> Result<(), SfError> {
    if rules.is_empty() {
        return Ok(());
    }
    let now = OffsetDateTime::now_utc();
    match rules
        .iter()
        .find(|r| r.fires(sobject, record, data, now).unwrap_or(false))
    {
        Some(rule) => Err(rule.error()),
        None => Ok(()),
    }
}
