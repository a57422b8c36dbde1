//! Injected faults: what they are ([`Fault`], [`FaultTimes`]) and which request gets which
//! ([`FaultBook`]). Carrying a fault out on the socket is the server's job.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// Something to do to a request instead of (or before) answering it normally.
///
/// A fault applies after the request was fully read and logged, before any check of the broker.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Any canned reply: this status, `Content-Type` and body.
    Reply {
        /// The HTTP status code to send.
        status: u16,
        /// The `Content-Type` header value (an empty string sends none).
        content_type: String,
        /// The body to send.
        body: String,
    },
    /// HTTP 403, `text/plain`, body exactly `Access denied because of exceeding access rate`.
    RateLimitText,
    /// HTTP 200, `text/html`, a web application firewall's "Request Rejected" page.
    HtmlFirewall,
    /// HTTP 200 with `Content-Length: 0`.
    EmptyBody,
    /// Waits this long, then handles the request normally.
    Delay(Duration),
    /// Handles the request normally, then sends only the first half of the reply's body (with a
    /// `Content-Length` that matches the cut body) as `application/json`.
    TruncatedJson,
    /// HTTP 200 headers declaring a huge `Content-Length`, then one byte every 100 ms until the
    /// client goes away or the simulator stops.
    EndlessBody,
    /// Closes the connection with a TCP reset (`SO_LINGER` 0) without replying.
    Reset,
    /// Never answers; the connection stays open until the client goes away or the simulator stops.
    Hang,
}

/// How many requests an injected [`Fault`] applies to.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FaultTimes {
    /// The next `n` matching requests (`Next(0)` injects nothing).
    Next(u32),
    /// Each matching request with this probability (0.0 to 1.0), until
    /// [`Sim::clear_faults`](crate::Sim::clear_faults).
    Fraction(f64),
}

/// The path that matches every request in [`Sim::inject`](crate::Sim::inject).
pub(crate) const ANY_PATH: &str = "*";

/// The body of [`Fault::RateLimitText`] (and of the brokers' real rate-limit replies).
pub(crate) const RATE_LIMIT_TEXT: &str = "Access denied because of exceeding access rate";

/// The body of [`Fault::HtmlFirewall`]: the page a web application firewall sends.
pub(crate) const FIREWALL_PAGE: &str = "<html><head><title>Request Rejected</title></head>\
<body>The requested URL was rejected. Please consult with your administrator.<br><br>\
Your support ID is: 7366289467421306881<br><br>\
<a href='javascript:history.back();'>[Go Back]</a></body></html>";

/// One queued injection.
#[derive(Debug)]
struct Injection {
    fault: Fault,
    times: FaultTimes,
}

/// The queued injections: a FIFO per path plus one for any path.
#[derive(Debug, Default)]
pub(crate) struct FaultBook {
    by_path: HashMap<String, VecDeque<Injection>>,
    any_path: VecDeque<Injection>,
}

impl FaultBook {
    /// Queues `fault` for requests to `path` ([`ANY_PATH`] for every request).
    pub(crate) fn inject(&mut self, path: &str, fault: Fault, times: FaultTimes) {
        if times == FaultTimes::Next(0) {
            return;
        }
        let queue = if path == ANY_PATH {
            &mut self.any_path
        } else {
            self.by_path.entry(path.to_owned()).or_default()
        };
        queue.push_back(Injection { fault, times });
    }

    /// Removes every queued injection.
    pub(crate) fn clear(&mut self) {
        self.by_path.clear();
        self.any_path.clear();
    }

    /// Decides the fault for one request to `path`, consuming one use of it. The path's own queue
    /// is asked first, then the any-path queue; in each only the oldest injection decides (a
    /// [`FaultTimes::Fraction`] that does not fire lets the request through).
    pub(crate) fn take(&mut self, path: &str) -> Option<Fault> {
        let from_path = match self.by_path.get_mut(path) {
            Some(queue) => {
                let fault = take_from(queue);
                if queue.is_empty() {
                    self.by_path.remove(path);
                }
                fault
            }
            None => None,
        };
        from_path.or_else(|| take_from(&mut self.any_path))
    }
}

/// Applies the oldest injection of `queue` to one request.
fn take_from(queue: &mut VecDeque<Injection>) -> Option<Fault> {
    let head = queue.front_mut()?;
    match head.times {
        FaultTimes::Next(remaining) => {
            let fault = head.fault.clone();
            if remaining <= 1 {
                queue.pop_front();
            } else {
                head.times = FaultTimes::Next(remaining - 1);
            }
            Some(fault)
        }
        FaultTimes::Fraction(probability) => {
            crate::random::chance(probability).then(|| head.fault.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_is_used_up_in_fifo_order() {
        let mut book = FaultBook::default();
        book.inject("/a", Fault::Reset, FaultTimes::Next(2));
        book.inject("/a", Fault::Hang, FaultTimes::Next(1));
        assert_eq!(book.take("/a"), Some(Fault::Reset));
        assert_eq!(book.take("/a"), Some(Fault::Reset));
        assert_eq!(book.take("/a"), Some(Fault::Hang));
        assert_eq!(book.take("/a"), None);
    }

    #[test]
    fn path_specific_faults_come_before_any_path() {
        let mut book = FaultBook::default();
        book.inject(ANY_PATH, Fault::EmptyBody, FaultTimes::Next(2));
        book.inject("/a", Fault::Reset, FaultTimes::Next(1));
        assert_eq!(book.take("/b"), Some(Fault::EmptyBody));
        assert_eq!(book.take("/a"), Some(Fault::Reset));
        assert_eq!(book.take("/a"), Some(Fault::EmptyBody));
        assert_eq!(book.take("/a"), None);
    }

    #[test]
    fn fractions_stay_until_cleared() {
        let mut book = FaultBook::default();
        book.inject("/a", Fault::Hang, FaultTimes::Fraction(1.0));
        book.inject(ANY_PATH, Fault::Reset, FaultTimes::Fraction(0.0));
        for _ in 0..10 {
            assert_eq!(book.take("/a"), Some(Fault::Hang));
            assert_eq!(book.take("/b"), None);
        }
        book.clear();
        assert_eq!(book.take("/a"), None);
    }

    #[test]
    fn next_zero_injects_nothing() {
        let mut book = FaultBook::default();
        book.inject("/a", Fault::Hang, FaultTimes::Next(0));
        assert_eq!(book.take("/a"), None);
    }
}
