//! What every suite shares: selection, strictness, the parallel loop,
//! outcomes, totals and the per-rule coverage table.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// How strictly answers are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Everything the vector expects must match (full conformance).
    #[default]
    Full,
    /// SCL:V1 only: offsets are not compared (partial conformance, for
    /// engines that do not report offsets).
    CodesOnly,
}

/// The result of one vector.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// Vector id.
    pub id: String,
    /// Rules the vector cites.
    pub rules: Vec<String>,
    /// `None` when it passed; the difference otherwise.
    pub failure: Option<String>,
}

/// Per-rule pass/fail counts, in natural order (`§6.2` before `§6.10`).
pub fn coverage(outcomes: &[Outcome]) -> Vec<(String, (usize, usize))> {
    let mut table: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in outcomes {
        let rules: Vec<&str> = if o.rules.is_empty() {
            vec!["(no rule)"]
        } else {
            o.rules.iter().map(String::as_str).collect()
        };
        for r in rules {
            let entry = table.entry(r.to_string()).or_default();
            if o.failure.is_none() {
                entry.0 += 1;
            } else {
                entry.1 += 1;
            }
        }
    }
    let mut rows: Vec<_> = table.into_iter().collect();
    rows.sort_by_key(|(rule, _)| natural_key(rule));
    rows
}

/// Sort key: section rules (`§6.2`) first, the numbers inside them ordered
/// numerically; any other rule (passport rules are sentences) after them,
/// alphabetically.
fn natural_key(rule: &str) -> (bool, Vec<(u64, String)>) {
    if !rule.starts_with('§') {
        return (true, vec![(u64::MAX, rule.to_string())]);
    }
    let parts = rule
        .split('.')
        .map(|part| {
            let digits: String = part.chars().filter(char::is_ascii_digit).collect();
            (digits.parse().unwrap_or(u64::MAX), part.to_string())
        })
        .collect();
    (false, parts)
}

/// Totals of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    /// Vectors that passed.
    pub passed: usize,
    /// Vectors that failed.
    pub failed: usize,
}

impl Totals {
    /// Counts outcomes.
    pub fn of(outcomes: &[Outcome]) -> Totals {
        let failed = outcomes.iter().filter(|o| o.failure.is_some()).count();
        Totals {
            passed: outcomes.len() - failed,
            failed,
        }
    }
}

impl fmt::Display for Totals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)
    }
}

/// Which vectors to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep vectors whose id contains this text.
    pub id_contains: Option<String>,
    /// Keep vectors citing this rule (exact, e.g. `§3`) or carrying this flag.
    pub rule_or_flag: Option<String>,
}

impl Selection {
    /// True when a vector with this id and these rules and flags is
    /// selected.
    pub fn matches<'a>(
        &self,
        id: &str,
        rules_and_flags: impl IntoIterator<Item = &'a String>,
    ) -> bool {
        self.id_contains
            .as_deref()
            .is_none_or(|needle| id.contains(needle))
            && self
                .rule_or_flag
                .as_deref()
                .is_none_or(|r| rules_and_flags.into_iter().any(|x| x == r))
    }
}

/// Computes `check` for every case on `jobs` threads; results come back in
/// the order of `cases`.
pub(crate) fn run_cases<C: Sync>(
    cases: &[C],
    jobs: usize,
    check: impl Fn(&C) -> Outcome + Sync,
) -> Vec<Outcome> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Outcome>> = vec![None; cases.len()];
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(cases.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let outcome = check(case);
                if let Ok(mut slots) = slots.lock() {
                    slots[i] = Some(outcome);
                }
            });
        }
    });
    results.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_order() {
        let outcome = |rule: &str, ok: bool| Outcome {
            id: rule.into(),
            rules: vec![rule.into()],
            failure: (!ok).then(|| "x".into()),
        };
        let rows = coverage(&[
            outcome("x5c never used", true),
            outcome("§6.10", true),
            outcome("alg must be EdDSA", false),
            outcome("§6.2", true),
            outcome("§6.2", false),
        ]);
        let names: Vec<&str> = rows.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            names,
            ["§6.2", "§6.10", "alg must be EdDSA", "x5c never used"]
        );
        assert_eq!(rows[0].1, (1, 1));
    }
}
