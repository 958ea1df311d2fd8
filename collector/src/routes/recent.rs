//! Ingest is idempotent by event `uuid` per tenant: a retried or beacon-flushed event that
//! was already accepted is acknowledged again but queued once. [`RecentUuids`] remembers
//! the last [`RECENT_WINDOW`] accepted uuids, and which ones a request is queueing right
//! now, so two copies racing in two requests are not both queued.

use crate::stored_event::{tenant_key, ReplayKey};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use uuid::Uuid;

/// How many accepted uuids are remembered (a few MB).
pub const RECENT_WINDOW: usize = 100_000;

/// What [`RecentUuids::claim`] found for one uuid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Not seen: now claimed by the caller, who must [`RecentUuids::settle`] it.
    New,
    /// Accepted before: a duplicate, to acknowledge and not queue.
    Done,
    /// Another request is queueing it right now.
    InFlight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    InFlight,
    Done,
}

/// The uuids accepted lately, per tenant (see the module docs).
#[derive(Debug, Default)]
pub struct RecentUuids {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    states: HashMap<ReplayKey, State>,
    /// Accepted uuids, oldest first, for eviction.
    order: VecDeque<ReplayKey>,
}

impl RecentUuids {
    /// Looks up every uuid of a request of `tenant`, claiming the new ones. A uuid that
    /// appears twice in one request is `New` once and `Done` after.
    pub fn claim(&self, tenant: &str, uuids: &[Uuid]) -> Vec<Claim> {
        let tenant = tenant_key(tenant);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut mine = std::collections::HashSet::new();
        uuids
            .iter()
            .map(|uuid| {
                let key = (tenant, uuid.as_u128());
                if mine.contains(uuid) {
                    return Claim::Done;
                }
                match inner.states.get(&key) {
                    Some(State::Done) => Claim::Done,
                    Some(State::InFlight) => Claim::InFlight,
                    None => {
                        inner.states.insert(key, State::InFlight);
                        mine.insert(*uuid);
                        Claim::New
                    }
                }
            })
            .collect()
    }

    /// Ends the claims of `uuids`: remembered as accepted when `accepted`, forgotten (so a
    /// retry is queued) when the request failed.
    pub fn settle(&self, tenant: &str, uuids: &[Uuid], accepted: bool) {
        let tenant = tenant_key(tenant);
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        for uuid in uuids {
            let key = (tenant, uuid.as_u128());
            if accepted {
                if inner.states.insert(key, State::Done) != Some(State::Done) {
                    inner.order.push_back(key);
                }
            } else {
                inner.states.remove(&key);
            }
        }
        while inner.order.len() > RECENT_WINDOW {
            if let Some(old) = inner.order.pop_front() {
                inner.states.remove(&old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uuid_is_new_once_per_tenant_and_a_failed_request_frees_it() {
        let recent = RecentUuids::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            recent.claim("t", &[a, b, a]),
            [Claim::New, Claim::New, Claim::Done]
        );
        // Racing copies wait for the first request's outcome.
        assert_eq!(recent.claim("t", &[a]), [Claim::InFlight]);
        assert_eq!(recent.claim("other", &[a]), [Claim::New]);
        recent.settle("t", &[a], true);
        recent.settle("t", &[b], false);
        assert_eq!(recent.claim("t", &[a, b]), [Claim::Done, Claim::New]);
    }
}
