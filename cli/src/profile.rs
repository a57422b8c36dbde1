//! Profiles: a TOML file of named broker configs, each with where its
//! secrets come from and the session file it keeps its session in.
//!
//! ```toml
//! default = "angel"
//!
//! [profiles.angel]
//! broker = "angelone"          # then any broker_new config key
//! api_key = "SmartAPIKey"
//! client_code = "A123456"
//! [profiles.angel.secrets]     # key = "keyring" | "env:VARIABLE" | "prompt"
//! pin = "keyring"
//! totp_secret = "env:ANGEL_TOTP_SECRET"
//! ```

use crate::fail::{Failure, invalid};
use crate::secrets::{self, Source};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `broker_login` credential keys: the rest of a profile is its config.
const CREDENTIAL_KEYS: &[&str] = &["pin", "password", "totp", "totp_secret", "access_token"];

/// Keys whose values are secrets: a profile file that holds one itself
/// must be readable by its owner only. (`api_key` and `app_id` are not:
/// they travel in the browser's login address.)
const SECRET_KEYS: &[&str] = &[
    "pin",
    "password",
    "totp",
    "totp_secret",
    "access_token",
    "api_secret",
    "app_secret",
    "secret",
];

/// Keys the tool reads and the library never sees.
const TOOL_KEYS: &[&str] = &["secrets", "redirect_url"];

/// The profile file, read.
pub(crate) struct Profiles {
    path: PathBuf,
    default: Option<String>,
    profiles: BTreeMap<String, toml::Table>,
}

/// One profile, ready to use.
pub(crate) struct Profile {
    pub name: String,
    table: toml::Table,
    /// The session file: the profile's `session_file`, or one per profile
    /// in the platform's data folder.
    pub session_file: PathBuf,
}

/// Where profiles live when `--config` is not given:
/// `<config dir>/brokerlink/profiles.toml` (`~/.config` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows).
pub(crate) fn default_path() -> Result<PathBuf, Failure> {
    dirs::config_dir()
        .map(|dir| dir.join("brokerlink").join("profiles.toml"))
        .ok_or_else(|| invalid("this system has no config folder: pass --config FILE"))
}

impl Profiles {
    pub(crate) fn load(path: &Path) -> Result<Profiles, Failure> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            invalid(format!(
                "the profile file \"{}\" cannot be read: {e}",
                path.display()
            ))
        })?;
        let mut root: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            invalid(format!(
                "the profile file \"{}\" is not valid TOML: {}",
                path.display(),
                e.message()
            ))
        })?;
        let default = match root.remove("default") {
            None => None,
            Some(toml::Value::String(name)) => Some(name),
            Some(_) => {
                return Err(invalid(
                    "the profile file's \"default\" must be a profile name",
                ));
            }
        };
        let mut profiles = BTreeMap::new();
        match root.remove("profiles") {
            None => {}
            Some(toml::Value::Table(table)) => {
                for (name, value) in table {
                    let toml::Value::Table(profile) = value else {
                        return Err(invalid(format!("profiles.{name} must be a table")));
                    };
                    profiles.insert(name, profile);
                }
            }
            Some(_) => return Err(invalid("the profile file's \"profiles\" must be a table")),
        }
        if let Some(key) = root.keys().next() {
            return Err(invalid(format!(
                "the profile file has an unknown key \"{key}\": it takes \"default\" and [profiles.NAME] tables"
            )));
        }
        let profiles = Profiles {
            path: path.to_path_buf(),
            default,
            profiles,
        };
        profiles.refuse_readable_secrets()?;
        Ok(profiles)
    }

    /// As ssh refuses a private key others can read: a file that holds a
    /// secret itself must be readable and writable by its owner only.
    fn refuse_readable_secrets(&self) -> Result<(), Failure> {
        let held = self.profiles.iter().find_map(|(name, table)| {
            table
                .keys()
                .find(|key| SECRET_KEYS.contains(&key.as_str()))
                .map(|key| format!("profiles.{name}.{key}"))
        });
        let Some(held) = held else {
            return Ok(());
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .map_err(|e| invalid(format!("\"{}\": {e}", self.path.display())))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(invalid(format!(
                    "the profile file \"{}\" holds a secret ({held}) and others can read it (mode {:03o}): run chmod 600 on it, or move the secret to [profiles.NAME.secrets] (keyring, env: or prompt)",
                    self.path.display(),
                    mode & 0o777
                )));
            }
        }
        #[cfg(not(unix))]
        let _ = held;
        Ok(())
    }

    /// The profile `name`, else the file's `default`, else its only one.
    pub(crate) fn select(&self, name: Option<&str>) -> Result<Profile, Failure> {
        let name = match name.or(self.default.as_deref()) {
            Some(name) => name.to_string(),
            None if self.profiles.len() == 1 => {
                self.profiles.keys().next().cloned().unwrap_or_default()
            }
            None => {
                return Err(invalid(format!(
                    "name a profile: \"{}\" has {} and no \"default\"",
                    self.path.display(),
                    self.profiles.len()
                )));
            }
        };
        let table = self.profiles.get(&name).cloned().ok_or_else(|| {
            let known: Vec<&str> = self.profiles.keys().map(String::as_str).collect();
            invalid(format!(
                "there is no profile \"{name}\" in \"{}\" (it has: {})",
                self.path.display(),
                known.join(", ")
            ))
        })?;
        let session_file = match table.get("session_file") {
            Some(toml::Value::String(path)) => PathBuf::from(path),
            Some(_) => {
                return Err(invalid(format!(
                    "profiles.{name}.session_file must be a path"
                )));
            }
            None => default_session_file(&name)?,
        };
        Ok(Profile {
            name,
            table,
            session_file,
        })
    }
}

