//! The scenarios a server holds for the what-if API: created on request,
//! named by 128 random bits, dropped after [`ScenarioLimits::idle`] unused or
//! refused beyond [`ScenarioLimits::max_scenarios`].

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use axum::http::StatusCode;

use super::error::WhatIfError;
use super::limits::ScenarioLimits;
use childcircle::scenario::{Base, Scenario};

/// One scenario and when it was last used.
struct Entry {
    scenario: Arc<Mutex<Scenario>>,
    used: Instant,
}

/// The scenarios of a server.
#[derive(Default)]
pub struct Store {
    entries: Mutex<HashMap<String, Entry>>,
    counter: AtomicU64,
    keys: std::collections::hash_map::RandomState,
    /// The JSON of `GET /api/base`, built once on first request.
    pub(crate) base_json: OnceLock<Vec<u8>>,
    pub limits: ScenarioLimits,
}

impl Store {
    /// An empty store with these limits.
    pub fn new(limits: ScenarioLimits) -> Store {
        Store {
            limits,
            ..Store::default()
        }
    }

    /// A fresh scenario id: 128 bits from a randomly keyed hash of a counter
    /// and the time.
    fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let a = self.keys.hash_one((n, t, 1u8));
        let b = self.keys.hash_one((t, n, 2u8));
        format!("{a:016x}{b:016x}")
    }

    /// Drops expired scenarios; makes a new one unless the limit is reached.
    pub(crate) fn create(&self, base: &Arc<Base>) -> Result<String, WhatIfError> {
        let mut entries = self.entries.lock().expect("not poisoned");
        let idle = self.limits.idle;
        entries.retain(|_, e| e.used.elapsed() < idle);
        if entries.len() >= self.limits.max_scenarios {
            return Err(WhatIfError(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "the server already holds {} scenarios (the limit); one expires after {} minutes unused",
                    entries.len(),
                    idle.as_secs() / 60
                ),
            ));
        }
        let id = self.new_id();
        entries.insert(
            id.clone(),
            Entry {
                scenario: Arc::new(Mutex::new(Scenario::new(base.clone()))),
                used: Instant::now(),
            },
        );
        Ok(id)
    }

    /// The scenario `id`, marked used now; 404 if never made or expired.
    pub(crate) fn get(&self, id: &str) -> Result<Arc<Mutex<Scenario>>, WhatIfError> {
        let mut entries = self.entries.lock().expect("not poisoned");
        let idle = self.limits.idle;
        entries.retain(|_, e| e.used.elapsed() < idle);
        let e = entries.get_mut(id).ok_or_else(|| {
            WhatIfError(
                StatusCode::NOT_FOUND,
                format!(
                    "no scenario {id:?} (never created, or expired after {} minutes unused)",
                    idle.as_secs() / 60
                ),
            )
        })?;
        e.used = Instant::now();
        Ok(e.scenario.clone())
    }

    /// Number of scenarios held.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("not poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
