//! A budget for auditing refused requests. Every refusal is worth a row in the audit log, but
//! a client retrying a bad token in a loop (or an attacker) must not be able to fill the table:
//! each caller gets a few audited refusals per reason and minute, the rest are only counted
//! (in `golden_auth_refusals_total`), and the next audited refusal of that caller and reason
//! says how many went unrecorded before it.

use std::collections::HashMap;
use std::sync::Mutex;

/// Refusals audited per caller, reason and minute.
pub const AUDITED_PER_MINUTE: u32 = 10;
/// Refusals audited per minute, all callers together: made-up `sub` claims each get a budget
/// of their own, and this bounds what they add up to.
pub const AUDITED_TOTAL_PER_MINUTE: u32 = 600;
/// Callers tracked within one minute; past it, new callers share one budget, so that a flood
/// of made-up `sub` claims cannot grow this memory either.
const MAX_CALLERS: usize = 10_000;
/// The caller that callers past [`MAX_CALLERS`] share.
const SHARED_CALLER: &str = "*";

/// What to do with one refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write it to the audit log; `unrecorded` earlier refusals of the same caller and reason
    /// went over the budget of a previous minute.
    Audit { unrecorded: u32 },
    /// Over budget: count it only.
    CountOnly,
}

type Key = (String, &'static str);

#[derive(Default)]
struct Window {
    minute: i64,
    /// Refusals audited this minute.
    audited: u32,
    counts: HashMap<Key, u32>,
    /// Refusals that went over the budget in earlier minutes, not yet reported.
    unrecorded: HashMap<Key, u32>,
}

/// The per-minute budget of one process.
#[derive(Default)]
pub struct RefusalBudget {
    window: Mutex<Window>,
}

impl RefusalBudget {
    /// Takes one refusal of `caller` for `reason` in `minute` (minutes since the epoch).
    pub fn admit(&self, caller: &str, reason: &'static str, minute: i64) -> Verdict {
        let mut window = self.window.lock().unwrap_or_else(|p| p.into_inner());
        if window.minute != minute {
            let over: Vec<(Key, u32)> = window
                .counts
                .drain()
                .filter(|(_, n)| *n > AUDITED_PER_MINUTE)
                .map(|(key, n)| (key, n - AUDITED_PER_MINUTE))
                .collect();
            for (key, n) in over {
                *window.unrecorded.entry(key).or_default() += n;
            }
            if window.unrecorded.len() > MAX_CALLERS {
                window.unrecorded.clear();
            }
            window.minute = minute;
            window.audited = 0;
        }
        let mut key = (caller.to_owned(), reason);
        if window.counts.len() >= MAX_CALLERS && !window.counts.contains_key(&key) {
            key.0 = SHARED_CALLER.to_owned();
        }
        let count = window.counts.entry(key.clone()).or_default();
        *count += 1;
        if *count > AUDITED_PER_MINUTE || window.audited >= AUDITED_TOTAL_PER_MINUTE {
            return Verdict::CountOnly;
        }
        window.audited += 1;
        Verdict::Audit {
            unrecorded: window.unrecorded.remove(&key).unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_caller_and_reason_gets_its_budget_and_hears_of_the_rest() {
        let budget = RefusalBudget::default();
        for _ in 0..AUDITED_PER_MINUTE {
            assert_eq!(
                budget.admit("mallory", "expired", 1),
                Verdict::Audit { unrecorded: 0 }
            );
        }
        assert_eq!(budget.admit("mallory", "expired", 1), Verdict::CountOnly);
        assert_eq!(budget.admit("mallory", "expired", 1), Verdict::CountOnly);
        // Another reason and another caller have budgets of their own.
        assert_eq!(
            budget.admit("mallory", "bad_signature", 1),
            Verdict::Audit { unrecorded: 0 }
        );
        assert_eq!(
            budget.admit("alice", "expired", 1),
            Verdict::Audit { unrecorded: 0 }
        );
        // The next minute starts afresh, and its first entry reports what went unrecorded.
        assert_eq!(
            budget.admit("mallory", "expired", 2),
            Verdict::Audit { unrecorded: 2 }
        );
        assert_eq!(
            budget.admit("mallory", "expired", 2),
            Verdict::Audit { unrecorded: 0 }
        );
    }

    #[test]
    fn all_callers_together_have_a_budget_too() {
        let budget = RefusalBudget::default();
        let audited = (0..AUDITED_TOTAL_PER_MINUTE + 50)
            .filter(|n| {
                budget.admit(&format!("made-up-{n}"), "bad_signature", 1) != Verdict::CountOnly
            })
            .count();
        assert_eq!(audited, AUDITED_TOTAL_PER_MINUTE as usize);
        assert_eq!(
            budget.admit("alice", "expired", 2),
            Verdict::Audit { unrecorded: 0 }
        );
    }

    #[test]
    fn callers_past_the_limit_share_one_entry() {
        let budget = RefusalBudget::default();
        for n in 0..MAX_CALLERS + 100 {
            budget.admit(&format!("c{n}"), "expired", 1);
        }
        let window = budget.window.lock().unwrap();
        assert_eq!(window.counts.len(), MAX_CALLERS + 1);
        assert_eq!(window.counts[&(SHARED_CALLER.to_owned(), "expired")], 100);
    }
}
