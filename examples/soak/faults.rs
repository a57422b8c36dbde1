//! The faults the soak injects into reads, and the statuses each may end a
//! call with once the library's retries give up.

use crate::roster::Family;
use crate::util::random;
use brokersim::Fault;
use serde_json::{Value, json};
use std::time::Duration;

/// One of the injector's faults.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultKind {
    /// The reply comes this many milliseconds late.
    Latency(u64),
    /// A TCP reset instead of a reply.
    Reset,
    /// A firewall's HTML "Request Rejected" page with HTTP 200.
    HtmlPage,
    /// Half the reply's body.
    Truncated,
    /// HTTP 200 with no body.
    Empty,
    /// HTTP 403 `Access denied because of exceeding access rate`.
    RateLimit,
    /// A gateway's HTML 502 page.
    BadGateway,
}

/// The 502 page a gateway sends.
const BAD_GATEWAY: &str = "<html><body>502 Bad Gateway</body></html>";

impl FaultKind {
    /// A random fault and how many requests in a row it hits.
    pub fn random() -> (FaultKind, u32) {
        let few = 1 + random(3) as u32;
        match random(7) {
            0 => (FaultKind::Latency(100 + random(1500)), few),
            1 => (FaultKind::Reset, few),
            2 => (FaultKind::HtmlPage, few),
            3 => (FaultKind::Truncated, 1),
            4 => (FaultKind::Empty, 1),
            5 => (FaultKind::RateLimit, few),
            _ => (FaultKind::BadGateway, few),
        }
    }

    /// Its name in the report and on the control channel.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Latency(_) => "latency",
            FaultKind::Reset => "reset",
            FaultKind::HtmlPage => "html page",
            FaultKind::Truncated => "truncated body",
            FaultKind::Empty => "empty body",
            FaultKind::RateLimit => "rate-limit reply",
            FaultKind::BadGateway => "502 page",
        }
    }

    /// As sent on the control channel.
    pub fn to_json(self) -> Value {
        let ms = match self {
            FaultKind::Latency(ms) => ms,
            _ => 0,
        };
        json!({"fault": self.name(), "ms": ms})
    }

    /// From the control channel.
    pub fn from_json(value: &Value) -> Option<FaultKind> {
        let kinds = [
            FaultKind::Latency(value["ms"].as_u64().unwrap_or(0)),
            FaultKind::Reset,
            FaultKind::HtmlPage,
            FaultKind::Truncated,
            FaultKind::Empty,
            FaultKind::RateLimit,
            FaultKind::BadGateway,
        ];
        kinds.into_iter().find(|k| value["fault"] == k.name())
    }

    /// brokersim's fault.
    pub fn fault(self) -> Fault {
        match self {
            FaultKind::Latency(ms) => Fault::Delay(Duration::from_millis(ms)),
            FaultKind::Reset => Fault::Reset,
            FaultKind::HtmlPage => Fault::HtmlFirewall,
            FaultKind::Truncated => Fault::TruncatedJson,
            FaultKind::Empty => Fault::EmptyBody,
            FaultKind::RateLimit => Fault::RateLimitText,
            FaultKind::BadGateway => Fault::Reply {
                status: 502,
                content_type: "text/html".into(),
                body: BAD_GATEWAY.into(),
            },
        }
    }

    /// The statuses a read of `family` may end in when this fault outlasts
    /// its retries (README "Statuses"; each family's reply module).
    pub fn ends_in(self, family: Family) -> &'static [&'static str] {
        match self {
            FaultKind::Latency(_) => &[],
            FaultKind::Reset => &["NETWORK"],
            // A page where JSON was due: the broker's (BROKER) or unreadable (PROTOCOL).
            FaultKind::HtmlPage => &["BROKER", "PROTOCOL"],
            FaultKind::Truncated | FaultKind::Empty => &["PROTOCOL"],
            // Fyers reads a 403 without its envelope as a refused app (fyers/reply.rs).
            FaultKind::RateLimit if family == Family::Fyers => &["AUTH"],
            FaultKind::RateLimit => &["RATE_LIMITED"],
            FaultKind::BadGateway => &["BROKER"],
        }
    }
}
