//! Which Noren page or endpoint a path names ([`Route`]).
//!
//! Paths are matched exactly: a path containing `//` (a base URL joined with a trailing `/` and
//! `/Endpoint`), a trailing `/` after an endpoint or an endpoint a base does not have is not
//! found.

use crate::noren::preset::{Base, Preset};

/// Every Noren path starts with this.
pub(crate) const PATH_PREFIX: &str = "/noren/";

/// A REST endpoint, `POST <base>/<Endpoint>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `GenAcsTok`: trades an OAuth code for an access token (OAuth bases).
    GenAcsTok,
    /// `RefreshToken`: a new access token for a refresh token (Zebu's OAuth base).
    RefreshToken,
    /// `QuickAuth`: password + TOTP login (Shoonya's legacy base).
    QuickAuth,
    /// `UserDetails`: the profile.
    UserDetails,
    /// `Limits`: the funds.
    Limits,
    /// `Logout`: ends the session.
    Logout,
}

impl Endpoint {
    /// Every endpoint.
    const ALL: [Endpoint; 6] = [
        Endpoint::GenAcsTok,
        Endpoint::RefreshToken,
        Endpoint::QuickAuth,
        Endpoint::UserDetails,
        Endpoint::Limits,
        Endpoint::Logout,
    ];

    /// The endpoint's name, as the last path segment.
    fn name(self) -> &'static str {
        match self {
            Endpoint::GenAcsTok => "GenAcsTok",
            Endpoint::RefreshToken => "RefreshToken",
            Endpoint::QuickAuth => "QuickAuth",
            Endpoint::UserDetails => "UserDetails",
            Endpoint::Limits => "Limits",
            Endpoint::Logout => "Logout",
        }
    }

    /// Whether `base` at `preset` has this endpoint. Sim choice: GenAcsTok exists on OAuth bases
    /// only (not on Shoonya's legacy base nor on Flattrade's PiConnectAPI).
    fn is_served(self, preset: Preset, base: Base) -> bool {
        match self {
            Endpoint::GenAcsTok => base == Base::OAuth,
            Endpoint::RefreshToken => base == Base::OAuth && preset.has_refresh(),
            Endpoint::QuickAuth => base == Base::Legacy,
            Endpoint::UserDetails | Endpoint::Limits | Endpoint::Logout => true,
        }
    }
}

/// What a Noren path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /noren/callback`: the demo accounts' redirect target, showing the code.
    Callback,
    /// `GET /noren/<preset>/OAuthlogin/authorize/oauth` or `/noren/flattrade/auth/`: the browser
    /// login, answered with a redirect carrying a fresh code.
    Authorize(Preset),
    /// `GET /noren/shoonya/OAuthlogin/investor-entry-level/login?api_key=<client id>&route_to=<user id>`:
    /// Shoonya's second hosted login page (PROTOCOLS.md §2.6), redirecting like the first.
    InvestorEntry,
    /// `POST /noren/flattrade/trade/apitoken`: Flattrade's token service.
    FlattradeToken,
    /// `POST <base>/<Endpoint>`.
    Rest {
        /// The preset the base belongs to.
        preset: Preset,
        /// Which of the preset's bases.
        base: Base,
        /// The endpoint.
        endpoint: Endpoint,
    },
}

impl Route {
    /// The only method the route answers.
    pub(crate) fn method(self) -> &'static str {
        match self {
            Route::Callback | Route::Authorize(_) | Route::InvestorEntry => "GET",
            Route::FlattradeToken | Route::Rest { .. } => "POST",
        }
    }

    /// The route of `path` (without query); `None` for paths the simulator does not serve.
    /// Flattrade's login page is served with and without its trailing `/` (sim choice, for
    /// people typing it by hand).
    pub(crate) fn parse(path: &str) -> Option<Route> {
        if path.contains("//") {
            return None;
        }
        let rest = path.strip_prefix(PATH_PREFIX)?;
        if rest == "callback" {
            return Some(Route::Callback);
        }
        let (preset, rest) = rest.split_once('/')?;
        let preset = Preset::from_name(preset)?;
        match (preset, rest) {
            (Preset::Flattrade, "auth/" | "auth") => Some(Route::Authorize(preset)),
            (Preset::Flattrade, "trade/apitoken") => Some(Route::FlattradeToken),
            (Preset::Flattrade, _) => rest_route(preset, rest),
            (_, "OAuthlogin/authorize/oauth") => Some(Route::Authorize(preset)),
            (Preset::Shoonya, "OAuthlogin/investor-entry-level/login") => {
                Some(Route::InvestorEntry)
            }
            _ => rest_route(preset, rest),
        }
    }
}

