//! The standard objects: Account, Contact, Lead, Opportunity, Case, Task,
//! Topic, TopicAssignment and User, with the fields sfgate and its users touch.

use serde_json::Value;

use super::{
    ObjectMeta, Spec, TOPIC_TARGETS, build, create_only, field, read_only, reference, required,
};
use crate::sandbox::schema::FieldType;

/// The standard objects, in describe order. `user_id` is the default owner.
pub fn standard(user_id: &str) -> Vec<ObjectMeta> {
    use FieldType as T;
    let s = |n: &str, l: &str| field(n, l, T::String);
    let pick = |n: &str, l: &str| field(n, l, T::Picklist);
    let text = |v: &str| Value::String(v.to_owned());
    let mut user = build(
        Spec {
            name: "User",
            label: "User",
            plural: "Users",
            prefix: "005",
            owned: false,
            fields: vec![
                required(s("Username", "Username")),
                s("FirstName", "First Name"),
                required(s("LastName", "Last Name")),
                read_only(s("Name", "Full Name")),
                required(field("Email", "Email", T::Email)),
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
                read_only(s("EntityKeyPrefix", "Entity Key Prefix")),
                read_only(s("EntityType", "Entity Type")),
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
                    required(s("Name", "Account Name")),
                    pick("Type", "Account Type"),
                    pick("Industry", "Industry"),
                    field("Phone", "Account Phone", T::Phone),
                    field("Website", "Website", T::Url),
                    field("BillingStreet", "Billing Street", T::TextArea),
                    s("BillingCity", "Billing City"),
                    s("BillingState", "Billing State/Province"),
                    s("BillingPostalCode", "Billing Zip/Postal Code"),
                    s("BillingCountry", "Billing Country"),
                    field("NumberOfEmployees", "Employees", T::Int),
                    field("AnnualRevenue", "Annual Revenue", T::Currency),
                    field("Description", "Account Description", T::TextArea),
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
                    s("FirstName", "First Name"),
                    required(s("LastName", "Last Name")),
                    read_only(s("Name", "Full Name")),
                    pick("Salutation", "Salutation"),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    field("Email", "Email", T::Email),
                    field("Phone", "Business Phone", T::Phone),
                    field("MobilePhone", "Mobile Phone", T::Phone),
                    s("Title", "Title"),
                    s("Department", "Department"),
                    s("MailingCity", "Mailing City"),
                    s("MailingCountry", "Mailing Country"),
                    field("Birthdate", "Birthdate", T::Date),
                    pick("LeadSource", "Lead Source"),
                    field("HasOptedOutOfEmail", "Email Opt Out", T::Boolean),
                    field("Description", "Contact Description", T::TextArea),
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
                    s("FirstName", "First Name"),
                    required(s("LastName", "Last Name")),
                    read_only(s("Name", "Full Name")),
                    required(s("Company", "Company")),
                    field("Email", "Email", T::Email),
                    field("Phone", "Phone", T::Phone),
                    s("Title", "Title"),
                    required(pick("Status", "Status")),
                    pick("LeadSource", "Lead Source"),
                    pick("Industry", "Industry"),
                    pick("Rating", "Rating"),
                    s("City", "City"),
                    s("Country", "Country"),
                    field("NumberOfEmployees", "Employees", T::Int),
                    field("AnnualRevenue", "Annual Revenue", T::Currency),
                    read_only(field("IsConverted", "Converted", T::Boolean)),
                    field("Description", "Description", T::TextArea),
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
                    required(s("Name", "Name")),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    required(pick("StageName", "Stage")),
                    required(field("CloseDate", "Close Date", T::Date)),
                    field("Amount", "Amount", T::Currency),
                    field("Probability", "Probability (%)", T::Double),
                    pick("Type", "Opportunity Type"),
                    pick("LeadSource", "Lead Source"),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    read_only(field("IsWon", "Won", T::Boolean)),
                    field("Description", "Description", T::TextArea),
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
                    read_only(s("CaseNumber", "Case Number")),
                    s("Subject", "Subject"),
                    pick("Status", "Status"),
                    pick("Priority", "Priority"),
                    pick("Origin", "Case Origin"),
                    reference("AccountId", "Account ID", &["Account"], "Account"),
                    reference("ContactId", "Contact ID", &["Contact"], "Contact"),
                    field("SuppliedEmail", "Web Email", T::Email),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    field("Description", "Description", T::TextArea),
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
                    s("Subject", "Subject"),
                    required(pick("Status", "Status")),
                    required(pick("Priority", "Priority")),
                    field("ActivityDate", "Due Date Only", T::Date),
                    reference("WhoId", "Name ID", &["Contact", "Lead"], "Who"),
                    reference(
                        "WhatId",
                        "Related To ID",
                        &["Account", "Opportunity", "Case"],
                        "What",
                    ),
                    read_only(field("IsClosed", "Closed", T::Boolean)),
                    field("Description", "Description", T::TextArea),
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
                    required(s("Name", "Name")),
                    field("Description", "Description", T::TextArea),
                    read_only(field("TalkingAbout", "Talking About", T::Int)),
                    read_only(s("ManagedTopicType", "Managed Topic Type")),
                ],
                defaults: vec![("TalkingAbout", Value::from(0))],
            },
            user_id,
        ),
        topic_assignment,
        user,
    ]
}
