//! The session registry. A C handle is an id, never a pointer: ids are never
//! reused, so a freed, forged or double-freed handle is found missing and
//! reported, instead of being dereferenced.

use crate::error::{Error, Result, Status};
use crate::session::Session;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

type Registry = RwLock<HashMap<usize, Arc<Session>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Default::default)
}

/// Registers a session and returns its id (never 0, never reused).
pub(super) fn insert(session: Session) -> usize {
    static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    registry()
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, Arc::new(session));
    id
}

/// The session behind an id. The registry lock is released before the
/// caller uses it, so a slow call never blocks other sessions or `free`.
pub(super) fn get(id: usize) -> Result<Arc<Session>> {
    if id == 0 {
        return Err(Error::new(
            Status::InvalidHandle,
            "the session handle is NULL",
        ));
    }
    registry()
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                Status::InvalidHandle,
                "the session handle is not valid: it was freed, or never came from broker_new",
            )
        })
}

/// Unregisters a session. Calls in flight keep their `Arc` and finish; the
/// session (and its HTTP client) is dropped when the last one returns.
/// Returns whether the id was registered.
pub(super) fn remove(id: usize) -> bool {
    let removed = registry()
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id);
    // Dropped here, outside the registry lock: dropping the HTTP client joins a thread.
    removed.is_some()
}
