//! brokersim's integration tests, in one binary: each module talks to a
//! running simulator over plain sockets, as a broker client would.

mod common;

mod angel_login;
mod angel_session;
mod cli;
mod dhan;
mod faults;
mod fyers;
mod noren_flattrade;
mod noren_oauth;
mod noren_quickauth;
mod noren_session;
mod noren_wire;
mod rate_limits;
mod refusals;
mod robustness;
mod server;
mod tls;
mod upstox;
mod zerodha;
