//! The tool's failures are the library's [`Error`]: the same status
//! numbers (the exit code), message and reason.

pub(crate) use brokerlink::Error as Failure;
use brokerlink::Status;

/// A usage or profile problem: `INVALID_ARGUMENT`.
pub(crate) fn invalid(message: impl Into<String>) -> Failure {
    Failure::invalid_argument(message)
}

/// A failure of the given class.
pub(crate) fn failure(status: Status, message: impl Into<String>) -> Failure {
    Failure::new(status, message)
}
