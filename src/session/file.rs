//! The session file (config key `session_file`): one logged-in session
//! shared by every process that names the same file.
//!
//! The file holds [`state::export`]'s JSON. `Session::new` resumes it when it
//! is for the same broker, base URL and account and has not expired; every
//! login, refresh and import saves it; logout removes it. A save writes a
//! temporary file in the same folder (created owner-only: mode 0600 on
//! Unix), flushes it to disk and renames it over the file, so a reader sees
//! the old file or the new one, never half of one. Read-modify-write runs
//! under an exclusive lock on `<file>.lock` (std's `File::lock`, an OS file
//! lock released when the holder exits, even by a crash), so two processes
//! never interleave, and a process about to refresh first looks whether
//! another one already has. Reads need no lock: a rename is atomic.
//!
//! A file that is corrupt, unreadable or another account's is never
//! overwritten: `Session::new` fails with `INVALID_ARGUMENT` naming the file
//! and what is wrong, and so does a login or import that would replace it.

use super::Session;
use super::state::{self, Saved};
use crate::brokers::Tokens;
use crate::error::{Error, Result, Status};
use crate::log::Level;
use crate::secret::Secret;
use crate::time::unix_now;
use std::fmt::Display;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

/// Largest session file read: a session is well under 8 KB.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// How long between two tries of a lock another process holds.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The session file of one session: where it is, whose it must be, and how
/// it looked when this session last read or wrote it.
pub(super) struct SessionFile {
    path: PathBuf,
    lock_path: PathBuf,
    /// The account the config names (Angel One's `client_code`, Dhan's
    /// `client_id`, Noren's `user_id`); `None` where the config has none, and
    /// the first login fixes it.
    account: Option<String>,
    /// How long a save waits for another process's lock.
    wait: Duration,
    seen: Mutex<Option<Stamp>>,
}

/// What tells one version of the file from another without reading it:
/// every save renames a new file into place, so on Unix the inode changes;
/// elsewhere the length and modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    id: u64,
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let id = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let id = 0;
        Stamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            id,
        }
    }
}

/// The held lock on `<file>.lock`; closing the file releases it.
pub(super) struct FileLock(#[allow(dead_code)] File);

impl SessionFile {
    pub(super) fn new(path: String, account: Option<String>, wait: Duration) -> SessionFile {
        let path = PathBuf::from(path);
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        SessionFile {
            path,
            lock_path: lock_path.into(),
            account,
            wait,
            seen: Mutex::new(None),
        }
    }

    /// The path as the config gave it.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// An error that names the file and what is wrong with it.
    fn problem(&self, why: impl Display) -> Error {
        Error::invalid_argument(format!("session_file \"{}\" {why}", self.path.display()))
    }

    /// Reads and parses the file: `None` when there is none. A file that
    /// cannot be read or is not a session state is an error naming it.
    fn read(&self) -> Result<(Option<Saved>, Option<Stamp>)> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, None)),
            Err(e) => return Err(self.problem(format_args!("cannot be read: {e}"))),
        };
        let meta = file
            .metadata()
            .map_err(|e| self.problem(format_args!("cannot be read: {e}")))?;
        if !meta.is_file() {
            return Err(self.problem("is not a regular file"));
        }
        let mut bytes = Vec::new();
        Read::by_ref(&mut file)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.problem(format_args!("cannot be read: {e}")))?;
        let text =
            Secret::new(String::from_utf8(bytes).map_err(|_| {
                self.problem("is not a brokerlink session file: it is not UTF-8 text")
            })?);
        if text.expose().len() as u64 > MAX_FILE_BYTES {
            return Err(self.problem("is not a brokerlink session file: it is larger than 64 KiB"));
        }
        let saved = parse_file(text.expose()).map_err(|e| {
            self.problem(format_args!(
                "is not a brokerlink session file ({}): delete it or point session_file elsewhere",
                e.message
            ))
        })?;
        Ok((Some(saved), Some(Stamp::of(&meta))))
    }

    /// Whether the file differs from the version this session last saw.
    fn changed(&self) -> bool {
        let now = fs::metadata(&self.path).ok().map(|m| Stamp::of(&m));
        now != *self.seen()
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Option<Stamp>> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the version seen; returns the one seen before.
    fn remember(&self, stamp: Option<Stamp>) -> Option<Stamp> {
        std::mem::replace(&mut *self.seen(), stamp)
    }

    /// Takes the exclusive lock on `<file>.lock`, waiting for another
    /// process that holds it until `deadline`.
    pub(super) fn lock(&self, deadline: Instant) -> Result<FileLock> {
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.lock_path)
            .map_err(|e| {
                self.problem(format_args!(
                    "cannot be locked: its lock file \"{}\" cannot be opened: {e}",
                    self.lock_path.display()
                ))
            })?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(FileLock(file)),
                Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LOCK_POLL);
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::new(
                        Status::Timeout,
                        format!(
                            "session_file \"{}\" stayed locked by another process (its lock file \"{}\"): try again",
                            self.path.display(),
                            self.lock_path.display()
                        ),
                    ));
                }
                Err(TryLockError::Error(e)) => {
                    return Err(self.problem(format_args!("cannot be locked: {e}")));
                }
            }
        }
    }

    /// Replaces the file with `contents`, atomically: a private temporary
    /// file in the same folder, flushed, renamed over it. On any error the
    /// file is as it was and the temporary file is gone.
    fn write(&self, contents: &Secret) -> Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        let name = self
            .path
            .file_name()
            .ok_or_else(|| self.problem("does not name a file"))?;
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            ".{}.{}.tmp",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let temp = dir.join(temp_name);
        let written = (|| -> io::Result<()> {
            let mut file = private_options().write(true).create_new(true).open(&temp)?;
            file.write_all(contents.expose().as_bytes())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &self.path)?;
            sync_dir(dir);
            Ok(())
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.problem(format_args!("cannot be saved: {e}")));
        }
        self.remember(fs::metadata(&self.path).ok().map(|m| Stamp::of(&m)));
        Ok(())
    }

    /// Removes the file (not the lock file, which other processes may hold).
    fn remove(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.problem(format_args!("cannot be removed: {e}"))),
        }
        self.remember(None);
        Ok(())
    }
}

