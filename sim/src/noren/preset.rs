//! The five Noren brokers the simulator serves ([`Preset`]), their REST bases ([`Base`]) and what
//! differs between them (PROTOCOLS.md §2.6).

use std::time::Duration;

/// The lifetime Zebu documents for its access tokens.
const ZEBU_TOKEN_TTL: Duration = Duration::from_secs(3600);

/// One REST base of a preset. Which bases a preset has is [`Preset::base_segment`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Base {
    /// The OAuth base (`NorenWClientAPI`, Tradesmart's `NorenWClientAPIv2`): GenAcsTok, Bearer
    /// sessions.
    OAuth,
    /// Shoonya's legacy `NorenWClientTP`: QuickAuth, jKey sessions.
    Legacy,
    /// Flattrade's `PiConnectAPI`: jKey sessions from its token service.
    PiConnect,
}

impl Base {
    /// Every base.
    pub(crate) const ALL: [Base; 3] = [Base::OAuth, Base::Legacy, Base::PiConnect];

    /// Whether sessions on this base send `Authorization: Bearer` (else `&jKey=`).
    pub(crate) fn uses_bearer(self) -> bool {
        self == Base::OAuth
    }
}

/// A Noren broker, named as in brokerlink's presets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Preset {
    /// Kambala: OAuth; GenAcsTok answers like its documentation's sample (no `stat`).
    Kambala,
    /// Shoonya (Finvasia): OAuth, plus QuickAuth on the legacy base; login failures are HTTP 400.
    Shoonya,
    /// Zebu: OAuth with RefreshToken; `expires_in` is a duration.
    Zebu,
    /// Tradesmart: OAuth on `NorenWClientAPIv2`.
    Tradesmart,
    /// Flattrade: its own token service, jKey sessions on `PiConnectAPI`.
    Flattrade,
}

impl Preset {
    /// Every preset, in the order the startup line lists them.
    pub(crate) const ALL: [Preset; 5] = [
        Preset::Kambala,
        Preset::Shoonya,
        Preset::Zebu,
        Preset::Tradesmart,
        Preset::Flattrade,
    ];

    /// The preset's name, as in paths (`/noren/<name>/...`) and [`NorenAccount::preset`](crate::NorenAccount::preset).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Preset::Kambala => "kambala",
            Preset::Shoonya => "shoonya",
            Preset::Zebu => "zebu",
            Preset::Tradesmart => "tradesmart",
            Preset::Flattrade => "flattrade",
        }
    }

    /// The preset called `name` (exact, lower case).
    pub(crate) fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The path segment of `base` at this preset, when the preset has that base.
    pub(crate) fn base_segment(self, base: Base) -> Option<&'static str> {
        match (self, base) {
            (Preset::Kambala | Preset::Shoonya | Preset::Zebu, Base::OAuth) => {
                Some("NorenWClientAPI")
            }
            (Preset::Tradesmart, Base::OAuth) => Some("NorenWClientAPIv2"),
            (Preset::Shoonya, Base::Legacy) => Some("NorenWClientTP"),
            (Preset::Flattrade, Base::PiConnect) => Some("PiConnectAPI"),
            _ => None,
        }
    }

    /// The base [`Sim::noren_base_url`](crate::Sim::noren_base_url) names.
    pub(crate) fn main_base(self) -> Base {
        match self {
            Preset::Flattrade => Base::PiConnect,
            _ => Base::OAuth,
        }
    }

    /// The path of `base` at this preset (`/noren/kambala/NorenWClientAPI`), when it has it.
    pub(crate) fn base_path(self, base: Base) -> Option<String> {
        self.base_segment(base)
            .map(|segment| format!("/noren/{}/{segment}", self.name()))
    }

    /// The path of the browser login page: `/noren/<name>/OAuthlogin/authorize/oauth`, or
    /// Flattrade's `/noren/flattrade/auth/`.
    pub(crate) fn authorize_path(self) -> String {
        match self {
            Preset::Flattrade => "/noren/flattrade/auth/".to_owned(),
            _ => format!("/noren/{}/OAuthlogin/authorize/oauth", self.name()),
        }
    }

    /// The HTTP status of a failed login. Sim choice: PROTOCOLS.md §2.1 says live Noren servers
    /// answer failures with 200 or 400; Shoonya answers 400 here and every other preset 200, so
    /// that clients meet both.
    pub(crate) fn login_failure_status(self) -> u16 {
        match self {
            Preset::Shoonya => 400,
            _ => 200,
        }
    }

    /// The Limits field holding unrealised MTM: `unmtom`, or `urmtom` (the name in the docs' own
    /// sample) at Zebu and Tradesmart, so that clients read both.
    pub(crate) fn unrealised_mtm_field(self) -> &'static str {
        match self {
            Preset::Zebu | Preset::Tradesmart => "urmtom",
            _ => "unmtom",
        }
    }

    /// Whether the preset has `RefreshToken` (Zebu only: the only broker that documents it).
    pub(crate) fn has_refresh(self) -> bool {
        self == Preset::Zebu
    }

    /// How long a session lives: `token_ttl`, but at most 3600 s at Zebu (its documented
    /// lifetime).
    pub(crate) fn session_ttl(self, token_ttl: Duration) -> Duration {
        match self {
            Preset::Zebu => token_ttl.min(ZEBU_TOKEN_TTL),
            _ => token_ttl,
        }
    }

    /// The `brkname` the preset reports (sim choice: the preset's name in upper case).
    pub(crate) fn broker_name(self) -> &'static str {
        match self {
            Preset::Kambala => "KAMBALA",
            Preset::Shoonya => "SHOONYA",
            Preset::Zebu => "ZEBU",
            Preset::Tradesmart => "TRADESMART",
            Preset::Flattrade => "FLATTRADE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for preset in Preset::ALL {
            assert_eq!(Preset::from_name(preset.name()), Some(preset));
        }
        assert_eq!(Preset::from_name("Kambala"), None);
    }

    #[test]
    fn every_preset_has_its_main_base() {
        for preset in Preset::ALL {
            assert!(preset.base_path(preset.main_base()).is_some(), "{preset:?}");
        }
        assert_eq!(
            Preset::Shoonya.base_path(Base::Legacy).as_deref(),
            Some("/noren/shoonya/NorenWClientTP")
        );
        assert_eq!(Preset::Zebu.base_path(Base::Legacy), None);
    }

    #[test]
    fn zebu_sessions_last_an_hour_at_most() {
        let day = Duration::from_secs(86_400);
        assert_eq!(Preset::Zebu.session_ttl(day), ZEBU_TOKEN_TTL);
        assert_eq!(
            Preset::Zebu.session_ttl(Duration::from_secs(60)).as_secs(),
            60
        );
        assert_eq!(Preset::Kambala.session_ttl(day), day);
    }
}
