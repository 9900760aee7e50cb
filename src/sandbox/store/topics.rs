//! Topic bookkeeping (names unique ignoring case and spacing, one assignment
//! per topic and record) and the org-computed `Name` fields.

use serde_json::Value;

use super::State;
use crate::sandbox::errors::SfError;
use crate::sandbox::ids;
use crate::sandbox::soql::Record;

/// A topic name as Salesforce compares names for uniqueness: without regard to case or
/// spacing. The Topic object reference lets an update "change only the spacing and
/// capitalization of a topic name"
/// (<https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_topic.htm>),
/// and inserting a name that differs from an existing one only by a removed space is
/// refused with `DUPLICATE_VALUE` (reported in jongpie/NebulaLogger#154). A duplicate's
/// error names the existing topic: "duplicate value found: Name duplicates value on record
/// with id: 0TO…" (the message real orgs send for a `DUPLICATE_VALUE`; its 15-character Id
/// is theirs too).
pub(super) fn normalise_topic(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

fn duplicate(field: &str, id18: &str) -> SfError {
    SfError::dml(
        "DUPLICATE_VALUE",
        format!(
            "duplicate value found: {field} duplicates value on record with id: {}",
            ids::short(id18)
        ),
        Vec::new(),
    )
}

impl State {
    /// DUPLICATE_VALUE for a Topic name taken by another topic (ignoring case
    /// and spacing) or a topic already assigned to the record.
    pub(super) fn check_topic_rules(
        &self,
        ty: &str,
        rec: &Record,
        own_id: Option<&str>,
    ) -> Result<(), SfError> {
        let text = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("");
        match ty {
            "Topic" => match self.topic_names.get(&normalise_topic(text("Name"))) {
                Some(other) if Some(other.as_str()) != own_id => Err(duplicate("Name", other)),
                _ => Ok(()),
            },
            "TopicAssignment" => {
                let key = (text("TopicId").to_owned(), text("EntityId").to_owned());
                match self.assignments.get(&key) {
                    Some(other) => Err(duplicate("TopicId", other)),
                    None => Ok(()),
                }
            }
            _ => Ok(()),
        }
    }

    pub(super) fn fill_assignment(&self, rec: &mut Record) {
        let entity = rec.get("EntityId").and_then(Value::as_str).unwrap_or("");
        let ty = self
            .record(entity)
            .map(|(ti, _)| self.objects[ti].def.name.clone());
        let prefix = entity.get(..3).map(str::to_owned);
        rec.insert("EntityKeyPrefix".into(), prefix.into());
        rec.insert("EntityType".into(), ty.into());
    }

    pub(super) fn index_topic(&mut self, ty: &str, rec: &Record) {
        let text = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
        match ty {
            "Topic" => {
                self.topic_names
                    .insert(normalise_topic(&text("Name")), text("Id"));
            }
            "TopicAssignment" => {
                self.assignments
                    .insert((text("TopicId"), text("EntityId")), text("Id"));
            }
            _ => {}
        }
    }

    /// The live Topic with this name (ignoring case and spacing).
    pub fn topic_named(&self, name: &str) -> Option<&str> {
        self.topic_names
            .get(&normalise_topic(name))
            .map(String::as_str)
    }
}

/// Keeps the org-computed `Name` of people (First Last) and of custom
/// records without one (their Id, as a real org does).
pub(super) fn derive_name(ty: &str, rec: &mut Record) {
    let text = |k: &str| rec.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match ty {
        "Contact" | "Lead" | "User" => {
            let name = [text("FirstName"), text("LastName")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            rec.insert("Name".into(), Value::String(name));
        }
        t if t.ends_with("__c") && text("Name").is_empty() => {
            let id = text("Id");
            rec.insert("Name".into(), Value::String(id));
        }
        _ => {}
    }
}