/// Parses a session file: the exported session state, nothing around it
/// (so the `session_import` fuzz target covers this parser too).
pub fn parse_file(text: &str) -> Result<Saved> {
    state::parse(text)
}

/// Open options that create files readable and writable by the owner only
/// (mode 0600 on Unix; on Windows a new file takes the folder's access list,
/// which in the user's profile is the user's alone).
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    #[cfg(not(unix))]
    let _ = &mut options;
    options
}

/// Makes a rename in `dir` durable (Unix; elsewhere the rename is enough).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

impl Session {
    /// Why `saved` is not this session's to use or replace, or `None`: a
    /// different broker, base URL or account. `user` is the account the
    /// tokens about to be saved belong to, when there are any.
    fn foreign(&self, file: &SessionFile, saved: &Saved, user: Option<&str>) -> Option<String> {
        let broker = self.broker.name();
        if saved.broker != broker {
            return Some(format!(
                "holds a session of broker \"{}\", but this session is \"{broker}\"",
                saved.broker
            ));
        }
        if saved.base_url != self.broker.base_url() {
            return Some(format!(
                "holds a session at base_url \"{}\", but this session's is \"{}\"",
                saved.base_url,
                self.broker.base_url()
            ));
        }
        let theirs = &saved.tokens.user_id;
        match user.or(file.account.as_deref()) {
            Some(ours) if !ours.trim().eq_ignore_ascii_case(theirs.trim()) => Some(format!(
                "holds the session of user \"{theirs}\", not \"{}\"",
                ours.trim()
            )),
            _ => None,
        }
    }

    /// `Session::new`: resumes the file's session when it is this broker's,
    /// base URL's and account's and has not expired. No file, or an expired
    /// one, leaves the session logged out; any other problem is an error.
    pub(super) fn resume_from_file(&self) -> Result<bool> {
        let Some(file) = &self.file else {
            return Ok(false);
        };
        let (saved, stamp) = file.read()?;
        file.remember(stamp);
        let Some(saved) = saved else {
            return Ok(false);
        };
        if let Some(why) = self.foreign(file, &saved, None) {
            return Err(file.problem(format_args!(
                "{why}: point session_file elsewhere, or log out the session it holds"
            )));
        }
        if saved.expired(unix_now()) {
            return Ok(false);
        }
        *self.lock() = Some(Arc::new(saved.tokens));
        Ok(true)
    }

    /// Before an operation: adopts what another process left in the file
    /// since this session last looked (a login or refresh: its tokens; a
    /// logout: none). One `stat` when nothing changed. A file that became
    /// unusable is logged and ignored here; saves refuse it.
    pub(super) fn follow_file(&self) {
        let Some(file) = &self.file else {
            return;
        };
        if !file.changed() {
            return;
        }
        match file.read() {
            Ok((None, stamp)) => {
                if file.remember(stamp).is_some() && self.lock().take().is_some() {
                    self.log.log(
                        Level::Debug,
                        format_args!("the session file was removed (a logout elsewhere): this session is logged out too"),
                    );
                }
            }
            Ok((Some(saved), stamp)) => {
                file.remember(stamp);
                let user = self.lock().as_ref().map(|t| t.user_id.clone());
                if let Some(why) = self.foreign(file, &saved, user.as_deref()) {
                    self.log.log(
                        Level::Warn,
                        format_args!("session_file \"{}\" {why}: not used", file.path.display()),
                    );
                } else if !saved.expired(unix_now()) {
                    let mut slot = self.lock();
                    if slot
                        .as_ref()
                        .is_none_or(|t| t.access.expose() != saved.tokens.access.expose())
                    {
                        *slot = Some(Arc::new(saved.tokens));
                        drop(slot);
                        self.log.log(
                            Level::Debug,
                            format_args!(
                                "took the session another process saved in the session file"
                            ),
                        );
                    }
                }
            }
            Err(e) => self.log.log(Level::Warn, format_args!("{}", e.message)),
        }
    }

