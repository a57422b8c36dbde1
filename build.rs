//! Gives the Linux shared library a versioned soname.
//!
//! Cargo links `libbrokerlink.so` with no soname, so a program linked against
//! it records the bare file name and picks up whatever library answers to that
//! name at run time, even one with an incompatible ABI. With a soname the
//! program records `libbrokerlink.so.<soversion>` instead, and `make install`
//! installs `libbrokerlink.so.<version>` with the usual symlinks, so several
//! ABI versions can live side by side.
//!
//! The soversion follows the crate version the way Cargo's semver rules do:
//! the major version from 1.0 on (`libbrokerlink.so.1`), and `0.<minor>` before
//! that (`libbrokerlink.so.0.1`), since every 0.x minor release may break the
//! ABI. The Makefile computes the same name for the install symlinks, and
//! tests/packaging.rs checks that the two agree.

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let soname = format!("libbrokerlink.so.{}", soversion());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    link_soname_in_target_dir(&soname);
}

/// `<major>` from 1.0 on, `0.<minor>` before.
fn soversion() -> String {
    let major = env::var("CARGO_PKG_VERSION_MAJOR").expect("cargo sets the version");
    let minor = env::var("CARGO_PKG_VERSION_MINOR").expect("cargo sets the version");
    if major == "0" {
        format!("0.{minor}")
    } else {
        major
    }
}

/// Makes `target/<profile>/<soname>` a symlink to `libbrokerlink.so`.
///
/// A program linked in the source tree (`-Ltarget/debug -lbrokerlink`, as the
/// C tests and `make demo` do) records the soname and looks for that file at
/// run time, next to the library it was linked with. Cargo does not create it,
/// so this does. The profile directory is three levels above `OUT_DIR`
/// (`target/<profile>/build/brokerlink-<hash>/out`); with any other layout
/// nothing is created and in-tree programs must set the link up themselves.
fn link_soname_in_target_dir(soname: &str) {
    let out_dir = env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let mut ancestors = Path::new(&out_dir).ancestors();
    let (Some(build), Some(profile_dir)) = (ancestors.nth(2), ancestors.next()) else {
        return;
    };
    if build.file_name().is_none_or(|name| name != "build") {
        return;
    }
    let link = profile_dir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|target| target == Path::new("libbrokerlink.so")) {
        return;
    }
    #[cfg(unix)]
    {
        let _ = std::fs::remove_file(&link);
        if let Err(e) = std::os::unix::fs::symlink("libbrokerlink.so", &link) {
            println!(
                "cargo:warning=could not create {}: {e}; programs linked in target/ will not find the library",
                link.display()
            );
        }
    }
}
