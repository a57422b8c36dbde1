//! brokerlink's integration tests, in one binary: each module drives the
//! library through its C ABI as a host program would, against brokersim.
//! One binary links once, where a binary per file linked eighteen times.
//!
//! Tests that need a process of their own (a process-wide logger, proxy
//! variables in the environment) run their body in a child process of this
//! binary (`crate::support::run_test_alone`).

mod bindings_support;
mod support;

mod abi_inputs;
mod angelone;
mod bindings_cpp;
mod bindings_dotnet;
mod bindings_python;
mod bindings_vba;
mod bindings_vba_twins;
mod c_abi;
mod dhan;
mod fyers;
mod header;
mod logger;
mod noren;
mod packaging;
mod properties;
mod proxy;
mod refusals;
mod secrets;
mod session_file;
mod session_state;
mod staying_alive;
mod threads;
mod tls;
mod upstox;
mod zerodha;