    /// Under the file's lock, before a refresh: the tokens another process
    /// saved after `seen` (it refreshed or logged in meanwhile), now this
    /// session's, or `None` when the file has nothing newer.
    pub(super) fn newer_in_file(&self, seen: &Arc<Tokens>) -> Option<Arc<Tokens>> {
        let file = self.file.as_ref()?;
        let (saved, stamp) = file.read().ok()?;
        file.remember(stamp);
        let saved = saved?;
        if self.foreign(file, &saved, Some(&seen.user_id)).is_some()
            || saved.expired(unix_now())
            || saved.tokens.access.expose() == seen.access.expose()
        {
            return None;
        }
        let newer = Arc::new(saved.tokens);
        self.replace_if_current(seen, Some(Arc::clone(&newer)));
        Some(newer)
    }

    /// Takes the file's lock when there is a file (until `deadline`).
    pub(super) fn lock_file(&self, deadline: Instant) -> Result<Option<FileLock>> {
        self.file.as_ref().map(|f| f.lock(deadline)).transpose()
    }

    /// Saves `tokens` to the file, under its lock (taken here unless
    /// `held`). Refuses to replace a file that is corrupt or holds another
    /// account's session. Without a file, does nothing.
    pub(super) fn save_to_file(&self, tokens: &Tokens, held: Option<&FileLock>) -> Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let _lock = match held {
            Some(_) => None,
            None => Some(file.lock(Instant::now() + file.wait)?),
        };
        let (existing, _) = file.read()?;
        if let Some(why) = existing
            .as_ref()
            .and_then(|saved| self.foreign(file, saved, Some(&tokens.user_id)))
        {
            return Err(file.problem(format_args!(
                "{why}: it was not replaced; log that session out or point session_file elsewhere"
            )));
        }
        let json = Secret::new(state::export(
            self.broker.name(),
            self.broker.base_url(),
            tokens,
            unix_now(),
        ));
        file.write(&json)
    }

    /// After a logout: removes the file when it holds this user's session.
    pub(super) fn remove_file(&self, user_id: &str) {
        let Some(file) = &self.file else {
            return;
        };
        let removed =
            file.lock(Instant::now() + file.wait)
                .and_then(|_lock| match file.read()? {
                    (Some(saved), _) if self.foreign(file, &saved, Some(user_id)).is_some() => {
                        Ok(())
                    }
                    _ => file.remove(),
                });
        if let Err(e) = removed {
            self.log
                .log(Level::Warn, format_args!("logout: {}", e.message));
        }
    }

    /// The file's path, for `describe` and `status`.
    pub(super) fn file_path(&self) -> Option<String> {
        self.file.as_ref().map(|f| f.path().display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "brokerlink-file-unit-{}-{name}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_write_replaces_the_file_whole_and_leaves_no_temporary_file() {
        let dir = scratch("write");
        let path = dir.join("s.json");
        let file = SessionFile::new(path.display().to_string(), None, Duration::ZERO);
        fs::write(&path, "old").unwrap();
        assert!(file.changed());
        file.write(&Secret::new("new contents")).unwrap();
        assert!(!file.changed(), "its own save is not a change");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new contents");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["s.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        file.remove().unwrap();
        assert!(!path.exists());
        file.remove().unwrap();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_lock_excludes_another_holder_until_it_is_released() {
        let dir = scratch("lock");
        let path = dir.join("s.json").display().to_string();
        let one = SessionFile::new(path.clone(), None, Duration::ZERO);
        let two = SessionFile::new(path, None, Duration::ZERO);
        let held = one.lock(Instant::now()).unwrap();
        let error = two.lock(Instant::now()).err().unwrap();
        assert_eq!(error.status, Status::Timeout, "{error:?}");
        drop(held);
        two.lock(Instant::now()).unwrap();
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_is_not_a_session_state_is_named_in_the_error() {
        let dir = scratch("corrupt");
        let path = dir.join("s.json");
        fs::write(&path, "{\"access_token\":\"SECRET-TOKEN\"}").unwrap();
        let file = SessionFile::new(path.display().to_string(), None, Duration::ZERO);
        let error = file.read().err().unwrap();
        assert_eq!(error.status, Status::InvalidArgument);
        assert!(
            error.message.contains("s.json")
                && error.message.contains("not a brokerlink session file")
        );
        assert!(!error.message.contains("SECRET-TOKEN"), "{}", error.message);
        let _ = fs::remove_dir_all(&dir);
    }
}
