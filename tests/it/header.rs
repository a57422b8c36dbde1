//! The header is the contract: it must be exactly what cbindgen generates
//! from the source, and every export must sit behind the panic boundary.

use crate::bindings_support::exported_symbols;
use std::path::Path;

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// What cbindgen makes of src/ffi with cbindgen.toml, with the
/// `BrokerStatus` enum written from the one status table in src/error.rs
/// (cbindgen cannot give Rust's `Status::Auth` the C name `BROKER_ERR_AUTH`).
fn generate_header() -> String {
    let mut config = cbindgen::Config::from_file(Path::new(CRATE_DIR).join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
    let after_includes = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(format!(
        "{after_includes}\n{}",
        brokerlink::Status::c_enum()
    ));
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(CRATE_DIR)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    String::from_utf8(out).expect("the header is UTF-8")
}

#[test]
fn checked_in_header_is_current() {
    let path = Path::new(CRATE_DIR).join("include/brokerlink.h");
    let generated = generate_header();
    if std::env::var_os("BROKERLINK_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/brokerlink.h");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "include/brokerlink.h is stale: run `make header` and commit it"
    );
}

#[test]
fn header_version_macros_match_cargo() {
    let header =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("include/brokerlink.h")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(header.contains(&format!("#define BROKERLINK_VERSION \"{version}\"")));
    for (name, value) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert!(
            header.contains(&format!("#define BROKERLINK_VERSION_{name} {value}")),
            "BROKERLINK_VERSION_{name} differs from Cargo.toml"
        );
    }
}

/// The function names the header declares (`broker_new(`…).
fn header_functions(header: &str) -> Vec<String> {
    header
        .lines()
        .filter(|line| !line.starts_with(' ') && !line.starts_with('#'))
        .filter_map(|line| line.split_once("broker_"))
        .filter_map(|(_, rest)| {
            rest.split_once('(')
                .map(|(name, _)| format!("broker_{name}"))
        })
        .filter(|name| name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric()))
        .collect()
}

/// Every C export holds the panic boundary and is declared in the header,
/// and the library exports a stdcall twin (`brokervb_*`, for VBA) of every
/// function the header declares. The twins hold the same boundary: each
/// forwards to its original (src/ffi/vba.rs's `twins!` table, which the
/// compiler checks), except `brokervb_set_logger`, whose stdcall callback
/// cannot be forwarded and which installs the logger behind its own.
#[test]
fn every_export_has_the_panic_boundary_and_a_vba_twin() {
    let header =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("include/brokerlink.h")).unwrap();
    let mut c_exports = 0;
    for entry in std::fs::read_dir(Path::new(CRATE_DIR).join("src/ffi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in source.split("#[unsafe(no_mangle)]").skip(1) {
            let signature = chunk.split(" {\n").next().unwrap();
            let name = signature
                .split("fn ")
                .nth(1)
                .unwrap()
                .split('(')
                .next()
                .unwrap();
            let body = chunk
                .split_once(" {\n")
                .unwrap()
                .1
                .split("\n}\n")
                .next()
                .unwrap();
            if name.starts_with('$') {
                continue; // the template inside the twins! macro
            }
            assert!(
                body.contains("fallible!(")
                    || body.contains("infallible(")
                    || body.contains("set_logger("),
                "{name} has no panic boundary"
            );
            if name.starts_with("broker_") {
                c_exports += 1;
                assert!(
                    signature.contains("extern \"C\""),
                    "{name} must be extern \"C\""
                );
                assert!(
                    header.contains(&format!("{name}(")),
                    "{name} is missing from the header"
                );
            } else {
                assert_eq!(name, "brokervb_set_logger", "{name} is not an API name");
            }
        }
    }
    let declared = header_functions(&header);
    assert_eq!(
        declared.len(),
        c_exports,
        "the header declares {declared:?}"
    );
    let symbols = exported_symbols();
    for name in &declared {
        assert!(symbols.contains(name), "{name} is not exported");
        let twin = name.replacen("broker_", "brokervb_", 1);
        assert!(symbols.contains(&twin), "{name} has no VBA twin {twin}");
        assert!(
            !header.contains(&twin),
            "{twin} is a VBA twin and must not be in the header"
        );
    }
}

#[test]
fn header_declares_only_the_c_api() {
    let header =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("include/brokerlink.h")).unwrap();
    for line in header.lines() {
        let declared = line
            .strip_prefix("#define ")
            .or_else(|| line.strip_prefix("enum "))
            .or_else(|| line.strip_prefix("typedef struct "))
            .or_else(|| line.strip_prefix("  ").filter(|l| l.contains(" = ")));
        if let Some(name) = declared {
            let ok = ["BROKER", "Broker", "broker_"]
                .iter()
                .any(|p| name.starts_with(p));
            assert!(ok, "the header declares a non-API item: {line}");
        }
    }
}
