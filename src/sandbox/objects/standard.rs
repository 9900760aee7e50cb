//! The standard objects: Account, Contact, Lead, Opportunity, Case, Task,
//! Topic, TopicAssignment and User, with the fields sfgate and its users touch.
//!
//! Each field carries a real org's metadata: type, length, digits, precision and
//! scale from Salesforce's Field Reference
//! (<https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-contact.html>,
//! and the `-account`, `-lead`, `-opportunity`, `-case`, `-task`, `-user` and
//! `-topic` pages beside it), and the picklist values a new org ships with. The
//! Object Reference marks none of these standard picklists "Restricted picklist",
//! so they accept other values, as a real org does; restricted picklists come with
//! custom fields (the sample's `Contact.Preferred_Channel__c`, or a seed's).

use serde_json::Value;

use super::{
    ObjectMeta, Spec, TOPIC_TARGETS, build, create_only, field, picklist, read_only, reference,
    required, sized,
};
use crate::sandbox::schema::{FieldAttrs, FieldType};

const INDUSTRIES: &[&str] = &[
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
];

const LEAD_SOURCES: &[&str] = &[
    "Web",
    "Phone Inquiry",
    "Partner Referral",
    "Purchased List",
    "Other",
];

/// The standard objects, in describe order. `user_id` is the default owner.
pub fn standard(user_id: &str) -> Vec<ObjectMeta> {
    use FieldType as T;
    // Text of a length; one of the other text types of a length.
    let s = |n: &str, l: &str, len: u32| sized(field(n, l, T::String), FieldAttrs::text(len));
    let t = |n: &str, l: &str, ty: T, len: u32| sized(field(n, l, ty), FieldAttrs::text(len));
    // An unrestricted standard picklist.
    let pick = |n: &str, l: &str, len: u32, values: &[&str], default: Option<&str>| {
        picklist(field(n, l, T::Picklist), len, values, default, false)
    };
    let money = |n: &str, l: &str, scale: u32| {
        sized(field(n, l, T::Currency), FieldAttrs::decimal(18, scale))
    };
    let int = |n: &str, l: &str, digits: u32| sized(field(n, l, T::Int), FieldAttrs::int(digits));
    let long_text = |n: &str, l: &str| t(n, l, T::TextArea, 32_000);
    let text = |v: &str| Value::String(v.to_owned());
    let mut user = build(
        Spec {
            name: "User",
            label: "User",
            plural: "Users",
            prefix: "005",
            owned: false,
            fields: vec![
                required(s("Username", "Username", 80)),
                s("FirstName", "First Name", 40),
                required(s("LastName", "Last Name", 80)),
                read_only(s("Name", "Full Name", 121)),
                required(t("Email", "Email", T::Email, 128)),
                field("IsActive", "Active", T::Boolean),
            ],
            defaults: vec![],
        },
        user_id,
    );
    user.createable = false;
    user.updateable = false;
    user.deletable = false;
    let mut topic_assignment = build(
        Spec {
            name: "TopicAssignment",
            label: "Topic Assignment",
            plural: "Topic Assignments",
            prefix: "0FT",
            owned: false,
            fields: vec![
                create_only(required(reference(
                    "TopicId",
                    "Topic ID",
                    &["Topic"],
                    "Topic",
                ))),
                create_only(required(reference(
                    "EntityId",
                    "Entity ID",
                    TOPIC_TARGETS,
                    "Entity",
                ))),
                read_only(s("EntityKeyPrefix", "Entity Key Prefix", 3)),
                read_only(s("EntityType", "Entity Type", 40)),
            ],
            defaults: vec![],
        },
        user_id,
    );
    topic_assignment.updateable = false;
    vec![
        build(
            Spec {
                name: "Account",
                label: "Account",
                plural: "Accounts",
                prefix: "001",
                owned: true,
                fields: vec![
                    required(s("Name", "Account Name", 255)),
                    pick(
                        "Type",
                        "Account Type",
                        255,
                        &[
                            "Prospect",
                            "Customer - Direct",
                            "Customer - Channel",
                            "Channel Partner / Reseller",
                            "Installation Partner",
                            "Technology Partner",
                            "Other",
                        ],
                        None,
                    ),
                    pick("Industry", "Industry", 255, INDUSTRIES, None),
                    t("Phone", "Account Phone", T::Phone, 40),
                    t("Website", "Website", T::Url, 255),
                    t("BillingStreet", "Billing Street", T::TextArea, 255),
                    s("BillingCity", "Billing City", 40),
                    s("BillingState", "Billing State/Province", 80),
                    s("BillingPostalCode", "Billing Zip/Postal Code", 20),
                    s("BillingCountry", "Billing Country", 80),
                    int("NumberOfEmployees", "Employees", 8),
                    money("AnnualRevenue", "Annual Revenue", 0),
                    long_text("Description", "Account Description"),
                    reference("ParentId", "Parent Account ID", &["Account"], "Parent"),
                ],
                defaults: vec![],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Contact",
                label: "Contact",
                plural: "Contacts",
                prefix: "003",
                owned: true,
                fields: vec![
                    s("FirstName", "First Name", 40),
                    required(s("LastName", "Last Name", 80)),
                    read_only(s("Name", "Full Name", 121)),
                    pick(
                        "Salutation",
                        "Salutation",
                        40,
                        &["Mr.", "Ms.", "Mrs.", "Dr.", "Prof."],
                        None,
                    ),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    t("Email", "Email", T::Email, 80),
                    t("Phone", "Business Phone", T::Phone, 40),
                    t("MobilePhone", "Mobile Phone", T::Phone, 40),
                    s("Title", "Title", 128),
                    s("Department", "Department", 80),
                    s("MailingCity", "Mailing City", 40),
                    s("MailingCountry", "Mailing Country", 80),
                    field("Birthdate", "Birthdate", T::Date),
                    pick("LeadSource", "Lead Source", 255, LEAD_SOURCES, None),
                    field("HasOptedOutOfEmail", "Email Opt Out", T::Boolean),
                    long_text("Description", "Contact Description"),
                ],
                defaults: vec![("HasOptedOutOfEmail", Value::Bool(false))],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Lead",
                label: "Lead",
                plural: "Leads",
                prefix: "00Q",
                owned: true,
                fields: vec![
                    s("FirstName", "First Name", 40),
                    required(s("LastName", "Last Name", 80)),
                    read_only(s("Name", "Full Name", 121)),
                    required(s("Company", "Company", 255)),
                    t("Email", "Email", T::Email, 80),
                    t("Phone", "Phone", T::Phone, 40),
                    s("Title", "Title", 128),
                    required(pick(
                        "Status",
                        "Status",
                        255,
                        &[
                            "Open - Not Contacted",
                            "Working - Contacted",
                            "Closed - Converted",
                            "Closed - Not Converted",
                        ],
                        Some("Open - Not Contacted"),
                    )),
                    pick("LeadSource", "Lead Source", 255, LEAD_SOURCES, None),
                    pick("Industry", "Industry", 40, INDUSTRIES, None),
                    pick("Rating", "Rating", 40, &["Hot", "Warm", "Cold"], None),
                    s("City", "City", 40),
                    s("Country", "Country", 80),
                    int("NumberOfEmployees", "Employees", 8),
                    money("AnnualRevenue", "Annual Revenue", 0),
                    read_only(field("IsConverted", "Converted", T::Boolean)),
                    long_text("Description", "Description"),
                ],
                defaults: vec![
                    ("Status", text("Open - Not Contacted")),
                    ("IsConverted", Value::Bool(false)),
                ],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Opportunity",
                label: "Opportunity",
                plural: "Opportunities",
                prefix: "006",
                owned: true,
                fields: vec![
                    required(s("Name", "Name", 120)),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    required(pick(
                        "StageName",
                        "Stage",
                        255,
                        &[
                            "Prospecting",
                            "Qualification",
                            "Needs Analysis",
                            "Value Proposition",
                            "Id. Decision Makers",
                            "Perception Analysis",
                            "Proposal/Price Quote",
                            "Negotiation/Review",
                            "Closed Won",
                            "Closed Lost",
                        ],
                        None,
                    )),
                    required(field("CloseDate", "Close Date", T::Date)),
                    money("Amount", "Amount", 2),
                    sized(
                        field("Probability", "Probability (%)", T::Percent),
                        FieldAttrs::decimal(3, 0),
                    ),
                    pick(
                        "Type",
                        "Opportunity Type",
                        255,
                        &[
                            "Existing Customer - Upgrade",
                            "Existing Customer - Replacement",
                            "Existing Customer - Downgrade",
                            "New Customer",
                        ],
                        None,
                    ),
                    pick("LeadSource", "Lead Source", 255, LEAD_SOURCES, None),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    read_only(field("IsWon", "Won", T::Boolean)),
                    long_text("Description", "Description"),
                ],
                defaults: vec![
                    ("IsClosed", Value::Bool(false)),
                    ("IsWon", Value::Bool(false)),
                ],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Case",
                label: "Case",
                plural: "Cases",
                prefix: "500",
                owned: true,
                fields: vec![
                    read_only(s("CaseNumber", "Case Number", 30)),
                    s("Subject", "Subject", 255),
                    pick(
                        "Status",
                        "Status",
                        40,
                        &["New", "Working", "Escalated", "Closed"],
                        Some("New"),
                    ),
                    pick(
                        "Priority",
                        "Priority",
                        40,
                        &["High", "Medium", "Low"],
                        Some("Medium"),
                    ),
                    pick(
                        "Origin",
                        "Case Origin",
                        40,
                        &["Phone", "Email", "Web"],
                        None,
                    ),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    reference("ContactId", "Contact ID", &["Contact"], "Contact"),
                    t("SuppliedEmail", "Web Email", T::Email, 80),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    long_text("Description", "Description"),
                ],
                defaults: vec![
                    ("Status", text("New")),
                    ("Priority", text("Medium")),
                    ("IsClosed", Value::Bool(false)),
                ],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Task",
                label: "Task",
                plural: "Tasks",
                prefix: "00T",
                owned: true,
                fields: vec![
                    s("Subject", "Subject", 255),
                    required(pick(
                        "Status",
                        "Status",
                        40,
                        &[
                            "Not Started",
                            "In Progress",
                            "Completed",
                            "Waiting on someone else",
                            "Deferred",
                        ],
                        Some("Not Started"),
                    )),
                    required(pick(
                        "Priority",
                        "Priority",
                        40,
                        &["High", "Normal", "Low"],
                        Some("Normal"),
                    )),
                    field("ActivityDate", "Due Date Only", T::Date),
                    reference("WhoId", "Name ID", &["Contact", "Lead"], "Who"),
                    reference(
                        "WhatId",
                        "Related To ID",
                        &["Account", "Opportunity", "Case"],
                        "What",
                    ),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    long_text("Description", "Description"),
                ],
                defaults: vec![
                    ("Status", text("Not Started")),
                    ("Priority", text("Normal")),
                    ("IsClosed", Value::Bool(false)),
                ],
            },
            user_id,
        ),
        build(
            Spec {
                name: "Topic",
                label: "Topic",
                plural: "Topics",
                prefix: "0TO",
                owned: false,
                fields: vec![
                    required(s("Name", "Name", 99)),
                    s("Description", "Description", 1000),
                    read_only(int("TalkingAbout", "Talking About", 9)),
                    read_only(s("ManagedTopicType", "Enabled For", 99)),
                ],
                defaults: vec![("TalkingAbout", Value::from(0))],
            },
            user_id,
        ),
        topic_assignment,
        user,
    ]
}
