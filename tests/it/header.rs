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

/// One `#[unsafe(no_mangle)]` function in src/ffi, split by the text.
struct Export {
    name: String,
    /// `"C"` or `"system"`.
    abi: String,
    /// Each parameter as written, e.g. `out_json: *mut *mut c_char`.
    params: Vec<String>,
    /// The return type as written, empty for none.
    returns: String,
    /// The statements between the outer braces.
    body: String,
}

impl Export {
    fn parse(chunk: &str) -> Export {
        let signature = chunk.split(" {\n").next().unwrap();
        let after_fn = signature.split("fn ").nth(1).unwrap();
        let (name, rest) = after_fn.split_once('(').unwrap();
        let (params, returns) = rest.split_once(')').unwrap();
        let abi = signature
            .split("extern \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("");
        let body = chunk.split_once(" {\n").unwrap().1;
        Export {
            name: name.trim().to_string(),
            abi: abi.to_string(),
            params: params
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(String::from)
                .collect(),
            returns: returns.trim().trim_start_matches("->").trim().to_string(),
            body: body.split("\n}\n").next().unwrap().to_string(),
        }
    }

    /// The parameter names in order.
    fn arg_names(&self) -> Vec<&str> {
        self.params
            .iter()
            .map(|p| p.split(':').next().unwrap().trim())
            .collect()
    }

    /// The body without comments and whitespace.
    fn code(&self) -> String {
        self.body
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .flat_map(|line| line.split_whitespace())
            .collect()
    }
}

/// Every exported function in src/ffi.
fn exports() -> Vec<Export> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(Path::new(CRATE_DIR).join("src/ffi")).unwrap() {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for chunk in source.split("#[unsafe(no_mangle)]").skip(1) {
            found.push(Export::parse(chunk));
        }
    }
    found
}

/// Every C export holds the panic boundary and is declared in the header.
/// Every one also has a VBA twin (`brokervb_*`, stdcall) that is hidden from
/// the header and does nothing but forward its own arguments, unchanged and
/// in order, to the C export of the same name, so the twin is behind the
/// same boundary.
#[test]
fn every_export_has_the_panic_boundary_and_is_in_the_header() {
    let header =
        std::fs::read_to_string(Path::new(CRATE_DIR).join("include/brokerlink.h")).unwrap();
    let exports = exports();
    let find = |name: &str| exports.iter().find(|e| e.name == name);
    let c_exports = exports
        .iter()
        .filter(|e| e.name.starts_with("broker_"))
        .count();
    assert!(c_exports >= 12, "found only {c_exports} C exports");
    // The twin of broker_set_logger takes a stdcall callback, so it cannot
    // forward to the C export (whose callback is cdecl): it installs the
    // logger itself and must hold its own panic boundary.
    const OWN_BOUNDARY_TWINS: [&str; 1] = ["brokervb_set_logger"];
    for export in &exports {
        let name = &export.name;
        if OWN_BOUNDARY_TWINS.contains(&name.as_str()) {
            assert_eq!(export.abi, "system", "{name} must be extern \"system\"");
            assert!(
                export.body.contains("infallible("),
                "{name} has no panic boundary"
            );
            assert!(
                !header.contains(name.as_str()),
                "{name} must not be in the header"
            );
        } else if let Some(operation) = name.strip_prefix("brokervb_") {
            let original = find(&format!("broker_{operation}"))
                .unwrap_or_else(|| panic!("{name} twins no broker_{operation}"));
            assert_eq!(export.abi, "system", "{name} must be extern \"system\"");
            assert_eq!(export.params, original.params, "{name}'s parameters");
            assert_eq!(export.returns, original.returns, "{name}'s return type");
            let call = format!("broker_{operation}({})", export.arg_names().join(","));
            assert!(
                export.code() == call || export.code() == format!("unsafe{{{call}}}"),
                "{name} must only forward its arguments to broker_{operation}, found: {}",
                export.body
            );
            assert!(
                !header.contains(name.as_str()),
                "{name} is a VBA twin and must not be in the header"
            );
        } else {
            assert!(name.starts_with("broker_"), "{name} is not an API name");
            assert_eq!(export.abi, "C", "{name} must be extern \"C\"");
            assert!(
                export.body.contains("fallible!(") || export.body.contains("infallible("),
                "{name} has no panic boundary"
            );
            assert!(
                header.contains(&format!("{name}(")),
                "{name} is missing from the header"
            );
            let twin = name.replacen("broker_", "brokervb_", 1);
            assert!(find(&twin).is_some(), "{name} has no VBA twin {twin}");
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
