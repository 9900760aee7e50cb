//! The authentication metadata every Pub/Sub API call carries: `accesstoken` (a session of
//! the org's OAuth server), `instanceurl` (the org's instance URL) and `tenantid` (the org
//! Id) (<https://developer.salesforce.com/docs/platform/pub-sub-api/guide/supported-auth.html>).
//! gRPC sends metadata keys in lower case, so `accessToken` as Salesforce's Java sample
//! spells it arrives as `accesstoken`.
//!
//! A missing or blank header is `UNAUTHENTICATED` `service.auth.headers.invalid`; a token the
//! org does not know (expired, revoked), another org's Id or another instance URL is
//! `UNAUTHENTICATED` `service.auth.error`. The instance URL is compared without a trailing
//! slash and ignoring case, and only once the REST API has been served (its URL is known);
//! the org Id may be given in 15 or 18 characters.

use tonic::Status;
use tonic::metadata::MetadataMap;

use super::status;
use crate::sandbox::Shared;

/// The caller's session token, once its metadata checks out.
pub(super) fn check(
    shared: &Shared,
    metadata: &MetadataMap,
    rpc_id: &str,
) -> Result<String, Status> {
    let header = |key: &str| {
        metadata
            .get(key)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (Some(token), Some(instance_url), Some(tenant)) = (
        header("accesstoken"),
        header("instanceurl"),
        header("tenantid"),
    ) else {
        return Err(status::error(
            tonic::Code::Unauthenticated,
            "service.auth.headers.invalid",
            "The accesstoken, instanceurl and tenantid metadata headers are required and must not be blank.",
            rpc_id,
        ));
    };
    let org = &shared.org_id;
    let same_org = tenant == *org || (tenant.len() == 15 && org.starts_with(&tenant));
    let known_url = shared
        .instance_url
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let same_url =
        known_url.is_none_or(|u| u.eq_ignore_ascii_case(instance_url.trim_end_matches('/')));
    if !same_org || !same_url {
        return Err(status::auth(rpc_id));
    }
    still_valid(shared, &token, rpc_id)?;
    Ok(token)
}

/// Whether the session is still valid (it may have expired or been revoked since the call
/// started); using it counts as activity for the idle timeout.
pub(super) fn still_valid(shared: &Shared, token: &str, rpc_id: &str) -> Result<(), Status> {
    shared
        .auth
        .authenticate(Some(&format!("Bearer {token}")))
        .map(|_| ())
        .map_err(|_| status::auth(rpc_id))
}
