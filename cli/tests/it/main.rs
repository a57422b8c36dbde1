//! The `brokerlink` command-line tool, run as a process against brokersim
//! (one integration test binary for the crate): TOTP and browser logins
//! (caught on loopback, or pasted), results as a table and as JSON, exit
//! codes, profiles, and a session file shared with a C program.

mod support;

mod commands;
mod oauth;
mod shared_with_c;