/// The REST route of `<segment>/<Endpoint>` at `preset`.
fn rest_route(preset: Preset, rest: &str) -> Option<Route> {
    let (segment, name) = rest.split_once('/')?;
    let base = Base::ALL
        .into_iter()
        .find(|base| preset.base_segment(*base) == Some(segment))?;
    let endpoint = Endpoint::ALL
        .into_iter()
        .find(|e| e.name() == name && e.is_served(preset, base))?;
    Some(Route::Rest {
        preset,
        base,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(preset: Preset, base: Base, endpoint: Endpoint) -> Option<Route> {
        Some(Route::Rest {
            preset,
            base,
            endpoint,
        })
    }

    #[test]
    fn rest_endpoints_per_base() {
        use Endpoint::*;
        let parse = Route::parse;
        assert_eq!(
            parse("/noren/kambala/NorenWClientAPI/GenAcsTok"),
            rest(Preset::Kambala, Base::OAuth, GenAcsTok)
        );
        assert_eq!(
            parse("/noren/tradesmart/NorenWClientAPIv2/Limits"),
            rest(Preset::Tradesmart, Base::OAuth, Limits)
        );
        assert_eq!(
            parse("/noren/zebu/NorenWClientAPI/RefreshToken"),
            rest(Preset::Zebu, Base::OAuth, RefreshToken)
        );
        assert_eq!(
            parse("/noren/shoonya/NorenWClientTP/QuickAuth"),
            rest(Preset::Shoonya, Base::Legacy, QuickAuth)
        );
        assert_eq!(
            parse("/noren/flattrade/PiConnectAPI/UserDetails"),
            rest(Preset::Flattrade, Base::PiConnect, UserDetails)
        );
        for missing in [
            "/noren/kambala/NorenWClientAPI/RefreshToken",
            "/noren/shoonya/NorenWClientAPI/QuickAuth",
            "/noren/shoonya/NorenWClientTP/GenAcsTok",
            "/noren/flattrade/PiConnectAPI/GenAcsTok",
            "/noren/tradesmart/NorenWClientAPI/Limits",
            "/noren/zebu/NorenWClientTP/Limits",
            "/noren/kambala/NorenWClientAPI/Limits/",
            "/noren/kambala/NorenWClientAPI//Limits",
            "/noren//kambala/NorenWClientAPI/Limits",
            "/noren/kambala/NorenWClientAPI/Nope",
            "/noren/Kambala/NorenWClientAPI/Limits",
            "/noren/kambala",
            "/noren/",
        ] {
            assert_eq!(parse(missing), None, "{missing}");
        }
    }

    #[test]
    fn pages() {
        assert_eq!(Route::parse("/noren/callback"), Some(Route::Callback));
        assert_eq!(
            Route::parse("/noren/zebu/OAuthlogin/authorize/oauth"),
            Some(Route::Authorize(Preset::Zebu))
        );
        assert_eq!(
            Route::parse("/noren/flattrade/OAuthlogin/authorize/oauth"),
            None
        );
        for path in ["/noren/flattrade/auth/", "/noren/flattrade/auth"] {
            assert_eq!(
                Route::parse(path),
                Some(Route::Authorize(Preset::Flattrade))
            );
        }
        assert_eq!(
            Route::parse("/noren/flattrade/trade/apitoken"),
            Some(Route::FlattradeToken)
        );
        assert_eq!(Route::parse("/noren/zebu/trade/apitoken"), None);
    }
}
