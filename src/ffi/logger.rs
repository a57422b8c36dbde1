//! `broker_set_logger`: a host's callback for the library's log lines.

use super::boundary::infallible;
use crate::log::{self, Level};
use std::ffi::{CString, c_char, c_void};
use std::sync::Arc;

/// Log level of an error line (a caught panic), for a log callback.
pub const BROKER_LOG_ERROR: i32 = 1;
/// Log level of a failed request.
pub const BROKER_LOG_WARN: i32 = 2;
/// Log level of a request (one line each).
pub const BROKER_LOG_INFO: i32 = 3;
/// Log level of retries, refreshes and waits.
pub const BROKER_LOG_DEBUG: i32 = 4;

/// A log callback: the line's level (BROKER_LOG_ERROR .. BROKER_LOG_DEBUG),
/// one line of UTF-8 text without a newline (valid only during the call; copy
/// it to keep it), and the user pointer given to broker_set_logger. It runs
/// on the thread that made the brokerlink call, so it must be thread-safe when
/// sessions are used from several threads; it must return normally (no
/// longjmp, no C++ exception) and must not call broker_set_logger.
pub type BrokerLogCallback =
    Option<unsafe extern "C" fn(level: i32, line: *const c_char, user: *mut c_void)>;

/// Installs a process-wide log callback, replacing any previous one; NULL
/// removes it. Every session then sends its log lines (as its config's
/// `log_level` allows: by default one line per request) to the callback, as
/// well as to its `log_file`. A line holds the time, level, operation,
/// endpoint, HTTP status, outcome, duration and the broker's code, never a
/// secret or a body. Thread-safe; a call already logging may still reach the
/// previous callback.
#[unsafe(no_mangle)]
pub extern "C" fn broker_set_logger(callback: BrokerLogCallback, user: *mut c_void) {
    // SAFETY: the host promised a callback that takes these arguments.
    set_logger(callback, user, |cb, level, line, user| unsafe {
        cb(level, line, user)
    })
}

/// Installs `callback`, of either calling convention, as the process-wide
/// logger (NULL removes it), behind the panic boundary. `invoke` calls it
/// with a line's level, text and the host's `user` pointer.
pub(crate) fn set_logger<F: Copy + Send + Sync + 'static>(
    callback: Option<F>,
    user: *mut c_void,
    invoke: fn(F, i32, *const c_char, *mut c_void),
) {
    // A raw pointer is not Send; the host owns what it points to.
    let user = user as usize;
    infallible((), || {
        install_logger(callback.map(|cb| -> LineSink {
            Arc::new(move |level, line| invoke(cb, level, line, user as *mut c_void))
        }))
    })
}

/// Where log lines go, as a C string and a level number.
pub(crate) type LineSink = Arc<dyn Fn(i32, *const c_char) + Send + Sync>;

/// Installs a sink for log lines, turning each into a C string.
fn install_logger(sink: Option<LineSink>) {
    log::set_callback(sink.map(|sink| -> log::Callback {
        Box::new(move |level: Level, line: &str| {
            if let Ok(line) = CString::new(line) {
                sink(level as i32, line.as_ptr());
            }
        })
    }));
}
