//! The request log: every request the simulator read, with the status it answered.

use std::collections::VecDeque;
use std::time::SystemTime;

/// The most entries the log keeps; older ones are dropped first.
pub(crate) const LOG_CAPACITY: usize = 100_000;
/// The most bytes of paths, queries, headers and bodies the log keeps; older entries are dropped
/// first (so that a long-running CLI receiving large bodies stays small).
pub(crate) const LOG_BYTE_BUDGET: usize = 64 * 1024 * 1024;

/// One request as the simulator received it, and the status it answered with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// The method, as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The request target without the query string.
    pub path: String,
    /// The query string (after the first `?`), if the target had one.
    pub query: Option<String>,
    /// The headers in the order sent; names are lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, decoded as UTF-8 (invalid bytes become U+FFFD).
    pub body: String,
    /// The status the simulator answered with; 0 while unanswered, or when a fault sent no reply
    /// ([`Fault::Reset`](crate::Fault::Reset), [`Fault::Hang`](crate::Fault::Hang)).
    pub status: u16,
    /// When the request had been read completely.
    pub at: SystemTime,
}

impl LoggedRequest {
    /// The first value of header `name`, compared case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Identifies a log entry so its status can be filled in once known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EntryId(u64);

/// A bounded, append-only list of [`LoggedRequest`]s.
#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    /// The id of `entries[0]`.
    first_id: u64,
    /// The most entries kept.
    capacity: usize,
    /// The most bytes kept (the newest entry is always kept).
    byte_budget: usize,
    /// The bytes the entries hold now.
    bytes: usize,
}

impl Default for RequestLog {
    fn default() -> RequestLog {
        RequestLog::with_limits(LOG_CAPACITY, LOG_BYTE_BUDGET)
    }
}

impl RequestLog {
    /// A log that keeps at most `capacity` entries (at least one) and `byte_budget` bytes.
    pub(crate) fn with_limits(capacity: usize, byte_budget: usize) -> RequestLog {
        RequestLog {
            entries: VecDeque::new(),
            first_id: 0,
            capacity: capacity.max(1),
            byte_budget,
            bytes: 0,
        }
    }

    /// Appends an entry, dropping the oldest ones while over a limit.
    pub(crate) fn push(&mut self, entry: LoggedRequest) -> EntryId {
        let size = size_of_entry(&entry);
        while !self.entries.is_empty()
            && (self.entries.len() >= self.capacity || self.bytes + size > self.byte_budget)
        {
            if let Some(dropped) = self.entries.pop_front() {
                self.bytes -= size_of_entry(&dropped);
                self.first_id += 1;
            }
        }
        self.bytes += size;
        self.entries.push_back(entry);
        EntryId(self.first_id + self.entries.len() as u64 - 1)
    }

    /// Records the status of an entry and returns a copy of it; `None` when it has been dropped
    /// or cleared meanwhile.
    pub(crate) fn set_status(&mut self, id: EntryId, status: u16) -> Option<LoggedRequest> {
        let index = usize::try_from(id.0.checked_sub(self.first_id)?).ok()?;
        let entry = self.entries.get_mut(index)?;
        entry.status = status;
        Some(entry.clone())
    }

    /// Copies of all entries, oldest first.
    pub(crate) fn all(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    /// Copies of the entries for `path` (without query), oldest first.
    pub(crate) fn to_path(&self, path: &str) -> Vec<LoggedRequest> {
        self.entries
            .iter()
            .filter(|e| e.path == path)
            .cloned()
            .collect()
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        self.first_id += self.entries.len() as u64;
        self.entries.clear();
        self.bytes = 0;
    }
}

/// The bytes an entry's text takes, roughly.
fn size_of_entry(entry: &LoggedRequest) -> usize {
    let headers: usize = entry.headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    entry.method.len()
        + entry.path.len()
        + entry.query.as_ref().map_or(0, String::len)
        + headers
        + entry.body.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> LoggedRequest {
        LoggedRequest {
            method: "GET".into(),
            path: path.into(),
            query: None,
            headers: vec![("x-a".into(), "1".into())],
            body: String::new(),
            status: 0,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn keeps_only_the_newest_entries() {
        let mut log = RequestLog::with_limits(2, usize::MAX);
        let first = log.push(entry("/1"));
        log.push(entry("/2"));
        let third = log.push(entry("/3"));
        let paths: Vec<String> = log.all().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/2", "/3"]);
        assert!(log.set_status(first, 200).is_none());
        assert_eq!(log.set_status(third, 201).map(|e| e.status), Some(201));
    }

    #[test]
    fn keeps_within_the_byte_budget_but_always_the_newest() {
        let mut log = RequestLog::with_limits(10, 20);
        log.push(entry("/aaaaaaaaaa"));
        log.push(entry("/bbbbbbbbbb"));
        let paths: Vec<String> = log.all().into_iter().map(|e| e.path).collect();
        assert_eq!(paths, ["/bbbbbbbbbb"]);
        log.push(entry(&"/c".repeat(50)));
        assert_eq!(log.all().len(), 1);
        log.clear();
        log.push(entry("/d"));
        log.push(entry("/e"));
        assert_eq!(log.all().len(), 2);
    }

    #[test]
    fn clear_forgets_pending_ids() {
        let mut log = RequestLog::default();
        let id = log.push(entry("/a"));
        log.clear();
        assert!(log.set_status(id, 200).is_none());
        let next = log.push(entry("/b"));
        assert_eq!(log.set_status(next, 404).map(|e| e.path), Some("/b".into()));
        assert_eq!(log.to_path("/b").len(), 1);
    }

    #[test]
    fn header_lookup_ignores_case() {
        assert_eq!(entry("/").header("X-A"), Some("1"));
    }
}
