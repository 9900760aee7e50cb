//! Runs an aggregate plan: one scan that folds each matching record into its
//! group, then HAVING, ORDER BY and the window over the groups, then
//! `AggregateResult` rows (`attributes` with a `type` and no `url`).
//!
//! Groups compare text without regard to case, as the rest of SOQL does, and
//! report the first value seen; without ORDER BY they come in the order their
//! first record was scanned. With no GROUP BY there is exactly one group, so
//! `SELECT COUNT(Id) FROM Lead` over no Leads answers one row with 0 (and
//! null for SUM, AVG, MIN and MAX).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

use super::ast::AggFunc;
use super::conds::is_text;
use super::errors;
use super::eval::{fold, value_cmp};
use super::plan::{Agg, AggPlan, Plan};
use super::run::{each_match, sorted_window};
use super::{DataSource, Record, SoqlError};

/// The most rows an aggregate query may answer: it has no query locator.
const MAX_ROWS: usize = 2000;

/// The `AggregateResult` rows of `plan`.
pub(crate) fn run(
    plan: &Plan<'_>,
    agg: &AggPlan,
    data: &dyn DataSource,
    all_rows: bool,
) -> Result<Vec<Value>, SoqlError> {
    let fresh = || agg.aggs.iter().map(Acc::new).collect::<Vec<_>>();
    let mut groups: Vec<(Vec<Value>, Vec<Acc>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    if agg.groups.is_empty() {
        groups.push((Vec::new(), fresh()));
    }
    each_match(plan.obj, plan.filter.as_ref(), data, all_rows, &mut |rec| {
        let gi = if agg.groups.is_empty() {
            0
        } else {
            let values: Vec<Option<&Value>> = agg.groups.iter().map(|g| g.get(rec, data)).collect();
            let key = group_key(agg, &values);
            *index.entry(key).or_insert_with(|| {
                let first = values.iter().map(|v| v.cloned().unwrap_or(Value::Null));
                groups.push((first.collect(), fresh()));
                groups.len() - 1
            })
        };
        if let Some((_, accs)) = groups.get_mut(gi) {
            for (acc, a) in accs.iter_mut().zip(&agg.aggs) {
                acc.add(a, a.field.get(rec, data));
            }
        }
    });
    let mut slots: Vec<Record> = groups
        .into_iter()
        .map(|(values, accs)| {
            let mut r = Record::new();
            for (i, v) in values.into_iter().enumerate() {
                r.insert(format!("g{i}"), v);
            }
            for (j, (acc, a)) in accs.into_iter().zip(&agg.aggs).enumerate() {
                r.insert(format!("a{j}"), acc.finish(a));
            }
            r
        })
        .collect();
    if let Some(having) = &agg.having {
        slots.retain(|r| having.matches(r, data));
    }
    let refs: Vec<&Record> = slots.iter().collect();
    let end = plan.offset.saturating_add(plan.limit.unwrap_or(u64::MAX));
    let window = sorted_window(&plan.order, &refs, data, plan.offset, end);
    if window.len() > MAX_ROWS {
        return Err(errors::plain(
            errors::MALFORMED,
            "Aggregate query does not support queryMore(), use LIMIT to restrict the results to \
             a single batch",
        ));
    }
    Ok(window
        .into_iter()
        .map(|r| {
            let mut out = Map::new();
            let mut attributes = Map::new();
            attributes.insert("type".into(), Value::String("AggregateResult".into()));
            out.insert("attributes".into(), Value::Object(attributes));
            for (key, slot) in &agg.outputs {
                out.insert(key.clone(), r.get(slot).cloned().unwrap_or(Value::Null));
            }
            Value::Object(out)
        })
        .collect())
}

/// Equal groups get equal keys: text without regard to case, the rest by value.
fn group_key(agg: &AggPlan, values: &[Option<&Value>]) -> String {
    let mut key = String::new();
    for (g, v) in agg.groups.iter().zip(values) {
        match v {
            None => key.push('\u{1}'),
            Some(Value::String(s)) if is_text(g.ftype) => key.extend(s.chars().map(fold)),
            Some(v) => key.push_str(&v.to_string()),
        }
        key.push('\u{0}');
    }
    key
}

/// One aggregate's running state.
enum Acc {
    Count(u64),
    Distinct(HashSet<String>),
    Sum(Sum),
    Avg(Sum),
    Min(Option<Value>),
    Max(Option<Value>),
}

impl Acc {
    fn new(a: &Agg) -> Acc {
        match a.func {
            AggFunc::Count => Acc::Count(0),
            AggFunc::CountDistinct => Acc::Distinct(HashSet::new()),
            AggFunc::Sum => Acc::Sum(Sum::default()),
            AggFunc::Avg => Acc::Avg(Sum::default()),
            AggFunc::Min => Acc::Min(None),
            AggFunc::Max => Acc::Max(None),
        }
    }

    /// Folds in one record's value; nulls are ignored (COUNT(f) counts the
    /// records where f is not null).
    fn add(&mut self, a: &Agg, v: Option<&Value>) {
        let Some(v) = v else { return };
        match self {
            Acc::Count(n) => *n += 1,
            Acc::Distinct(seen) => {
                let key = match v {
                    Value::String(s) if is_text(a.field.ftype) => s.chars().map(fold).collect(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                seen.insert(key);
            }
            Acc::Sum(s) | Acc::Avg(s) => s.add(v),
            Acc::Min(best) | Acc::Max(best) => {
                let want = if matches!(a.func, AggFunc::Min) {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                };
                if best
                    .as_ref()
                    .is_none_or(|b| value_cmp(a.field.ftype, v, b) == want)
                {
                    *best = Some(v.clone());
                }
            }
        }
    }

    fn finish(self, a: &Agg) -> Value {
        match self {
            Acc::Count(n) => Value::from(n),
            Acc::Distinct(seen) => Value::from(seen.len()),
            Acc::Sum(s) => s.total(a.field.ftype == crate::sandbox::schema::FieldType::Int),
            Acc::Avg(s) => match s.mean() {
                Some(m) => Number::from_f64(m).map_or(Value::Null, Value::Number),
                None => Value::Null,
            },
            Acc::Min(v) | Acc::Max(v) => v.unwrap_or(Value::Null),
        }
    }
}

/// A sum of JSON numbers, exact in decimal while every addend is a plain
/// decimal (`12.5`, `-7`) that fits, so `0.1 + 0.2` is `0.3` as in
/// Salesforce, not the binary `0.30000000000000004`.
#[derive(Default)]
struct Sum {
    count: u64,
    /// Mantissa and scale: the sum is `mantissa / 10^scale`.
    exact: Option<(i128, u32)>,
    inexact: bool,
    approx: f64,
}

impl Sum {
    fn add(&mut self, v: &Value) {
        let Value::Number(n) = v else { return };
        self.count += 1;
        self.approx += n.as_f64().unwrap_or(0.0);
        if self.inexact {
            return;
        }
        let next = decimal(&n.to_string()).and_then(|d| match self.exact {
            None => Some(d),
            Some(acc) => add_decimals(acc, d),
        });
        match next {
            Some(d) => self.exact = Some(d),
            None => self.inexact = true,
        }
    }

    fn value(&self) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        match (self.inexact, self.exact) {
            (false, Some((m, s))) => format_decimal(m, s).parse().ok(),
            _ => Some(self.approx),
        }
    }

    /// The sum as JSON: an integer for an integer field, else a decimal.
    fn total(&self, integer: bool) -> Value {
        match (integer, self.inexact, self.exact) {
            (true, false, Some((m, 0))) => i64::try_from(m).map_or(Value::Null, Value::from),
            _ => self
                .value()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number),
        }
    }

    fn mean(&self) -> Option<f64> {
        Some(self.value()? / self.count as f64)
    }
}

/// `-12.50` → (-1250, 2); anything else (exponents, overflow) → None.
fn decimal(text: &str) -> Option<(i128, u32)> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut m: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        m = m.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
    }
    let scale = u32::try_from(frac.len()).ok()?;
    Some((if neg { -m } else { m }, scale))
}

fn add_decimals((a, sa): (i128, u32), (b, sb): (i128, u32)) -> Option<(i128, u32)> {
    let scale = sa.max(sb);
    let a = a.checked_mul(10i128.checked_pow(scale - sa)?)?;
    let b = b.checked_mul(10i128.checked_pow(scale - sb)?)?;
    Some((a.checked_add(b)?, scale))
}

fn format_decimal(m: i128, scale: u32) -> String {
    let digits = m.unsigned_abs().to_string();
    let sign = if m < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_sums_are_exact() {
        let mut s = Sum::default();
        for v in [0.1, 0.2] {
            s.add(&Value::from(v));
        }
        assert_eq!(s.value(), Some(0.3));
        assert_eq!(decimal("-12.50"), Some((-1250, 2)));
        assert_eq!(decimal("1e20"), None);
        assert_eq!(format_decimal(-5, 3), "-0.005");
        assert_eq!(format_decimal(1250, 2), "12.50");
        let mut big = Sum::default();
        big.add(&Value::from(1e300));
        big.add(&Value::from(1.0));
        assert_eq!(big.value(), Some(1e300));
    }
}
