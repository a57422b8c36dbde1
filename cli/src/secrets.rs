//! Where a profile's secrets come from: the OS credential store, an
//! environment variable, or a prompt that does not echo.

use crate::fail::{Failure, invalid};

/// The credential store's service name; each secret's account is
/// `<profile>/<key>` (e.g. `angel/pin`).
pub(crate) const SERVICE: &str = "brokerlink";

/// One secret's source, as `[profiles.NAME.secrets]` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// `"keyring"`: Windows Credential Manager, macOS Keychain, Secret Service.
    Keyring,
    /// `"env:VARIABLE"`.
    Env(String),
    /// `"prompt"`: asked on the terminal, not echoed.
    Prompt,
}

impl Source {
    pub(crate) fn parse(text: &str) -> Option<Source> {
        match text {
            "keyring" => Some(Source::Keyring),
            "prompt" => Some(Source::Prompt),
            _ => text
                .strip_prefix("env:")
                .filter(|name| !name.is_empty())
                .map(|name| Source::Env(name.to_string())),
        }
    }
}

/// The secret `key` of `profile` from `source`. Errors name the profile,
/// key and source, never a value.
pub(crate) fn fetch(profile: &str, key: &str, source: &Source) -> Result<String, Failure> {
    match source {
        Source::Env(name) => std::env::var(name).ok().filter(|v| !v.is_empty()).ok_or_else(|| {
            invalid(format!(
                "profile \"{profile}\" takes {key} from the environment variable {name}, which is not set"
            ))
        }),
        Source::Prompt => rpassword::prompt_password(format!("{profile} {key}: ")).map_err(|e| {
            invalid(format!(
                "profile \"{profile}\" asks for {key} on the terminal, and none could be read: {e}"
            ))
        }),
        Source::Keyring => keyring_get(profile, key),
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn entry(profile: &str, key: &str) -> Result<keyring::Entry, Failure> {
    keyring::Entry::new(SERVICE, &format!("{profile}/{key}"))
        .map_err(|e| invalid(format!("the credential store cannot be used: {e}")))
}

#[cfg(any(target_os = "linux", target_os = "macos", windows))]
fn keyring_get(profile: &str, key: &str) -> Result<String, Failure> {
    entry(profile, key)?.get_password().map_err(|e| match e {
        keyring::Error::NoEntry => invalid(format!(
            "the credential store has no {key} for profile \"{profile}\": store it with `brokerlink set-secret {profile} {key}`"
        )),
        other => invalid(format!(
            "{key} of profile \"{profile}\" cannot be read from the credential store: {other}"
        )),
    })
}

/// Stores `value` as the secret `key` of `profile` in the credential store.
#[cfg(any(target_os = "linux", target_os = "macos", windows))]
pub(crate) fn keyring_set(profile: &str, key: &str, value: &str) -> Result<(), Failure> {
    entry(profile, key)?.set_password(value).map_err(|e| {
        invalid(format!(
            "{key} of profile \"{profile}\" cannot be stored in the credential store: {e}"
        ))
    })
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn keyring_get(profile: &str, key: &str) -> Result<String, Failure> {
    Err(invalid(format!(
        "profile \"{profile}\" takes {key} from the credential store, and this system has none: use env: or prompt"
    )))
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
pub(crate) fn keyring_set(_profile: &str, _key: &str, _value: &str) -> Result<(), Failure> {
    Err(invalid("this system has no credential store"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_parse() {
        assert_eq!(Source::parse("keyring"), Some(Source::Keyring));
        assert_eq!(Source::parse("prompt"), Some(Source::Prompt));
        assert_eq!(Source::parse("env:X"), Some(Source::Env("X".into())));
        assert_eq!(Source::parse("env:"), None);
        assert_eq!(Source::parse("1234"), None);
    }
}
