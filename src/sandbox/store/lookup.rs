//! Finding records: by a URL Id for a type, by field value, and the SOQL
//! engine's [`DataSource`] view.

use serde_json::Value;

use super::{Located, State};
use crate::sandbox::ids;
use crate::sandbox::relationships::{ChildRelationship, children_of};
use crate::sandbox::schema::ObjectDef;
use crate::sandbox::soql::{DataSource, Record};

impl State {
    /// Where the Id `raw` from a URL leads for the type `ti`.
    pub fn locate(&self, ti: usize, raw: &str) -> Located {
        let Ok(id) = ids::parse(raw) else {
            return Located::NotThisType;
        };
        if self.type_of_prefix(&id) != Some(ti) {
            return Located::NotThisType;
        }
        match self.index.get(&id) {
            None => Located::Missing(id),
            Some(&(_, pos)) => match self.at(ti, pos) {
                Some(r) if r.get("IsDeleted") == Some(&Value::Bool(true)) => Located::Deleted(id),
                Some(_) => Located::Live(id, pos),
                None => Located::Missing(id),
            },
        }
    }

    /// Live records of type `ti` whose `field` equals `value` as text.
    pub fn find_by(&self, ti: usize, field: &str, value: &str) -> Vec<String> {
        let Some(table) = self.tables.get(ti) else {
            return Vec::new();
        };
        table
            .iter()
            .filter(|r| r.get("IsDeleted") != Some(&Value::Bool(true)))
            .filter(|r| match r.get(field) {
                Some(Value::String(s)) => s == value,
                Some(Value::Number(n)) => n.to_string() == value,
                _ => false,
            })
            .filter_map(|r| r.get("Id").and_then(Value::as_str).map(str::to_owned))
            .collect()
    }
}

impl DataSource for State {
    fn object(&self, name: &str) -> Option<&ObjectDef> {
        self.type_index(name).map(|ti| &self.objects[ti].def)
    }

    fn scan(&self, sobject: &str, visit: &mut dyn FnMut(&Record)) {
        if let Some(table) = self.type_index(sobject).and_then(|ti| self.tables.get(ti)) {
            table.iter().for_each(visit);
        }
    }

    fn get(&self, id18: &str) -> Option<(&ObjectDef, &Record)> {
        self.record(id18).map(|(ti, r)| (&self.objects[ti].def, r))
    }

    fn child_relationships(&self, parent: &str) -> Vec<ChildRelationship> {
        children_of(self.objects.iter().map(|o| &o.def), parent)
    }
}
