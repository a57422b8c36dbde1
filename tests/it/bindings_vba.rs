//! The Excel/VBA binding, bindings/vba/BrokerLink.bas, checked without
//! Excel: every `Declare` in the module names a function the built library
//! exports, with the same number of parameters and matching types, in both
//! the 64-bit branch (the C exports) and the 32-bit one (the stdcall
//! `brokervb_*` twins), and every Windows API it declares has its Win32
//! signature. A wrong `Declare` would crash Excel instead of failing here.
//! tests/bindings_vba_twins.rs proves that the twins behave like the C
//! functions.

use crate::bindings_support::*;
use std::collections::{BTreeMap, BTreeSet};

const BAS: &str = "bindings/vba/BrokerLink.bas";

/// One parameter of a VBA `Declare`.
#[derive(Debug, Clone, PartialEq)]
struct VbaParam {
    by_ref: bool,
    ty: String,
}

/// One `Declare` line of the module.
#[derive(Debug, Clone)]
struct Declare {
    line: String,
    /// `Some(true)` inside `#If Win64`, `Some(false)` in its `#Else`.
    win64: Option<bool>,
    vba_name: String,
    lib: String,
    /// The exported name: the alias, else the VBA name.
    symbol: String,
    params: Vec<VbaParam>,
    /// The return type, empty for a `Sub`.
    returns: String,
}

fn parse_declare(line: &str, win64: Option<bool>) -> Declare {
    let fail = |why: &str| -> ! { panic!("{BAS}: {why}: {line}") };
    let rest = line
        .trim()
        .trim_start_matches("Private ")
        .trim_start_matches("Public ")
        .strip_prefix("Declare ")
        .unwrap_or_else(|| fail("not a Declare"));
    let rest = rest
        .strip_prefix("PtrSafe ")
        .unwrap_or_else(|| fail("every Declare must be PtrSafe"));
    let (is_function, rest) = if let Some(rest) = rest.strip_prefix("Function ") {
        (true, rest)
    } else if let Some(rest) = rest.strip_prefix("Sub ") {
        (false, rest)
    } else {
        fail("neither Function nor Sub")
    };
    let vba_name = rest.split_whitespace().next().unwrap();
    let (lib, rest) = between(rest, "Lib \"", "\"").unwrap_or_else(|| fail("no Lib"));
    let (symbol, rest) = match rest.trim_start().strip_prefix("Alias ") {
        Some(aliased) => between(aliased, "\"", "\"").unwrap_or_else(|| fail("bad Alias")),
        None => (vba_name, rest),
    };
    let (params, rest) = between(rest, "(", ")").unwrap_or_else(|| fail("no parameter list"));
    let params = params
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let words: Vec<&str> = p.split_whitespace().collect();
            match words.as_slice() {
                [pass @ ("ByVal" | "ByRef"), _name, "As", ty] => VbaParam {
                    by_ref: *pass == "ByRef",
                    ty: ty.to_string(),
                },
                _ => fail("each parameter must read `ByVal|ByRef name As Type`"),
            }
        })
        .collect();
    let returns = rest
        .trim()
        .strip_prefix("As ")
        .unwrap_or("")
        .trim()
        .to_string();
    if is_function == returns.is_empty() {
        fail("a Function needs `As Type`, a Sub must have none");
    }
    Declare {
        line: line.trim().to_string(),
        win64,
        vba_name: vba_name.to_string(),
        lib: lib.to_string(),
        symbol: symbol.to_string(),
        params,
        returns,
    }
}

/// Every `Declare` in the module, with the `#If Win64` branch it sits in.
fn declares(bas: &str) -> Vec<Declare> {
    let mut win64 = None;
    let mut found = Vec::new();
    for line in bas.lines() {
        let trimmed = line.trim();
        match trimmed {
            "#If Win64 Then" => win64 = Some(true),
            "#Else" if win64.is_some() => win64 = Some(false),
            "#End If" => win64 = None,
            _ if trimmed.contains("Declare ") && !trimmed.starts_with('\'') => {
                found.push(parse_declare(trimmed, win64))
            }
            _ => {}
        }
    }
    found
}

/// Whether a VBA parameter passes what the Rust parameter expects. `ByVal
/// LongPtr` is a pointer-sized value (a pointer to data), `ByRef LongPtr`
/// the address of one (a `T **` out-parameter), `ByVal Long` a 32-bit
/// integer. A log callback is a function pointer: VBA passes `AddressOf` as
/// a `ByVal LongPtr`.
fn param_matches(vba: &VbaParam, rust: &str) -> bool {
    let pointee = rust
        .strip_prefix("*const ")
        .or_else(|| rust.strip_prefix("*mut "));
    match (vba.by_ref, vba.ty.as_str()) {
        (false, "LongPtr") => {
            pointee.is_some_and(|t| !t.starts_with('*'))
                || rust == "usize"
                || rust.ends_with("LogCallback")
        }
        (true, "LongPtr") => rust.starts_with("*mut *"),
        (false, "Long") => rust == "i32" || rust == "u32",
        _ => false,
    }
}

fn return_matches(vba: &str, rust: &str) -> bool {
    match vba {
        "" => rust.is_empty(),
        "Long" => rust == "i32" || rust == "u32",
        "LongPtr" => rust.starts_with('*'),
        _ => false,
    }
}

