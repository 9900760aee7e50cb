//! Restoring a record from the recycle bin.
//!
//! The REST API has no undelete; in a real org it is SOAP's or Apex's `undelete()`, or a
//! user restoring the record from the Recycle Bin. The sandbox offers it to tests and tools
//! ([`crate::sandbox::Sandbox::undelete`], `POST /__sandbox/undelete/{Id}`) so that
//! `UNDELETE` change events can be produced.

use serde_json::Value;
use time::OffsetDateTime;

use super::State;
use crate::sandbox::errors::SfError;
use crate::sandbox::values::system_stamp;

impl State {
    /// Brings the record with this canonical Id back from the recycle bin. A record that
    /// is not there is `UNDELETE_FAILED`; a Topic whose name another topic took since, or a
    /// topic assignment made again since, is `DUPLICATE_VALUE`.
    pub fn undelete(&mut self, id18: &str, now: OffsetDateTime) -> Result<(), SfError> {
        let Some(&(ti, pos)) = self.index.get(id18) else {
            return Err(SfError::not_found());
        };
        let Some(rec) = self.tables.get(ti).and_then(|t| t.get(pos)) else {
            return Err(SfError::not_found());
        };
        if rec.get("IsDeleted") != Some(&Value::Bool(true)) {
            return Err(SfError::dml(
                "UNDELETE_FAILED",
                "Entity is not in the recycle bin",
                Vec::new(),
            ));
        }
        let type_name = self.objects[ti].def.name.clone();
        self.check_topic_rules(&type_name, rec, Some(id18))?;
        let mut rec = rec.clone();
        rec.insert("IsDeleted".into(), Value::Bool(false));
        rec.insert("SystemModstamp".into(), Value::String(system_stamp(now)));
        self.index_topic(&type_name, &rec);
        self.cdc.undeleted(ti, &rec);
        self.tables[ti][pos] = rec;
        Ok(())
    }
}
