//! Which of a node's followers of the event stream (read models, search index, analytics,
//! process managers) have stopped, and why: a follower that cannot read an event stops rather
//! than skip it, and readiness reports it until an operator fixes the cause.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct Health(Arc<Mutex<BTreeMap<String, String>>>);

impl Health {
    /// Records that `component` stopped for `reason` (the latest reason wins).
    pub fn stopped(&self, component: &str, reason: impl std::fmt::Display) {
        tracing::error!(component, %reason, "stopped following the event store");
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(component.to_string(), reason.to_string());
    }

    /// The stopped components and why, by name.
    pub fn stopped_components(&self) -> BTreeMap<String, String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn ready(&self) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopped_component_makes_the_node_unready_with_its_reason() {
        let health = Health::default();
        assert!(health.ready());
        health.stopped("search index", "cannot read event 42");
        assert!(!health.ready());
        assert_eq!(
            health
                .stopped_components()
                .get("search index")
                .map(String::as_str),
            Some("cannot read event 42")
        );
    }
}
