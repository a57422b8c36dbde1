//! The process's one tokio runtime, driven by whichever threads are calling.
//!
//! A current-thread runtime owns no thread: [`block_on`] runs the request on
//! the caller's thread, which also drives the I/O driver and the connection
//! tasks hyper spawns. When several threads call at once, tokio lets the
//! first drive the shared driver and the others hook into it, handing the
//! driver on when that call ends, so one session serves many threads and
//! no call waits on another's completion. The runtime lives as long as the
//! process; as it has no thread, unloading the library joins nothing.
//!
//! One exception: a host name is looked up (once per new connection) on
//! tokio's blocking pool, as reqwest does, so that a resolver that hangs
//! cannot hold the caller past its timeout. Those threads exit after ten
//! idle seconds and are never joined.

use crate::error::{Error, Result, Status};
use std::future::Future;
use std::sync::OnceLock;
use tokio::runtime::Runtime;

/// The runtime, once a first call has made it.
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Runs `work` to completion on the calling thread.
pub(super) fn block_on<T>(work: impl Future<Output = T>) -> Result<T> {
    Ok(runtime()?.block_on(work))
}

/// Gives the runtime's ready tasks a turn, so that connections whose client
/// was just dropped shut down now rather than at the process's next call.
/// Does nothing inside a runtime (a Rust host's async code), where blocking
/// is not allowed, or before the runtime exists.
pub(super) fn settle() {
    if tokio::runtime::Handle::try_current().is_ok() {
        return;
    }
    if let Some(runtime) = RUNTIME.get() {
        runtime.block_on(async {
            // A closing connection may need a second turn (flush, then close).
            for _ in 0..2 {
                tokio::task::yield_now().await;
            }
        });
    }
}

/// The shared runtime, made on first use.
fn runtime() -> Result<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::new(
                Status::Internal,
                format!("could not start the I/O runtime: {e}"),
            )
        })?;
    // Two first calls at once may both build one; the loser's is dropped
    // here, outside any runtime, which is allowed.
    Ok(RUNTIME.get_or_init(|| runtime))
}
