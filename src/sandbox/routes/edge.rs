//! What Salesforce's edge answers before any API route sees a request, as HTML rather than
//! the API's JSON error bodies: a URI over 16,384 bytes is refused with 414, a URI and headers
//! together over 16,384 bytes with 431
//! (<https://help.salesforce.com/s/articleView?id=000386264&type=1>). The same HTML pages
//! serve the `htmlErrorRate` fault: a maintenance page or a proxy's 502 instead of an answer.
//!
//! The exact markup of Salesforce's pages is not documented; what clients can rely on, and
//! what this reproduces, is the status, a `text/html` content type and no JSON envelope.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Salesforce's limit on the request line's URI and the headers together, in bytes.
pub(super) const MAX_URI_AND_HEADERS: usize = 16_384;

/// Refuses a request over the edge's size limits; passes the rest on.
pub(super) async fn limits(req: Request, next: Next) -> Response {
    let uri = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    if uri > MAX_URI_AND_HEADERS {
        return html_error(StatusCode::URI_TOO_LONG);
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if uri + headers > MAX_URI_AND_HEADERS {
        return html_error(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
    next.run(req).await
}

/// An HTML error page with `status`, as a web server or proxy writes one.
pub(super) fn html_error(status: StatusCode) -> Response {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=UTF-8"),
    );
    response
}
