//! Adding a topic to a record: find-or-create the `Topic`, then create the `TopicAssignment`.

use serde_json::{Map, Value};

use super::{Client, Error, RecordId, escape_soql_string};

/// The result of [`Client::add_topic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAssignment {
    /// The `Topic` (key prefix `0TO`).
    pub topic_id: String,
    /// The `TopicAssignment` linking it to the record.
    pub assignment_id: String,
    /// `false` when the record already had the topic.
    pub created: bool,
}

const DUPLICATE_VALUE: &str = "DUPLICATE_VALUE";

// === impl Client ===

impl Client {
    /// Tags `record_id` with the topic named `topic_name`, creating the topic if the org has
    /// none by that name. Idempotent: adding a topic twice returns the existing assignment with
    /// `created: false`.
    ///
    /// Races with another writer are settled by Salesforce's uniqueness checks: a
    /// `DUPLICATE_VALUE` on either create means the row now exists, so it is looked up again.
    pub async fn add_topic(
        &self,
        record_id: &RecordId,
        topic_name: &str,
    ) -> Result<TopicAssignment, Error> {
        let topic_id = self.find_or_create_topic(topic_name).await?;
        let mut fields = Map::new();
        fields.insert("TopicId".into(), Value::String(topic_id.clone()));
        fields.insert(
            "EntityId".into(),
            Value::String(record_id.as_str18().to_owned()),
        );
        match self.create("TopicAssignment", &fields).await {
            Ok(assignment_id) => Ok(TopicAssignment {
                topic_id,
                assignment_id,
                created: true,
            }),
            Err(e) if e.has_error_code(DUPLICATE_VALUE) => {
                let soql = format!(
                    "SELECT Id FROM TopicAssignment WHERE TopicId = '{}' AND EntityId = '{}'",
                    escape_soql_string(&topic_id),
                    record_id.as_str18()
                );
                match self.first_id(&soql).await? {
                    Some(assignment_id) => Ok(TopicAssignment {
                        topic_id,
                        assignment_id,
                        created: false,
                    }),
                    // Deleted between the two calls, or not visible to us: report what
                    // Salesforce said rather than invent an Id.
                    None => Err(e),
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn find_or_create_topic(&self, name: &str) -> Result<String, Error> {
        let soql = format!(
            "SELECT Id, Name FROM Topic WHERE Name = '{}'",
            escape_soql_string(name)
        );
        if let Some(id) = self.first_id(&soql).await? {
            return Ok(id);
        }
        let mut fields = Map::new();
        fields.insert("Name".into(), Value::String(name.to_owned()));
        match self.create("Topic", &fields).await {
            Ok(id) => Ok(id),
            // Created concurrently, or an existing name differing only in spacing (Salesforce
            // treats those as duplicates, SOQL `=` does not match them): look again.
            Err(e) if e.has_error_code(DUPLICATE_VALUE) => self.first_id(&soql).await?.ok_or(e),
            Err(e) => Err(e),
        }
    }

    /// The `Id` of the first row `soql` returns.
    async fn first_id(&self, soql: &str) -> Result<Option<String>, Error> {
        let page = self.query(soql, false, None).await?;
        Ok(page
            .records
            .first()
            .and_then(|r| r.get("Id"))
            .and_then(Value::as_str)
            .map(str::to_owned))
    }
}
