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
        Ok(())
    } else {
        Err(Violation::new(
            field,
            format!(
                "{name:?} is not a Salesforce API name (letters, digits and underscores, starting with a letter)"
            ),
        ))
    }
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