/// The Win32 functions the module may declare, with their signatures.
fn windows_api(name: &str) -> Option<(&'static [(bool, &'static str)], &'static str)> {
    const PTR: (bool, &str) = (false, "LongPtr");
    const INT: (bool, &str) = (false, "Long");
    Some(match name {
        "LoadLibraryW" => (&[PTR], "LongPtr"),
        "lstrlenA" => (&[PTR], "Long"),
        "MultiByteToWideChar" => (&[INT, INT, PTR, INT, PTR, INT], "Long"),
        "WideCharToMultiByte" => (&[INT, INT, PTR, INT, PTR, INT, PTR, PTR], "Long"),
        _ => return None,
    })
}

#[test]
fn every_vba_declaration_names_an_export_with_the_same_signature() {
    let bas = std::fs::read_to_string(format!("{CRATE_DIR}/{BAS}")).unwrap();
    let declares = declares(&bas);
    let rust = ffi_exports();
    let exported = exported_symbols();
    let mut win64_names = BTreeMap::new();
    let mut win32_names = BTreeMap::new();

    for d in &declares {
        assert!(
            !d.line.contains("As String"),
            "a Declare passing String converts to ANSI and corrupts non-ASCII text: {}",
            d.line
        );
        if d.lib == "kernel32" {
            let (params, returns) = windows_api(&d.symbol)
                .unwrap_or_else(|| panic!("no Win32 signature on file for {}", d.line));
            let declared: Vec<(bool, &str)> =
                d.params.iter().map(|p| (p.by_ref, p.ty.as_str())).collect();
            assert_eq!(declared, params, "Win32 parameters of {}", d.line);
            assert_eq!(d.returns, returns, "Win32 return type of {}", d.line);
            assert_eq!(d.win64, None, "{} must not depend on the bitness", d.symbol);
            continue;
        }
        assert_eq!(d.lib, "brokerlink.dll", "unexpected library in {}", d.line);
        assert!(
            exported.contains(&d.symbol),
            "{} is not exported by {}: {}",
            d.symbol,
            library_path().display(),
            d.line
        );
        let export = rust
            .get(&d.symbol)
            .unwrap_or_else(|| panic!("{} is not in src/ffi", d.symbol));
        assert_eq!(
            d.params.len(),
            export.params.len(),
            "parameter count of {}",
            d.line
        );
        for (vba, rust) in d.params.iter().zip(&export.params) {
            assert!(
                param_matches(vba, rust),
                "{vba:?} cannot pass Rust's `{rust}` in {}",
                d.line
            );
        }
        assert!(
            return_matches(&d.returns, &export.returns),
            "return type `{}` does not match Rust's `{}` in {}",
            d.returns,
            export.returns,
            d.line
        );
        match d.win64 {
            Some(true) => {
                assert!(d.symbol.starts_with("broker_"), "{}", d.line);
                assert_eq!(export.abi, "C");
                win64_names.insert(d.vba_name.clone(), d.clone());
            }
            Some(false) => {
                assert!(
                    d.symbol.starts_with("brokervb_"),
                    "32-bit VBA needs the stdcall twins: {}",
                    d.line
                );
                assert_eq!(export.abi, "system", "{} must be stdcall", d.symbol);
                win32_names.insert(d.vba_name.clone(), d.clone());
            }
            None => panic!("declare it in both #If Win64 branches: {}", d.line),
        }
        assert!(
            bas.matches(&format!("{}(", d.vba_name)).count()
                + bas.matches(&format!("{} ", d.vba_name)).count()
                > 2,
            "{} is declared but never used",
            d.vba_name
        );
    }

    // Both branches declare the same VBA names with the same parameters,
    // bound to the two exports of the same function.
    assert_eq!(
        win64_names.keys().collect::<Vec<_>>(),
        win32_names.keys().collect::<Vec<_>>(),
        "the #If Win64 branches declare different functions"
    );
    for (name, d64) in &win64_names {
        let d32 = &win32_names[name];
        assert_eq!(
            d64.params, d32.params,
            "{name}'s parameters differ by bitness"
        );
        assert_eq!(
            d64.returns, d32.returns,
            "{name}'s return type differs by bitness"
        );
        assert_eq!(
            d64.symbol.replacen("broker_", "brokervb_", 1),
            d32.symbol,
            "{name} binds different functions by bitness"
        );
    }
    // And together they cover the whole C API.
    let declared: BTreeSet<&String> = win64_names.values().map(|d| &d.symbol).collect();
    for symbol in exported.iter().filter(|s| s.starts_with("broker_")) {
        assert!(declared.contains(symbol), "{BAS} does not declare {symbol}");
    }

    // The module refuses a library of another version.
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let minor = env!("CARGO_PKG_VERSION_MINOR");
    assert!(bas.contains(&format!(
        "Private Const EXPECTED_VERSION As String = \"{}\"",
        env!("CARGO_PKG_VERSION")
    )));
    assert!(bas.contains(&format!(
        "Private Const EXPECTED_ABI_VERSION As Long = {major} * 65536 + {minor}"
    )));
}
