//! The header is the contract: it must be exactly what cbindgen generates
//! from the source, and every export must sit behind the panic boundary.

use std::path::Path;

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn generate_header() -> String {
    let config = cbindgen::Config::from_file(Path::new(CRATE_DIR).join("cbindgen.toml"))
        .expect("cbindgen.toml is readable");
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
        "include/brokerlink.h is stale: run `BROKERLINK_BLESS=1 cargo test --test header` and commit it"
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

/// Every `extern` function in src/ffi with its body, split by the text.
fn exports() -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(Path::new(CRATE_DIR).join("src/ffi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in source.split("#[unsafe(no_mangle)]").skip(1) {
            let name = chunk
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split('(').next())
                .unwrap()
                .trim()
                .to_string();
            let body = chunk.split("\n}\n").next().unwrap().to_string();
            found.push((name, body));
        }
    }
    found
}

#[test]
fn every_export_has_the_panic_boundary_and_is_in_the_header() {
    let header =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("include/brokerlink.h")).unwrap();
    let exports = exports();
    assert!(exports.len() >= 12, "found only {} exports", exports.len());
    for (name, body) in exports {
        assert!(
            body.contains("fallible!(") || body.contains("infallible("),
            "{name} has no panic boundary"
        );
        if name.starts_with("broker_") {
            assert!(
                header.contains(&format!("{name}(")),
                "{name} is missing from the header"
            );
        }
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
