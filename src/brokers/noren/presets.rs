//! The known Noren brokers (PROTOCOLS.md §2.6): where each hosts the API,
//! how it logs in, and whether it has `/RefreshToken`.

/// How a preset's OAuth-style login turns the browser's code into a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeExchange {
    /// `POST <base>/GenAcsTok` with the SHA-256 checksum; Bearer afterwards.
    GenAcsTok,
    /// Flattrade's own token service; jKey afterwards.
    FlattradeApiToken,
}

/// One Noren broker's addresses and abilities.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Preset {
    /// The config name.
    pub name: &'static str,
    /// The REST base for OAuth sessions.
    pub rest_base: Option<&'static str>,
    /// The legacy REST base where QuickAuth (password login) lives.
    pub password_base: Option<&'static str>,
    /// The browser login address (UNCONFIRMED for Kambala: configure `oauth_url`).
    pub oauth_url: Option<&'static str>,
    /// The token service, for brokers with their own (Flattrade).
    pub token_url: Option<&'static str>,
    /// How a browser code becomes a token.
    pub exchange: CodeExchange,
    /// Whether `/RefreshToken` exists (documented by Zebu only).
    pub refresh: bool,
    /// Whether the broker has closed QuickAuth to API users (Shoonya, since
    /// 2026-04-01, PROTOCOLS.md §2.3).
    pub quickauth_closed: bool,
}

/// The presets, by name; `custom` takes every address from the config.
pub(crate) const PRESETS: [Preset; 6] = [
    Preset {
        name: "kambala",
        rest_base: Some("https://api.kambala.co.in/NorenWClientAPI"),
        password_base: None,
        oauth_url: None,
        token_url: None,
        exchange: CodeExchange::GenAcsTok,
        refresh: false,
        quickauth_closed: false,
    },
    Preset {
        name: "shoonya",
        rest_base: Some("https://api.shoonya.com/NorenWClientAPI"),
        password_base: Some("https://api.shoonya.com/NorenWClientTP"),
        oauth_url: Some("https://api.shoonya.com/OAuthlogin/authorize/oauth"),
        token_url: None,
        exchange: CodeExchange::GenAcsTok,
        refresh: false,
        quickauth_closed: true,
    },
    Preset {
        name: "zebu",
        rest_base: Some("https://go.mynt.in/NorenWClientAPI"),
        password_base: None,
        oauth_url: Some("https://go.mynt.in/OAuthlogin/authorize/oauth"),
        token_url: None,
        exchange: CodeExchange::GenAcsTok,
        refresh: true,
        quickauth_closed: false,
    },
    Preset {
        name: "tradesmart",
        rest_base: Some("https://v2api.tradesmartonline.in/NorenWClientAPIv2"),
        password_base: None,
        oauth_url: Some("https://v2api.tradesmartonline.in/OAuthlogin/authorize/oauth"),
        token_url: None,
        exchange: CodeExchange::GenAcsTok,
        refresh: false,
        quickauth_closed: false,
    },
    Preset {
        name: "flattrade",
        rest_base: Some("https://piconnect.flattrade.in/PiConnectAPI"),
        password_base: None,
        oauth_url: Some("https://auth.flattrade.in/"),
        token_url: Some("https://authapi.flattrade.in/trade/apitoken"),
        exchange: CodeExchange::FlattradeApiToken,
        refresh: false,
        quickauth_closed: false,
    },
    Preset {
        name: "custom",
        rest_base: None,
        password_base: None,
        oauth_url: None,
        token_url: None,
        exchange: CodeExchange::GenAcsTok,
        refresh: false,
        quickauth_closed: false,
    },
];

/// The presets' names, for the library's list of brokers.
pub(crate) const PRESET_NAMES: [&str; PRESETS.len()] = {
    let mut names = [""; PRESETS.len()];
    let mut i = 0;
    while i < PRESETS.len() {
        names[i] = PRESETS[i].name;
        i += 1;
    }
    names
};

/// The preset with this name.
pub(super) fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// The names, for error messages.
pub(super) fn names() -> String {
    PRESETS
        .iter()
        .map(|p| format!("\"{}\"", p.name))
        .collect::<Vec<_>>()
        .join(", ")
}
