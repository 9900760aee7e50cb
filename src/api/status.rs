//! Every error a caller can get, built in one place (AIP-193).
//!
//! Each status carries exactly one `google.rpc.ErrorInfo`: domain `salesforce.com`
//! with Salesforce's `errorCode` as the reason when Salesforce refused the call,
//! domain `sfgate` with the gateway's own reason otherwise. Bad input adds a
//! `BadRequest` naming each field; errors worth retrying later add `RetryInfo`.
//! This is the only module that knows both Salesforce errors and gRPC.

use std::collections::HashMap;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The ErrorInfo domain of the gateway's own errors.
pub(crate) const DOMAIN_SFGATE: &str = "sfgate";
/// The ErrorInfo domain of errors Salesforce returned.
pub(crate) const DOMAIN_SALESFORCE: &str = "salesforce.com";

/// One bad field of a request, for a `BadRequest` field violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Violation {
    /// The request field's path, e.g. `id` or `fields.LastName`.
    pub(crate) field: String,
    /// What is wrong with it.
    pub(crate) description: String,
}

impl Violation {
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            description: description.into(),
        }
    }
}

/// `INVALID_ARGUMENT` from the gateway itself, naming every bad field.
pub(crate) fn invalid_argument(reason: &str, violations: Vec<Violation>) -> Status {
    let message = match violations.as_slice() {
        [one] => format!("{}: {}", one.field, one.description),
        many => format!(
            "invalid request: {}",
            many.iter()
                .map(|v| format!("{}: {}", v.field, v.description))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, DOMAIN_SFGATE, HashMap::new());
    for v in violations {
        details.add_bad_request_violation(v.field, v.description);
    }
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// A gateway error with only an ErrorInfo.
pub(crate) fn gateway(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: HashMap<String, String>,
) -> Status {
    let mut details = ErrorDetails::new();
    details.set_error_info(reason, DOMAIN_SFGATE, metadata);
    Status::with_error_details(code, message, details)
}
