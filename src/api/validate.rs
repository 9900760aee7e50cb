//! Request validation: names that reach a URL path or a query are API names.

use prost_types::Struct;

use crate::status::Violation;

/// Checks a Salesforce API name (sObject or field): a letter, then letters,
/// digits and single underscores, optionally a namespace prefix and a `__c`-style
/// suffix. Nothing else can reach a URL path.
pub(crate) fn api_name(name: &str, field: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::new(field, "is required"));
    }
    let ok = name.len() <= 255
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !name.ends_with('_')
        && !name.contains("___")
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        return Ok(());
    }
    const RULE: &str =
        "is not a Salesforce API name (letters, digits and underscores, starting with a letter)";
    // A field path that ends in the name (`fields.<Name>`) already says it: once is enough.
    let description = if field.ends_with(name) {
        RULE.to_owned()
    } else {
        format!("{name:?} {RULE}")
    };
    Err(Violation::new(field, description))
}

/// The most relationships a parent path may follow (Salesforce's limit:
/// <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_limits.htm>).
const MAX_RELATIONSHIPS: usize = 5;

/// Checks a field to select: an API name (`Email`) or a parent path of API
/// names joined by dots (`Account.Owner.Name`), following at most five
/// relationships. Nothing else can reach a query's select list.
pub(crate) fn field_path(path: &str, field: &str) -> Result<(), Violation> {
    if !path.contains('.') {
        return api_name(path, field);
    }
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| api_name(p, field).is_err()) {
        return Err(Violation::new(
            field,
            format!(
                "{path:?} is not a field or parent path (Salesforce API names joined by dots, such as Account.Owner.Name)"
            ),
        ));
    }
    let relationships = parts.len() - 1;
    if relationships > MAX_RELATIONSHIPS {
        return Err(Violation::new(
            field,
            format!(
                "{path:?} follows {relationships} relationships; Salesforce allows at most {MAX_RELATIONSHIPS}"
            ),
        ));
    }
    Ok(())
}

/// The most characters of a topic name: `Topic.Name` is text of 99 (Field Reference,
/// <https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-topic.html>).
pub(crate) const TOPIC_NAME_MAX_CHARS: usize = 99;

/// Checks a topic name (already trimmed): present, at most [`TOPIC_NAME_MAX_CHARS`]
/// characters, no control characters (a line break or NUL in a tag is never meant).
pub(crate) fn topic_name(name: &str, field: &str) -> Result<(), Violation> {
    if name.is_empty() {
        return Err(Violation::new(field, "is required"));
    }
    let chars = name.chars().count();
    if chars > TOPIC_NAME_MAX_CHARS {
        return Err(Violation::new(
            field,
            format!(
                "has {chars} characters; a Salesforce topic name has at most {TOPIC_NAME_MAX_CHARS}"
            ),
        ));
    }
    if let Some((i, c)) = name.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(Violation::new(
            field,
            format!(
                "has a control character (U+{:04X}) at position {i}",
                u32::from(c)
            ),
        ));
    }
    Ok(())
}

/// Checks the keys of a `fields` Struct: at least one, each an API name.
pub(crate) fn field_names(fields: Option<&Struct>, field: &str) -> Result<(), Vec<Violation>> {
    let Some(fields) = fields.filter(|f| !f.fields.is_empty()) else {
        return Err(vec![Violation::new(field, "must name at least one field")]);
    };
    let bad: Vec<_> = fields
        .fields
        .keys()
        .filter_map(|k| {
            let path = format!("{field}.{k}");
            if k == "attributes" {
                // Salesforce's record metadata in query results, not a field to write;
                // the sObject is the request's `sobject`.
                return Some(Violation::new(
                    path,
                    "is the attributes of a record as Salesforce returns it, not a field; name the sObject in `sobject`",
                ));
            }
            api_name(k, &path).err()
        })
        .collect();
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_are_api_names_joined_by_dots_up_to_five_relationships() {
        for good in [
            "Email",
            "Account.Name",
            "Account.Owner.Name",
            "Parent__r.Name__c",
            "A.B.C.D.E.F",
        ] {
            assert!(field_path(good, "fields[0]").is_ok(), "{good}");
        }
        for bad in [
            "",
            "Account.",
            ".Name",
            "Account..Name",
            "Account.Na me",
            "Account/Name",
            "A.B.C.D.E.F.G",
        ] {
            let err = field_path(bad, "fields[0]").unwrap_err();
            assert_eq!(err.field, "fields[0]", "{bad}");
        }
        assert!(
            field_path("A.B.C.D.E.F.G", "f")
                .unwrap_err()
                .description
                .contains("follows 6 relationships; Salesforce allows at most 5")
        );
    }

    #[test]
    fn topic_names_are_checked() {
        assert!(topic_name("Callback requested", "topic_name").is_ok());
        assert!(topic_name(&"é".repeat(99), "topic_name").is_ok());
        for bad in [
            String::new(),
            "x".repeat(100),
            "a\nb".into(),
            "tab\there".into(),
            "nul\0".into(),
            "bell\u{7}".into(),
            "del\u{7f}".into(),
            "c1\u{85}".into(),
        ] {
            let err = topic_name(&bad, "topic_name").unwrap_err();
            assert_eq!(err.field, "topic_name", "{bad:?}");
        }
    }

    #[test]
    fn attributes_is_not_a_field() {
        let fields = Struct {
            fields: [("attributes".to_owned(), prost_types::Value::default())].into(),
        };
        let err = field_names(Some(&fields), "fields").unwrap_err();
        assert_eq!(err[0].field, "fields.attributes");
    }

    #[test]
    fn api_names_are_checked() {
        for good in ["Contact", "Invoice__c", "ns__Thing__c", "A1", "Parent__r"] {
            assert!(api_name(good, "sobject").is_ok(), "{good}");
        }
        for bad in [
            "",
            "1Contact",
            "Contact/../x",
            "Con tact",
            "Contact_",
            "a___b",
            "Cöntact",
            "Contact?x=1",
        ] {
            let err = api_name(bad, "sobject").unwrap_err();
            assert_eq!(err.field, "sobject");
        }
    }
}
