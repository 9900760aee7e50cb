//! What the session's user can see. Normally the whole org; with the `hideTopics` fault
//! switch ([`FaultConfig::hide_topics`]) everything but `Topic` and `TopicAssignment`, as
//! for an integration user whose profile lacks access to topics: queries naming them get
//! `INVALID_TYPE`, their sObject and describe routes `NOT_FOUND`, and the global describe
//! leaves them out.

use super::faults::FaultConfig;
use super::relationships::ChildRelationship;
use super::schema::ObjectDef;
use super::soql::{DataSource, Record};

/// The sObjects `hideTopics` hides.
const TOPIC_OBJECTS: [&str; 2] = ["Topic", "TopicAssignment"];

/// Whether the session's user cannot see the sObject `name` under these switches.
pub fn hidden(faults: &FaultConfig, name: &str) -> bool {
    faults.hide_topics && TOPIC_OBJECTS.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// The org as the session's user sees it, for the SOQL engine: hidden sObjects do not exist.
#[derive(Debug)]
pub struct Visible<'a, D: ?Sized> {
    /// The whole org.
    pub org: &'a D,
    /// The switches in force for this request.
    pub faults: FaultConfig,
}

impl<D: DataSource + ?Sized> DataSource for Visible<'_, D> {
    fn object(&self, name: &str) -> Option<&ObjectDef> {
        if hidden(&self.faults, name) {
            return None;
        }
        self.org.object(name)
    }

    fn scan(&self, sobject: &str, visit: &mut dyn FnMut(&Record)) {
        if !hidden(&self.faults, sobject) {
            self.org.scan(sobject, visit);
        }
    }

    fn get(&self, id18: &str) -> Option<(&ObjectDef, &Record)> {
        self.org
            .get(id18)
            .filter(|(def, _)| !hidden(&self.faults, &def.name))
    }

    fn child_relationships(&self, parent: &str) -> Vec<ChildRelationship> {
        let mut children = self.org.child_relationships(parent);
        children.retain(|c| !hidden(&self.faults, &c.child));
        children
    }
}
