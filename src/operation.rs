//! [`Operation`]: what a call does, for pacing, logging and reading replies.

/// The operations a session performs. Pacing, logging and the
/// `rate_limits` config count them one by one, and a broker reads a reply in
/// the light of the operation it answers (the same code can mean a wrong PIN
/// at login and a broker fault later).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// Logging in.
    Login,
    /// Trading the refresh token.
    Refresh,
    /// Reading the profile.
    Profile,
    /// Reading funds.
    Funds,
    /// Logging out.
    Logout,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 5] = [
        Operation::Login,
        Operation::Refresh,
        Operation::Profile,
        Operation::Funds,
        Operation::Logout,
    ];

    /// The name used in config (`rate_limits`) and messages.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Login => "login",
            Operation::Refresh => "refresh",
            Operation::Profile => "profile",
            Operation::Funds => "funds",
            Operation::Logout => "logout",
        }
    }

    /// The operation's place in [`Operation::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
