//! The standard objects the sandbox org has, and what the store needs to know
//! about each beyond its describe (defaults, external ids, allowed operations).

use serde_json::Value;

use super::schema::{FieldDef, FieldType, ObjectDef};

/// An sObject type as the store keeps it.
#[derive(Debug, Clone)]
pub struct ObjectMeta {
    /// What describe and the SOQL engine see.
    pub def: ObjectDef,
    /// Values a create fills in when the body leaves the field out.
    pub defaults: Vec<(String, Value)>,
    /// Fields marked as external ids (upsert keys), canonical names.
    pub external_ids: Vec<String>,
    /// Whether the REST API may create, update and delete records of this type.
    pub createable: bool,
    /// Whether records may be updated (TopicAssignment may not).
    pub updateable: bool,
    /// Whether records may be deleted.
    pub deletable: bool,
}

impl ObjectMeta {
    /// Whether `name` is a createable field that a create must supply: not
    /// nillable and without a default.
    pub fn is_required(&self, f: &FieldDef) -> bool {
        f.createable
            && !f.nillable
            && f.ftype != FieldType::Boolean
            && !self.defaults.iter().any(|(d, _)| d == &f.name)
    }
}

/// A field with the usual flags: nillable, createable, updateable.
pub fn field(name: &str, label: &str, ftype: FieldType) -> FieldDef {
    FieldDef {
        name: name.to_owned(),
        label: label.to_owned(),
        ftype,
        nillable: true,
        createable: true,
        updateable: true,
        reference_to: Vec::new(),
        relationship_name: None,
    }
}

fn required(mut f: FieldDef) -> FieldDef {
    f.nillable = false;
    f
}

fn read_only(mut f: FieldDef) -> FieldDef {
    f.createable = false;
    f.updateable = false;
    f
}

/// A lookup field; `rel` is the relationship name SOQL uses to reach the parent.
pub fn reference(name: &str, label: &str, to: &[&str], rel: &str) -> FieldDef {
    FieldDef {
        reference_to: to.iter().map(|s| (*s).to_owned()).collect(),
        relationship_name: Some(rel.to_owned()),
        ..field(name, label, FieldType::Reference)
    }
}

/// The fields every record has, set by the org.
fn system_fields(owned: bool) -> Vec<FieldDef> {
    use FieldType as T;
    let mut v = vec![
        read_only(required(field("Id", "Record ID", T::Id))),
        read_only(required(field("IsDeleted", "Deleted", T::Boolean))),
        read_only(required(field("CreatedDate", "Created Date", T::DateTime))),
        read_only(required(reference(
            "CreatedById",
            "Created By ID",
            &["User"],
            "CreatedBy",
        ))),
        read_only(required(field(
            "LastModifiedDate",
            "Last Modified Date",
            T::DateTime,
        ))),
        read_only(required(reference(
            "LastModifiedById",
            "Last Modified By ID",
            &["User"],
            "LastModifiedBy",
        ))),
        read_only(required(field(
            "SystemModstamp",
            "System Modstamp",
            T::DateTime,
        ))),
    ];
    if owned {
        v.push(required(reference(
            "OwnerId",
            "Owner ID",
            &["User"],
            "Owner",
        )));
    }
    v
}

struct Spec {
    name: &'static str,
    label: &'static str,
    plural: &'static str,
    prefix: &'static str,
    owned: bool,
    fields: Vec<FieldDef>,
    defaults: Vec<(&'static str, Value)>,
}

fn build(spec: Spec, user_id: &str) -> ObjectMeta {
    let mut fields = system_fields(spec.owned);
    fields.extend(spec.fields);
    let mut defaults: Vec<(String, Value)> = spec
        .defaults
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    if spec.owned {
        defaults.push(("OwnerId".to_owned(), Value::String(user_id.to_owned())));
    }
    ObjectMeta {
        def: ObjectDef {
            name: spec.name.to_owned(),
            label: spec.label.to_owned(),
            label_plural: spec.plural.to_owned(),
            key_prefix: spec.prefix.to_owned(),
            custom: false,
            fields,
        },
        defaults,
        external_ids: Vec::new(),
        createable: true,
        updateable: true,
        deletable: true,
    }
}

/// The types a Task's `WhatId` and a TopicAssignment's `EntityId` may point to,
/// before custom objects are added.
pub const TOPIC_TARGETS: &[&str] = &["Account", "Contact", "Lead", "Opportunity", "Case", "Task"];

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

fn create_only(mut f: FieldDef) -> FieldDef {
    f.updateable = false;
    f
}
