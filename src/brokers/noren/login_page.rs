//! The browser login address: the preset's page with the app's id added,
//! or an `oauth_url` template the user wrote for another hosted page
//! (Shoonya's `…/OAuthlogin/investor-entry-level/login?api_key={client_id}&route_to={user_id}`).

use crate::config::validate_page_url;
use crate::error::{Error, Result};

/// The placeholders a template may hold.
const PLACEHOLDERS: [&str; 3] = ["client_id", "user_id", "api_key"];

/// Whether an `oauth_url` is a template: it holds a `{` placeholder.
pub(super) fn is_template(oauth_url: &str) -> bool {
    oauth_url.contains('{')
}

/// Fills a template's placeholders, URL-encoded, from `value` (which gives
/// a placeholder's value, or `None` when the config has none), and checks
/// the address. An unknown placeholder, or one with no value, is
/// INVALID_ARGUMENT naming it.
pub(super) fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> Result<String> {
    let mut filled = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        filled.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| {
            Error::invalid_argument("config key \"oauth_url\" has a \"{\" that no \"}\" closes")
        })?;
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(Error::invalid_argument(format!(
                "config key \"oauth_url\" has the placeholder {{{}}}: the known ones are {{client_id}}, {{user_id}} and {{api_key}}",
                name.chars().take(20).collect::<String>()
            )));
        }
        let value = value(name).ok_or_else(|| {
            Error::invalid_argument(format!(
                "config key \"oauth_url\" uses {{{name}}}, but config key \"{name}\" is not set"
            ))
        })?;
        filled.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        rest = &after[close + 1..];
    }
    filled.push_str(rest);
    validate_page_url("oauth_url", &filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "client_id" => Some("FA12345_U".to_string()),
            "user_id" => Some("FA 12345&x".to_string()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_filled_url_encoded() {
        let page = "https://api.shoonya.com/OAuthlogin/investor-entry-level/login?api_key={client_id}&route_to={user_id}";
        assert!(is_template(page));
        assert_eq!(
            fill(page, values).unwrap(),
            "https://api.shoonya.com/OAuthlogin/investor-entry-level/login?api_key=FA12345_U&route_to=FA+12345%26x"
        );
    }

    #[test]
    fn unknown_missing_and_unclosed_placeholders_are_named() {
        let err = |t: &str| fill(t, values).unwrap_err().message;
        assert!(err("https://a.example/?k={api_key}").contains("\"api_key\" is not set"));
        assert!(err("https://a.example/?k={secret}").contains("{secret}"));
        assert!(err("https://a.example/?k={client_id").contains("no \"}\""));
        assert!(err("http://example.com/?k={client_id}").contains("https"));
    }
}
