//! Adding a topic to a record: find-or-create the `Topic`, then create the `TopicAssignment`.

use serde_json::{Map, Value};

use super::soql::quote;
use super::{Client, Error, RecordId};

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
/// Key prefixes of `Topic` (`0TO`, as the Topic Ids of Salesforce's Connect REST API examples)
/// and `TopicAssignment` (`0FT`: commonly cited, not in Salesforce's documentation; the
/// object: <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_topicassignment.htm>).
const TOPIC_PREFIX: &str = "0TO";
const ASSIGNMENT_PREFIX: &str = "0FT";

// === impl Client ===

impl Client {
    /// Tags `record_id` with the topic named `topic_name`, creating the topic if the org has
    /// none by that name. Idempotent: adding a topic twice returns the existing assignment with
    /// `created: false`.
    ///
    /// What counts as the same topic is Salesforce's to say: topic names are unique ignoring
    /// case and spacing ("Callback  requested" is "Callback requested"; the Topic object
    /// reference lets an update "change only the spacing and capitalization of a topic name",
    /// <https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_topic.htm>),
    /// which a SOQL `=` does not match. So a create refused with `DUPLICATE_VALUE` is answered
    /// with the record Salesforce's message names ("duplicates value on record with id: …"),
    /// not with a guess at its normalisation; without one, the name is looked up again (a
    /// concurrent create). Queries sfgate makes on its own fail as [`Error::Lookup`].
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
        let assignment_id = match self.create("TopicAssignment", &fields).await {
            Ok(assignment_id) => {
                return Ok(TopicAssignment {
                    topic_id,
                    assignment_id,
                    created: true,
                });
            }
            Err(e) if e.has_error_code(DUPLICATE_VALUE) => match named(&e, ASSIGNMENT_PREFIX) {
                Some(id) => id,
                None => {
                    let soql = format!(
                        "SELECT Id FROM TopicAssignment WHERE TopicId = {} AND EntityId = {}",
                        quote(&topic_id),
                        quote(record_id.as_str18())
                    );
                    let found = self.first_id(&soql).await;
                    // Deleted between the two calls, or not visible to us: report what
                    // Salesforce said rather than invent an Id.
                    found
                        .map_err(|l| l.in_lookup("TopicAssignment"))?
                        .ok_or(e)?
                }
            },
            Err(e) => return Err(e),
        };
        Ok(TopicAssignment {
            topic_id,
            assignment_id,
            created: false,
        })
    }

    async fn find_or_create_topic(&self, name: &str) -> Result<String, Error> {
        let soql = format!("SELECT Id, Name FROM Topic WHERE Name = {}", quote(name));
        let lookup = |e: Error| e.in_lookup("Topic");
        if let Some(id) = self.first_id(&soql).await.map_err(lookup)? {
            return Ok(id);
        }
        let mut fields = Map::new();
        fields.insert("Name".into(), Value::String(name.to_owned()));
        match self.create("Topic", &fields).await {
            Ok(id) => Ok(id),
            Err(e) if e.has_error_code(DUPLICATE_VALUE) => match named(&e, TOPIC_PREFIX) {
                Some(id) => Ok(id),
                // Created concurrently: look again.
                None => self.first_id(&soql).await.map_err(lookup)?.ok_or(e),
            },
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

/// The 18-character Id of the record a `DUPLICATE_VALUE` names, if it is of the type
/// with this key prefix.
fn named(e: &Error, prefix: &str) -> Option<String> {
    let id = RecordId::parse(e.duplicate_of()?).ok()?;
    (id.key_prefix() == prefix).then(|| id.as_str18().to_owned())
}
