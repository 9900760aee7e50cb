//! Request validation: names that reach a URL path or a query are API names.

use prost_types::Struct;

use super::status::Violation;

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

/// Checks the keys of a `fields` Struct: at least one, each an API name.
pub(crate) fn field_names(fields: Option<&Struct>, field: &str) -> Result<(), Vec<Violation>> {
    let Some(fields) = fields.filter(|f| !f.fields.is_empty()) else {
        return Err(vec![Violation::new(field, "must name at least one field")]);
    };
    let bad: Vec<_> = fields
        .fields
        .keys()
        .filter_map(|k| api_name(k, &format!("{field}.{k}")).err())
        .collect();
    if bad.is_empty() { Ok(()) } else { Err(bad) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
