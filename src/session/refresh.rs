//! Single-flight refresh: when many threads find the token expired at once,
//! exactly one refresh goes to the broker and the others wait for its
//! result. No lock is held while the refresh is on the network.

use super::Session;
use crate::brokers::Tokens;
use crate::error::{Error, Result, Status};
use crate::http::Call;
use crate::log::Level;
use crate::operation::Operation;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

/// Whether a refresh is on the network, and the last one that failed for good.
#[derive(Default)]
pub(super) struct RefreshGate {
    state: Mutex<GateState>,
    done: Condvar,
}

#[derive(Default)]
struct GateState {
    in_flight: bool,
    /// The tokens a refresh failed for, and why: calls that still hold those
    /// tokens get the same answer instead of asking the broker again.
    failed: Option<(Weak<Tokens>, Error)>,
}

impl RefreshGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Clears `in_flight` and wakes the waiters even if the refresh panics.
struct InFlight<'a>(&'a RefreshGate);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.lock().in_flight = false;
        self.0.done.notify_all();
    }
}

impl Session {
    /// Tokens newer than `seen`: those another thread already got, those of
    /// a refresh in flight (waiting for it), or a refresh of our own.
    /// `force` skips the remembered failure (an explicit `broker_refresh`).
    pub(super) fn refreshed_after(
        &self,
        seen: &Arc<Tokens>,
        call: &Call<'_>,
        force: bool,
    ) -> Result<Arc<Tokens>> {
        let mut gate = self.refresh.lock();
        loop {
            let current = self.current()?;
            if !Arc::ptr_eq(&current, seen) {
                return Ok(current);
            }
            if let Some((tokens, error)) = &gate.failed
                && !force
                && Weak::ptr_eq(tokens, &Arc::downgrade(seen))
            {
                return Err(error.clone());
            }
            if !gate.in_flight {
                break;
            }
            let remaining = call.deadline().saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(self.http.timed_out());
            }
            gate = self
                .refresh
                .done
                .wait_timeout(gate, remaining)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        gate.in_flight = true;
        drop(gate);
        let _in_flight = InFlight(&self.refresh);

        let outcome = self
            .pacer
            .acquire(Operation::Refresh, call.deadline())
            .and_then(|_waited| {
                // A login or import during the wait for pacing replaced the
                // tokens: those are newer, and no refresh is needed.
                let current = self.current()?;
                if !Arc::ptr_eq(&current, seen) {
                    return Ok(Err(current));
                }
                // With a session file: under its lock, so that processes
                // sharing it refresh one at a time, and a process that finds
                // tokens another one refreshed meanwhile takes those.
                // A lock file that cannot be made (a read-only folder) does
                // not stop the refresh: its save fails too, and is logged.
                let file_lock = match self.lock_file(call.deadline()) {
                    Ok(lock) => lock,
                    Err(e) if e.status == Status::Timeout => return Err(e),
                    Err(e) => {
                        self.log
                            .log(Level::Warn, format_args!("refresh: {}", e.message));
                        None
                    }
                };
                if let Some(newer) = self.newer_in_file(seen) {
                    return Ok(Err(newer));
                }
                let fresh =
                    self.attempt(Operation::Refresh, call, || self.broker.refresh(call, seen))?;
                let fresh = Arc::new(self.with_day_end(fresh));
                if let Err(e) = self.save_to_file(&fresh, file_lock.as_ref()) {
                    // The broker has issued these tokens (and may have ended
                    // the old ones): keep them here; other processes refresh
                    // for themselves until a save works again.
                    self.log
                        .log(Level::Warn, format_args!("refresh: {}", e.message));
                }
                Ok(Ok(fresh))
            });
        let mut gate = self.refresh.lock();
        let result = match outcome {
            Ok(Err(newer)) => Ok(newer),
            Ok(Ok(fresh)) => {
                self.replace_if_current(seen, Some(Arc::clone(&fresh)));
                gate.failed = None;
                Ok(fresh)
            }
            Err(error) => {
                let error = needs_login(error);
                if !error.retryable {
                    gate.failed = Some((Arc::downgrade(seen), error.clone()));
                }
                Err(error)
            }
        };
        // Release the gate before `_in_flight` takes it again to wake the waiters.
        drop(gate);
        result
    }
}

/// A refresh the broker refused for good means a new login: say so. A
/// transient failure (network, timeout, rate limit) is passed on as it is.
fn needs_login(error: Error) -> Error {
    match error.status {
        Status::Auth | Status::Broker if !error.retryable => {
            let message = format!(
                "the session could not be refreshed ({}): log in again",
                error.message
            );
            Error {
                status: Status::SessionExpired,
                message,
                ..error
            }
        }
        _ => error,
    }
}