/// `<data dir>/brokerlink/sessions/<profile>.json`, the folder made
/// owner-only on Unix.
fn default_session_file(profile: &str) -> Result<PathBuf, Failure> {
    let dir = dirs::data_local_dir()
        .ok_or_else(|| invalid("this system has no data folder: set session_file in the profile"))?
        .join("brokerlink")
        .join("sessions");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(&dir)
        .map_err(|e| invalid(format!("\"{}\" cannot be made: {e}", dir.display())))?;
    Ok(dir.join(format!("{profile}.json")))
}

impl Profile {
    /// The `broker_new` config: every key but the credentials and the
    /// tool's own, secrets from their sources, and the session file.
    pub(crate) fn config(&self) -> Result<String, Failure> {
        let mut config = Map::new();
        for (key, value) in &self.table {
            if CREDENTIAL_KEYS.contains(&key.as_str()) || TOOL_KEYS.contains(&key.as_str()) {
                continue;
            }
            config.insert(key.clone(), to_json(value));
        }
        for (key, source) in self.sources()? {
            if !CREDENTIAL_KEYS.contains(&key.as_str()) {
                config.insert(
                    key.clone(),
                    Value::String(secrets::fetch(&self.name, &key, &source)?),
                );
            }
        }
        config.insert(
            "session_file".into(),
            Value::String(self.session_file.display().to_string()),
        );
        Ok(Value::Object(config).to_string())
    }

    /// `broker_login`'s credentials, when the profile has any (`None`: a
    /// browser login).
    pub(crate) fn credentials(&self) -> Result<Option<String>, Failure> {
        let mut credentials = Map::new();
        for key in CREDENTIAL_KEYS {
            if let Some(value) = self.table.get(*key) {
                credentials.insert(key.to_string(), to_json(value));
            }
        }
        for (key, source) in self.sources()? {
            if CREDENTIAL_KEYS.contains(&key.as_str()) {
                credentials.insert(
                    key.clone(),
                    Value::String(secrets::fetch(&self.name, &key, &source)?),
                );
            }
        }
        Ok((!credentials.is_empty()).then(|| Value::Object(credentials).to_string()))
    }

    /// The TOTP secret, for `brokerlink totp`.
    pub(crate) fn totp_secret(&self) -> Result<String, Failure> {
        if let Some(toml::Value::String(secret)) = self.table.get("totp_secret") {
            return Ok(secret.clone());
        }
        match self
            .sources()?
            .into_iter()
            .find(|(key, _)| key == "totp_secret")
        {
            Some((key, source)) => secrets::fetch(&self.name, &key, &source),
            None => Err(invalid(format!(
                "profile \"{}\" has no totp_secret (in the profile or its secrets)",
                self.name
            ))),
        }
    }

    /// Where the broker sends the browser after a login, for brokers whose
    /// config has no `redirect_uri`: the tool's `redirect_url`.
    pub(crate) fn redirect_url(&self) -> Option<&str> {
        self.table.get("redirect_url").and_then(toml::Value::as_str)
    }

    /// The `[profiles.NAME.secrets]` table: key -> source.
    fn sources(&self) -> Result<Vec<(String, Source)>, Failure> {
        let Some(table) = self.table.get("secrets") else {
            return Ok(Vec::new());
        };
        let toml::Value::Table(table) = table else {
            return Err(invalid(format!(
                "profiles.{}.secrets must be a table",
                self.name
            )));
        };
        table
            .iter()
            .map(|(key, value)| {
                let source = value
                    .as_str()
                    .and_then(Source::parse)
                    .ok_or_else(|| {
                        invalid(format!(
                            "profiles.{}.secrets.{key} must be \"keyring\", \"env:VARIABLE\" or \"prompt\"",
                            self.name
                        ))
                    })?;
                Ok((key.clone(), source))
            })
            .collect()
    }
}

fn to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(n) => Value::from(*n),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        toml::Value::Table(table) => {
            Value::Object(table.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}
