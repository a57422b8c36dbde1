//! What the simulator's threads share: the options, the request log and faults behind one mutex,
//! each broker family's state behind its own, the stop flag and the request listener.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::angel::AngelState;
use crate::dhan::DhanState;
use crate::fault::FaultBook;
use crate::fyers::FyersState;
use crate::http::Request;
use crate::locked::lock;
use crate::log::{EntryId, LoggedRequest, RequestLog};
use crate::noren::NorenState;
use crate::options::SimOptions;
use crate::upstox::UpstoxState;
use crate::zerodha::ZerodhaState;

/// A callback told about every request once its status is known.
pub(crate) type RequestListener = Arc<dyn Fn(&LoggedRequest) + Send + Sync>;

/// Everything that changes while the simulator runs. Lock it briefly: never across I/O or sleep.
#[derive(Default)]
pub(crate) struct State {
    /// Every request read, with its answer's status.
    pub(crate) log: RequestLog,
    /// Faults waiting to be applied.
    pub(crate) faults: FaultBook,
}

/// Shared by the [`Sim`](crate::Sim) handle, the acceptor and every connection thread.
pub(crate) struct Shared {
    /// The options the simulator was started with.
    pub(crate) options: SimOptions,
    /// The request log and the faults.
    state: Mutex<State>,
    /// Angel One accounts, sessions and rate-limit history.
    pub(crate) angel: Mutex<AngelState>,
    /// Noren accounts, codes and sessions.
    pub(crate) noren: Mutex<NorenState>,
    /// Zerodha accounts, request tokens and sessions.
    pub(crate) zerodha: Mutex<ZerodhaState>,
    /// Fyers accounts, codes, tokens and rate-limit history.
    pub(crate) fyers: Mutex<FyersState>,
    /// Dhan accounts, consents, tokenIds and tokens.
    pub(crate) dhan: Mutex<DhanState>,
    /// Set when the simulator stops; every thread checks it at least every poll interval.
    stopping: AtomicBool,
    /// Told about each answered request (the CLI's `--verbose`).
    listener: Mutex<Option<RequestListener>>,
    /// Upstox accounts, codes, tokens and rate-limit history.
    pub(crate) upstox: Mutex<UpstoxState>,
}

impl Shared {
    /// Shared state for a new simulator.
    pub(crate) fn new(options: SimOptions) -> Shared {
        Shared {
            options,
            state: Mutex::new(State::default()),
            angel: Mutex::default(),
            noren: Mutex::default(),
            zerodha: Mutex::default(),
            fyers: Mutex::default(),
            dhan: Mutex::default(),
            stopping: AtomicBool::new(false),
            listener: Mutex::new(None),
            upstox: Mutex::default(),
        }
    }

    /// Locks the request log and the faults (see [`lock`]).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The stop flag, for loops that poll it.
    pub(crate) fn stopping_flag(&self) -> &AtomicBool {
        &self.stopping
    }

    /// Whether the simulator is stopping.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Tells every thread to finish.
    pub(crate) fn begin_stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Replaces the request listener.
    pub(crate) fn set_listener(&self, listener: Option<RequestListener>) {
        *lock(&self.listener) = listener;
    }

    /// Logs a fully read request (status 0 until [`Shared::record_status`]).
    pub(crate) fn log_request(&self, request: &Request) -> EntryId {
        let entry = LoggedRequest {
            method: request.method.clone(),
            path: request.path.clone(),
            query: request.query.clone(),
            headers: request.headers.clone(),
            body: String::from_utf8_lossy(&request.body).into_owned(),
            status: 0,
            at: SystemTime::now(),
        };
        self.lock().log.push(entry)
    }

    /// Records the status answered to a logged request and tells the listener. Call it before
    /// writing the response, so that a client that has its answer also finds it in the log.
    pub(crate) fn record_status(&self, id: EntryId, status: u16) {
        let entry = self.lock().log.set_status(id, status);
        let listener = lock(&self.listener).clone();
        if let (Some(entry), Some(listener)) = (entry, listener) {
            listener(&entry);
        }
    }
}
