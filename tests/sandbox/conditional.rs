//! `If-Modified-Since` on describe over real sockets: 304 while the metadata
//! is unchanged, the full answer again after a change.

use crate::support::{Org, V};
use reqwest::{Method, StatusCode};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// An HTTP date (`Wed, 3 Jul 2013 19:43:31 GMT`, as Salesforce's example
/// writes it: one-digit days unpadded) for `t`, in whole seconds.
fn http_date(t: OffsetDateTime) -> String {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTHS[u8::from(t.month()) as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

async fn describe(org: &Org, path: &str, since: Option<&str>) -> StatusCode {
    let mut req = org
        .client
        .request(Method::GET, format!("{}{V}{path}", org.base))
        .header("Authorization", format!("Bearer {}", org.token));
    if let Some(s) = since {
        req = req.header("If-Modified-Since", s);
    }
    let resp = req.send().await.expect("answer");
    let status = resp.status();
    let body = resp.bytes().await.unwrap();
    if status == StatusCode::NOT_MODIFIED {
        assert!(body.is_empty(), "304 has no body");
    } else {
        assert_eq!(status, StatusCode::OK);
        assert!(!body.is_empty());
    }
    status
}

/// The current second, once the org was built in an earlier one.
async fn a_second_after_start() -> OffsetDateTime {
    let start = OffsetDateTime::now_utc();
    let next = start.replace_nanosecond(0).unwrap() + time::Duration::seconds(1);
    tokio::time::sleep((next - start).unsigned_abs() + std::time::Duration::from_millis(20)).await;
    OffsetDateTime::now_utc().replace_nanosecond(0).unwrap()
}

#[tokio::test]
async fn describe_answers_304_until_the_metadata_changes() {
    let org = Org::start().await;
    let since = http_date(a_second_after_start().await);
    for path in [
        "/sobjects/Contact/describe",
        "/sobjects/Account/describe",
        "/sobjects/",
    ] {
        assert_eq!(
            describe(&org, path, Some(&since)).await,
            StatusCode::NOT_MODIFIED,
            "{path}"
        );
        assert_eq!(describe(&org, path, None).await, StatusCode::OK, "{path}");
    }
    // Dates before the org was built, and values that are not dates, get the answer.
    let (used, _) = org.sandbox.api_usage();
    for old in ["Wed, 3 Jul 2013 19:43:31 GMT", "yesterday"] {
        assert_eq!(
            describe(&org, "/sobjects/Contact/describe", Some(old)).await,
            StatusCode::OK
        );
    }
    assert_eq!(org.sandbox.api_usage().0, used + 2, "each counts as a call");

    // A change to Contact: its describe and the global list change, Account's does not.
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    org.sandbox.touch_metadata(Some("Contact"));
    assert_eq!(
        describe(&org, "/sobjects/Contact/describe", Some(&since)).await,
        StatusCode::OK
    );
    assert_eq!(
        describe(&org, "/sobjects/", Some(&since)).await,
        StatusCode::OK
    );
    assert_eq!(
        describe(&org, "/sobjects/Account/describe", Some(&since)).await,
        StatusCode::NOT_MODIFIED
    );

    // The admin route: everything changed.
    let r = org
        .raw(Method::POST, "/__sandbox/touch-metadata", None, None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.body["lastModified"].as_str().unwrap().ends_with("+0000"));
    assert_eq!(
        describe(&org, "/sobjects/Account/describe", Some(&since)).await,
        StatusCode::OK
    );
    // A date from after the change: unchanged again.
    let later = http_date(a_second_after_start().await);
    assert_eq!(
        describe(&org, "/sobjects/Account/describe", Some(&later)).await,
        StatusCode::NOT_MODIFIED
    );
    // The RFC 2822 form (two-digit day) is read too.
    let padded = OffsetDateTime::now_utc().format(&Rfc2822).unwrap();
    assert_eq!(
        describe(&org, "/sobjects/Account/describe", Some(&padded)).await,
        StatusCode::NOT_MODIFIED,
        "{padded}"
    );
}

#[tokio::test]
async fn what_the_user_may_see_is_metadata_too() {
    let org = Org::start().await;
    let since = http_date(a_second_after_start().await);
    assert_eq!(
        describe(&org, "/sobjects/", Some(&since)).await,
        StatusCode::NOT_MODIFIED
    );
    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    org.sandbox.faults().update(|f| f.hide_topics = true);
    assert_eq!(
        describe(&org, "/sobjects/", Some(&since)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_same_inside_a_composite() {
    let org = Org::start().await;
    let since = http_date(a_second_after_start().await);
    let r = org
        .post(
            "/composite",
            &serde_json::json!({"compositeRequest": [{
                "method": "GET",
                "url": format!("{V}/sobjects/Lead/describe"),
                "referenceId": "d",
                "httpHeaders": {"If-Modified-Since": since}
            }]}),
        )
        .await;
    assert_eq!(
        r.body["compositeResponse"][0]["httpStatusCode"], 304,
        "{}",
        r.text
    );
    assert_eq!(
        r.body["compositeResponse"][0]["body"],
        serde_json::Value::Null
    );
}
