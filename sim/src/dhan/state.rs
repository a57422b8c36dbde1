//! Dhan's server-side state: accounts, live tokens, consents and their single-use tokenIds,
//! the daily consent count, and rate-limit history.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use crate::dhan::account::DhanAccount;
use crate::dhan::wire::{Consumer, Signer, uuid};
use crate::rate_limit::RateLimiter;
use crate::time::{has_passed, unix_secs, unix_secs_after};

/// Every access token lasts 24 hours (PROTOCOLS.md §7.6), unless a test says otherwise.
pub(crate) const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long a tokenId from the consent page stays usable (not documented: UNCONFIRMED).
pub(crate) const TOKEN_ID_TTL: Duration = Duration::from_secs(120);
/// Tokens expired this long are forgotten.
const FORGET_EXPIRED_AFTER: u64 = 3600;

/// A live access token.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    /// Whose it is.
    pub(crate) client_id: String,
    /// Who generated it.
    pub(crate) consumer: Consumer,
    /// When it expires (unix seconds; its `exp` claim).
    pub(crate) expires_at: u64,
}

/// A consent from generate-consent.
#[derive(Clone, Debug)]
pub(crate) struct Consent {
    /// The client it was generated for.
    pub(crate) client_id: String,
    /// Whether the consent page already gave out its one tokenId.
    pub(crate) used: bool,
}

/// A tokenId the consent page handed out: single use, short-lived.
#[derive(Clone, Debug)]
pub(crate) struct TokenId {
    /// The client who logged in.
    pub(crate) client_id: String,
    /// When it stops working (unix seconds).
    pub(crate) expires_at: u64,
}

/// All Dhan state of one simulator.
pub(crate) struct DhanState {
    /// Accounts by client id.
    accounts: BTreeMap<String, DhanAccount>,
    /// Live tokens by their text (a renewed token is removed).
    tokens: HashMap<String, Token>,
    /// Consents by consentAppId.
    consents: HashMap<String, Consent>,
    /// Unused tokenIds.
    token_ids: HashMap<String, TokenId>,
    /// Consents generated per (client id, IST day).
    consents_per_day: HashMap<(String, i64), u32>,
    /// Accepted requests per (client id, endpoint).
    pub(crate) limiter: RateLimiter,
    /// Signs the tokens.
    signer: Signer,
    /// How long new tokens live.
    pub(crate) token_ttl: Duration,
}

impl Default for DhanState {
    fn default() -> DhanState {
        DhanState {
            accounts: BTreeMap::new(),
            tokens: HashMap::new(),
            consents: HashMap::new(),
            token_ids: HashMap::new(),
            consents_per_day: HashMap::new(),
            limiter: RateLimiter::default(),
            signer: Signer::new(),
            token_ttl: DEFAULT_TOKEN_TTL,
        }
    }
}

impl DhanState {
    /// Registers `account`, replacing one with the same client id.
    pub(crate) fn add_account(&mut self, account: DhanAccount) {
        self.accounts.insert(account.client_id.clone(), account);
    }

    /// All accounts, ordered by client id.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &DhanAccount> {
        self.accounts.values()
    }

    /// The account of `client_id`.
    pub(crate) fn account(&self, client_id: &str) -> Option<&DhanAccount> {
        self.accounts.get(client_id)
    }

    /// The account of `client_id`, for changing it.
    pub(crate) fn account_mut(&mut self, client_id: &str) -> Option<&mut DhanAccount> {
        self.accounts.get_mut(client_id)
    }

    /// The live (known and unexpired) token `text`.
    pub(crate) fn live_token(&self, text: &str, now: SystemTime) -> Option<&Token> {
        self.tokens
            .get(text)
            .filter(|token| !has_passed(token.expires_at, now))
    }

    /// Issues a token for `client_id`; returns it and its expiry.
    pub(crate) fn issue(
        &mut self,
        client_id: &str,
        consumer: Consumer,
        app_id: Option<&str>,
        now: SystemTime,
    ) -> (String, u64) {
        let horizon = unix_secs(now).saturating_sub(FORGET_EXPIRED_AFTER);
        self.tokens.retain(|_, token| token.expires_at > horizon);
        let expires_at = unix_secs_after(now, self.token_ttl);
        let text = self
            .signer
            .issue(client_id, consumer, app_id, unix_secs(now), expires_at);
        self.tokens.insert(
            text.clone(),
            Token {
                client_id: client_id.to_owned(),
                consumer,
                expires_at,
            },
        );
        (text, expires_at)
    }

    /// Ends a token: it is refused from now on.
    pub(crate) fn revoke(&mut self, text: &str) {
        self.tokens.remove(text);
    }

    /// Makes every token of `client_id` expire now.
    pub(crate) fn expire_tokens(&mut self, client_id: &str, now: SystemTime) {
        let now = unix_secs(now);
        for token in self.tokens.values_mut() {
            if token.client_id == client_id {
                token.expires_at = token.expires_at.min(now);
            }
        }
    }

    /// Counts a consent for `client_id` on IST day `day`, unless `cap` were passed; returns
    /// the new consent's id.
    pub(crate) fn generate_consent(
        &mut self,
        client_id: &str,
        day: i64,
        cap: u32,
    ) -> Option<String> {
        let count = self
            .consents_per_day
            .entry((client_id.to_owned(), day))
            .or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        let id = uuid();
        self.consents.insert(
            id.clone(),
            Consent {
                client_id: client_id.to_owned(),
                used: false,
            },
        );
        Some(id)
    }

    /// The consent page's work: the consent's one tokenId, or `None` for an unknown or used
    /// consent.
    pub(crate) fn consent_login(
        &mut self,
        consent_id: &str,
        now: SystemTime,
    ) -> Option<(String, String)> {
        let consent = self.consents.get_mut(consent_id).filter(|c| !c.used)?;
        consent.used = true;
        let client_id = consent.client_id.clone();
        self.token_ids.retain(|_, t| !has_passed(t.expires_at, now));
        let token_id = hex::encode(crate::random::bytes(24));
        self.token_ids.insert(
            token_id.clone(),
            TokenId {
                client_id: client_id.clone(),
                expires_at: unix_secs_after(now, TOKEN_ID_TTL),
            },
        );
        Some((client_id, token_id))
    }

    /// The client of an unused, unexpired tokenId (it stays unused).
    pub(crate) fn token_id(&self, token_id: &str, now: SystemTime) -> Option<&TokenId> {
        self.token_ids
            .get(token_id)
            .filter(|t| !has_passed(t.expires_at, now))
    }

    /// Uses up a tokenId.
    pub(crate) fn consume_token_id(&mut self, token_id: &str) {
        self.token_ids.remove(token_id);
    }

    /// Makes every unused tokenId expire now.
    pub(crate) fn expire_token_ids(&mut self, now: SystemTime) {
        let now = unix_secs(now);
        for token_id in self.token_ids.values_mut() {
            token_id.expires_at = token_id.expires_at.min(now);
        }
    }
}
