//! Logging for users: one line per request (time, operation, endpoint,
//! outcome, duration, broker code) to a session's `log_file` and to the
//! process-wide callback a host installs with `broker_set_logger`. A line
//! never holds a secret or a body: only names, paths, codes and numbers.

use crate::error::{Error, Result};
use crate::time::rfc3339_utc_millis;
use std::fmt::Arguments;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

/// How much to log, least to most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// A bug (a caught panic).
    Error = 1,
    /// A failed request.
    Warn = 2,
    /// Every request.
    Info = 3,
    /// Retries, refreshes and waits, too.
    Debug = 4,
}

impl Level {
    /// The config name of a level (`log_level`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
        }
    }

    /// The level with this config name; `None` for `"off"` and unknown names.
    pub(crate) fn from_name(name: &str) -> Option<Level> {
        [Level::Error, Level::Warn, Level::Info, Level::Debug]
            .into_iter()
            .find(|l| l.name() == name)
    }
}

/// A host's log sink: receives the level and one line.
pub(crate) type Callback = Box<dyn Fn(Level, &str) + Send + Sync>;

static CALLBACK: RwLock<Option<Arc<Callback>>> = RwLock::new(None);

/// Installs (or, with `None`, removes) the process-wide log callback.
pub(crate) fn set_callback(callback: Option<Callback>) {
    *CALLBACK.write().unwrap_or_else(PoisonError::into_inner) = callback.map(Arc::new);
}

/// The installed callback, cloned out so that no lock is held while it runs.
fn callback() -> Option<Arc<Callback>> {
    CALLBACK
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
}

/// A session's logger: its level and, if configured, its log file.
pub(crate) struct Logger {
    level: Option<Level>,
    file: Option<Mutex<File>>,
}

impl Logger {
    /// A logger at `level` (`None`: off), appending to `path` if given.
    pub(crate) fn open(level: Option<Level>, path: Option<&str>) -> Result<Logger> {
        let file = path
            .map(|p| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .map_err(|e| {
                        Error::invalid_argument(format!(
                            "config key \"log_file\" cannot be opened for appending: {e}"
                        ))
                    })
            })
            .transpose()?
            .map(Mutex::new);
        Ok(Logger { level, file })
    }

    /// Whether a line at `level` would go anywhere.
    pub(crate) fn enabled(&self, level: Level) -> bool {
        self.level.is_some_and(|l| level <= l) && (self.file.is_some() || callback().is_some())
    }

    /// Writes one line, if `level` is enabled.
    pub(crate) fn log(&self, level: Level, message: Arguments<'_>) {
        if !self.enabled(level) {
            return;
        }
        let line = format!(
            "{} {} {message}",
            rfc3339_utc_millis(SystemTime::now()),
            level.name().to_ascii_uppercase()
        );
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            // A full disk must not fail the broker call: the line is dropped.
            let _ = writeln!(file, "{line}");
        }
        if let Some(callback) = callback() {
            callback(level, &line);
        }
    }

    /// The line for one request.
    pub(crate) fn request(
        &self,
        operation: &str,
        endpoint: &str,
        http_status: Option<u16>,
        outcome: std::result::Result<(), &Error>,
        elapsed: Duration,
    ) {
        let level = match outcome {
            Ok(()) => Level::Info,
            Err(e) if e.status == crate::error::Status::Internal => Level::Error,
            Err(_) => Level::Warn,
        };
        let http = http_status.map_or_else(|| "-".to_string(), |s| s.to_string());
        let (name, code) = match outcome {
            Ok(()) => ("OK", ""),
            Err(e) => (e.status.name(), e.broker_code.as_deref().unwrap_or("")),
        };
        let code = if code.is_empty() {
            String::new()
        } else {
            format!(" {code}")
        };
        self.log(
            level,
            format_args!(
                "{operation} {endpoint} {http} {name} {}ms{code}",
                elapsed.as_millis()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_by_name() {
        assert_eq!(Level::from_name("debug"), Some(Level::Debug));
        assert_eq!(Level::from_name("off"), None);
        assert!(Level::Warn < Level::Info);
    }

    #[test]
    fn a_file_gets_one_line_per_request_at_or_below_its_level() {
        let path = std::env::temp_dir().join(format!("brokerlink-log-{}.log", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let logger = Logger::open(Some(Level::Info), path.to_str()).unwrap();
        logger.request(
            "funds",
            "/x/getRMS",
            Some(200),
            Ok(()),
            Duration::from_millis(7),
        );
        let expired = Error::new(crate::error::Status::SessionExpired, "m")
            .with_broker(Some("AG8002".into()), None);
        logger.request(
            "funds",
            "/x/getRMS",
            Some(200),
            Err(&expired),
            Duration::from_millis(3),
        );
        logger.log(Level::Debug, format_args!("not at info"));
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].ends_with(" INFO funds /x/getRMS 200 OK 7ms"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].ends_with(" WARN funds /x/getRMS 200 SESSION_EXPIRED 3ms AG8002"),
            "{}",
            lines[1]
        );
        assert!(
            lines[0].len() > 24 && lines[0].as_bytes()[23] == b'Z',
            "{}",
            lines[0]
        );
    }

    #[test]
    fn an_unwritable_log_file_is_a_config_error() {
        let e = Logger::open(Some(Level::Info), Some("/nonexistent-dir/x.log"))
            .err()
            .unwrap();
        assert!(e.message.contains("log_file"));
    }
}
