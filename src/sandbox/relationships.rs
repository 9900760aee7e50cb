//! Child relationships: the names a parent object uses in SOQL subqueries
//! (`SELECT Name, (SELECT LastName FROM Contacts) FROM Account`) and lists in
//! its describe's `childRelationships`.
//!
//! A standard lookup's name is the one a real org uses (`Contacts`,
//! `Opportunities`, `ChildAccounts`, …); lookups a real org gives no child
//! relationship (`CreatedById`, `OwnerId`, …) have none here either. A custom
//! lookup (`Account__c`) gets Salesforce's default: the child object's plural
//! label with `_` for each character that cannot be in an API name, plus `__r`
//! (`Invoices__r` for `Invoice__c` labelled "Invoices"). Source: "Relationship
//! Names", SOQL and SOSL Reference,
//! <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_and_custom_objects.htm>.

use super::schema::ObjectDef;

/// One child relationship of a parent object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRelationship {
    /// The name used in a subquery's FROM (`Contacts`).
    pub name: String,
    /// The child sObject type (`Contact`).
    pub child: String,
    /// The child's lookup field holding the parent's Id (`AccountId`).
    pub field: String,
}

/// The child relationship names of standard lookups, as a real org has them:
/// (child object, lookup field, name).
const STANDARD: &[(&str, &str, &str)] = &[
    ("Account", "ParentId", "ChildAccounts"),
    ("Contact", "AccountId", "Contacts"),
    ("Opportunity", "AccountId", "Opportunities"),
    ("Case", "AccountId", "Cases"),
    ("Case", "ContactId", "Cases"),
    ("Task", "WhoId", "Tasks"),
    ("Task", "WhatId", "Tasks"),
    ("TopicAssignment", "EntityId", "TopicAssignments"),
    ("TopicAssignment", "TopicId", "TopicAssignments"),
];

/// The child relationships of `parent` among `objects`, in object and field
/// order. The first of two custom lookups that would get the same default
/// name keeps it; the second has none (a real org would ask for another name).
pub fn children_of<'a>(
    objects: impl IntoIterator<Item = &'a ObjectDef>,
    parent: &str,
) -> Vec<ChildRelationship> {
    let mut out: Vec<ChildRelationship> = Vec::new();
    for child in objects {
        for f in &child.fields {
            if !f.reference_to.iter().any(|t| t == parent) {
                continue;
            }
            let name = if f.name.ends_with("__c") {
                Some(custom_name(&child.label_plural))
            } else {
                STANDARD
                    .iter()
                    .find(|(c, field, _)| *c == child.name && *field == f.name)
                    .map(|(_, _, n)| (*n).to_owned())
            };
            let Some(name) = name else { continue };
            if out.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
                continue;
            }
            out.push(ChildRelationship {
                name,
                child: child.name.clone(),
                field: f.name.clone(),
            });
        }
    }
    out
}

/// `Invoice Lines` → `Invoice_Lines__r`.
fn custom_name(label_plural: &str) -> String {
    let mut name: String = label_plural
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    name.push_str("__r");
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::objects::standard;

    #[test]
    fn standard_objects_have_a_real_orgs_names() {
        let objs = standard("005000000000001AAA");
        let defs: Vec<&ObjectDef> = objs.iter().map(|o| &o.def).collect();
        let names = |parent: &str| -> Vec<(String, String, String)> {
            children_of(defs.iter().copied(), parent)
                .into_iter()
                .map(|c| (c.name, c.child, c.field))
                .collect()
        };
        let t = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            names("Account"),
            [
                t("ChildAccounts", "Account", "ParentId"),
                t("Contacts", "Contact", "AccountId"),
                t("Opportunities", "Opportunity", "AccountId"),
                t("Cases", "Case", "AccountId"),
                t("Tasks", "Task", "WhatId"),
                t("TopicAssignments", "TopicAssignment", "EntityId"),
            ]
        );
        assert_eq!(
            names("Contact"),
            [
                t("Cases", "Case", "ContactId"),
                t("Tasks", "Task", "WhoId"),
                t("TopicAssignments", "TopicAssignment", "EntityId"),
            ]
        );
        assert!(names("User").is_empty());
    }

    #[test]
    fn custom_lookups_get_the_plural_label_with_r() {
        assert_eq!(custom_name("Invoices"), "Invoices__r");
        assert_eq!(custom_name("Invoice Lines"), "Invoice_Lines__r");
    }
}
