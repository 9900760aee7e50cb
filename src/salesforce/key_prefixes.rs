//! The key prefixes of Salesforce's standard objects, which are the same in every org
//! (Salesforce Help, "Look up the entity type from a record ID key prefix",
//! <https://help.salesforce.com/s/articleView?id=000385203&type=1>). Custom objects' prefixes
//! differ per org and come from the global describe instead.

/// Standard objects a caller's `sobject` or record Id commonly names, by key prefix.
const STANDARD: &[(&str, &str)] = &[
    ("001", "Account"),
    ("002", "Note"),
    ("003", "Contact"),
    ("005", "User"),
    ("006", "Opportunity"),
    ("00P", "Attachment"),
    ("00Q", "Lead"),
    ("00T", "Task"),
    ("00U", "Event"),
    ("00k", "OpportunityLineItem"),
    ("01t", "Product2"),
    ("02i", "Asset"),
    ("068", "ContentVersion"),
    ("069", "ContentDocument"),
    ("0FT", "TopicAssignment"),
    ("0TO", "Topic"),
    ("500", "Case"),
    ("701", "Campaign"),
    ("800", "Contract"),
    ("801", "Order"),
    ("802", "OrderItem"),
];

/// The standard sObject whose records' Ids start with `prefix` (case-sensitive).
pub(crate) fn standard_sobject(prefix: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, name)| *name)
}

/// The key prefix of the standard sObject named `sobject` (compared without regard to case,
/// as Salesforce compares API names).
pub(crate) fn standard_prefix(sobject: &str) -> Option<&'static str> {
    STANDARD
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(sobject))
        .map(|(p, _)| *p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_prefixes_map_both_ways_and_are_case_sensitive() {
        assert_eq!(standard_sobject("003"), Some("Contact"));
        assert_eq!(standard_sobject("00Q"), Some("Lead"));
        assert_eq!(standard_sobject("00q"), None);
        assert_eq!(standard_prefix("contact"), Some("003"));
        assert_eq!(standard_prefix("Invoice__c"), None);
        for (p, n) in STANDARD {
            assert_eq!(standard_sobject(p), Some(*n));
            assert_eq!(standard_prefix(n), Some(*p));
        }
    }
}
