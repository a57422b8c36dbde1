//! Locking the simulator's mutexes: a thread that panicked while holding one leaves consistent
//! data (every update is a single step), so a poisoned lock is used as is.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `mutex`, poisoned or not. Lock briefly: never across I/O or sleep.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
