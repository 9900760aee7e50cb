//! The org's metadata: which sObject types exist and what fields they have.
//!
//! Both the REST routes (describe, DML validation) and the SOQL engine read it.

/// The data type of a field, as `describe` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record Id (`id`).
    Id,
    /// A lookup to another record (`reference`).
    Reference,
    /// Free text (`string`).
    String,
    /// Long free text (`textarea`).
    TextArea,
    /// An e-mail address (`email`).
    Email,
    /// A phone number (`phone`).
    Phone,
    /// A URL (`url`).
    Url,
    /// One value from a list (`picklist`).
    Picklist,
    /// Several values from a list, stored `;`-separated (`multipicklist`).
    MultiPicklist,
    /// `true` / `false` (`boolean`).
    Boolean,
    /// A whole number (`int`).
    Int,
    /// A decimal number (`double`).
    Double,
    /// An amount of money (`currency`).
    Currency,
    /// A percentage, stored as the number shown (`percent`).
    Percent,
    /// A calendar date, `YYYY-MM-DD` (`date`).
    Date,
    /// A point in time, `YYYY-MM-DDThh:mm:ss.000+0000` (`datetime`).
    DateTime,
}

impl FieldType {
    /// The name `describe` gives this type.
    pub fn describe_name(self) -> &'static str {
        match self {
            FieldType::Id => "id",
            FieldType::Reference => "reference",
            FieldType::String => "string",
            FieldType::TextArea => "textarea",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::Url => "url",
            FieldType::Picklist => "picklist",
            FieldType::MultiPicklist => "multipicklist",
            FieldType::Boolean => "boolean",
            FieldType::Int => "int",
            FieldType::Double => "double",
            FieldType::Currency => "currency",
            FieldType::Percent => "percent",
            FieldType::Date => "date",
            FieldType::DateTime => "datetime",
        }
    }
}

/// One field of an sObject type.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// The API name, in its canonical case (`LastName`, `Score__c`).
    pub name: String,
    /// The human label.
    pub label: String,
    /// The data type.
    pub ftype: FieldType,
    /// Whether the field may be null. A createable, non-nillable field without a
    /// default is required on create (`REQUIRED_FIELD_MISSING`).
    pub nillable: bool,
    /// Whether a create may set it.
    pub createable: bool,
    /// Whether an update may set it.
    pub updateable: bool,
    /// For `Reference` fields, the sObject types it may point to.
    pub reference_to: Vec<String>,
    /// For `Reference` fields, the name used in SOQL to reach the parent
    /// (`Account` for `AccountId`, `Parent__r` for `Parent__c`).
    pub relationship_name: Option<String>,
    /// Sizes and allowed values, as describe reports them and writes are checked.
    pub attrs: FieldAttrs,
}

/// A field's sizes and allowed values: what describe reports as `length`,
/// `digits`, `precision`, `scale`, `picklistValues` and `restrictedPicklist`, and
/// what every write is checked against. Zero means "not applicable", as in
/// describe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldAttrs {
    /// Text types: the most characters a value may hold (Unicode characters).
    pub length: u32,
    /// `int`: the most digits.
    pub digits: u32,
    /// `double`, `currency`, `percent`: digits in all.
    pub precision: u32,
    /// `double`, `currency`, `percent`: digits after the point.
    pub scale: u32,
    /// Picklist values, in order.
    pub picklist: Vec<PicklistValue>,
    /// Whether values outside `picklist` are refused.
    pub restricted: bool,
}

/// One value of a picklist, as describe lists it in `picklistValues`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PicklistValue {
    /// The API value.
    pub value: String,
    /// Whether a create without the field gets it.
    pub default: bool,
}

impl FieldAttrs {
    /// Text of at most `length` characters.
    pub fn text(length: u32) -> FieldAttrs {
        FieldAttrs {
            length,
            ..FieldAttrs::default()
        }
    }

    /// A decimal of `precision` digits, `scale` of them after the point.
    pub fn decimal(precision: u32, scale: u32) -> FieldAttrs {
        FieldAttrs {
            precision,
            scale,
            ..FieldAttrs::default()
        }
    }

    /// A whole number of at most `digits` digits.
    pub fn int(digits: u32) -> FieldAttrs {
        FieldAttrs {
            digits,
            ..FieldAttrs::default()
        }
    }

    /// The picklist value listed as the default, if any.
    pub fn default_value(&self) -> Option<&str> {
        self.picklist
            .iter()
            .find(|p| p.default)
            .map(|p| p.value.as_str())
    }
}

/// One sObject type.
#[derive(Debug, Clone)]
pub struct ObjectDef {
    /// The API name, in its canonical case (`Contact`, `Invoice__c`).
    pub name: String,
    /// The singular label.
    pub label: String,
    /// The plural label.
    pub label_plural: String,
    /// The three-character Id prefix of its records (`003` for Contact).
    pub key_prefix: String,
    /// Whether it is a custom object (`__c`).
    pub custom: bool,
    /// Its fields, `Id` first.
    pub fields: Vec<FieldDef>,
}

impl ObjectDef {
    /// The field with this API name, compared without regard to case as Salesforce does.
    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
    }

    /// The reference field whose relationship name is `name` (`Account` → `AccountId`).
    pub fn relationship(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| {
            f.relationship_name
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(name))
        })
    }
}
