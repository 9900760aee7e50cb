//! Field paths: a record's own field, or a parent's through up to five
//! lookups (`Account.Owner.Name` from Contact).
//!
//! Source: "Relationship Query Limitations", SOQL and SOSL Reference ("no
//! more than five levels can be specified in a child-to-parent
//! relationship"),
//! <https://developer.salesforce.com/docs/atlas.en-us.soql_sosl.meta/soql_sosl/sforce_api_calls_soql_relationships_query_limits.htm>.

use super::ast::{Expr, Path};
use super::conds::Resolve;
use super::errors;
use super::eval::{Field, Via};
use super::{DataSource, SoqlError};
use crate::sandbox::schema::ObjectDef;

/// The most lookups a path may follow.
pub(crate) const MAX_HOPS: usize = 5;

/// Resolves `p` on `obj`: `Name`, `Account.Name`, `Account.Owner.Name` …, each
/// also written after the object's own name (`Contact.Name` on Contact).
/// A polymorphic lookup on the way (`What.Name`) needs TYPEOF, which is
/// outside the subset.
pub(crate) fn resolve(
    src: &str,
    obj: &ObjectDef,
    p: &Path,
    data: &dyn DataSource,
) -> Result<Field, SoqlError> {
    let mut parts = p.parts.as_slice();
    if let [first, _, ..] = parts
        && first.text.eq_ignore_ascii_case(&obj.name)
        && obj.relationship(&first.text).is_none()
    {
        parts = &parts[1..];
    }
    let Some((last, rels)) = parts.split_last() else {
        return Err(errors::unexpected(src, p.pos(), &p.dotted()));
    };
    if rels.len() > MAX_HOPS {
        let text = format!(
            "SOQL statements cannot query relationships that are more than {MAX_HOPS} levels \
             away from the root entity object: {}",
            p.dotted()
        );
        return Err(errors::at(errors::MALFORMED, src, p.pos(), &text));
    }
    let mut on = obj;
    let mut via = Vec::with_capacity(rels.len());
    for rel in rels {
        let Some(link) = on.relationship(&rel.text) else {
            return Err(errors::bad_relationship(src, rel.pos, &rel.text));
        };
        let [target] = link.reference_to.as_slice() else {
            return Err(errors::unexpected(src, rel.pos, &p.dotted()));
        };
        let parent = data
            .object(target)
            .ok_or_else(|| errors::bad_relationship(src, rel.pos, &rel.text))?;
        via.push(Via {
            rel: link.relationship_name.clone().unwrap_or_default(),
            ref_field: link.name.clone(),
            target: parent.name.clone(),
        });
        on = parent;
    }
    let def = on
        .field(&last.text)
        .ok_or_else(|| errors::no_such_column(src, last.pos, &last.text, &on.name))?;
    Ok(Field {
        name: def.name.clone(),
        ftype: def.ftype,
        via,
    })
}

/// Resolves a WHERE condition's fields on one object.
pub(crate) struct OnObject<'a> {
    pub(crate) src: &'a str,
    pub(crate) obj: &'a ObjectDef,
    pub(crate) data: &'a dyn DataSource,
}

impl Resolve for OnObject<'_> {
    fn expr(&self, e: &Expr) -> Result<Field, SoqlError> {
        match e {
            Expr::Field(p) => resolve(self.src, self.obj, p, self.data),
            // The parser takes aggregate calls only in HAVING and ORDER BY.
            Expr::Agg(a) => Err(errors::unexpected(self.src, a.pos, a.func.name())),
        }
    }
}
