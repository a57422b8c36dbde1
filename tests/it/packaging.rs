//! `make install` into a temporary prefix gives a usable package: the shared
//! library under its versioned soname with the usual symlinks, the static
//! library, the headers, brokerlink.pc, the CMake package and the
//! `brokerlink` command-line tool. A tiny C
//! program (packaging/tests/consumer.c) is built against the install through
//! pkg-config and through CMake, shared and static, and runs. `make
//! uninstall` removes every file again, and `DESTDIR` stages an install
//! without changing the paths the package files name.
//!
//! The tests run `make install-built PROFILE=dev`, the second half of `make
//! install`, on the dev build that `cargo test` already made: a release
//! build here would cost minutes, and a `cargo build` from inside `cargo
//! test` would rebuild the library with other dependency features, over the
//! one the other tests use. That `make install` builds the release library
//! first is checked on its dry run.

use crate::bindings_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const MAJOR: &str = env!("CARGO_PKG_VERSION_MAJOR");
const MINOR: &str = env!("CARGO_PKG_VERSION_MINOR");

/// The soname build.rs gives the library: `.so.<major>` from 1.0 on,
/// `.so.0.<minor>` before.
fn soname() -> String {
    if MAJOR == "0" {
        format!("libbrokerlink.so.0.{MINOR}")
    } else {
        format!("libbrokerlink.so.{MAJOR}")
    }
}

/// `make <target>` in the repository, installing the dev build from the
/// target directory this test runs from.
fn make(target: &str, vars: &[(&str, &Path)]) -> Finished {
    require_tool("make", &["--version"], "make");
    let target_dir = library_dir().parent().unwrap().to_path_buf();
    let mut command = Command::new("make");
    command
        .arg("--no-print-directory")
        .arg("-C")
        .arg(CRATE_DIR)
        .arg(target)
        .arg("PROFILE=dev")
        .arg(format!("TARGET_DIR={}", target_dir.display()));
    for (name, value) in vars {
        command.arg(format!("{name}={}", value.display()));
    }
    run_ok(&mut command, &format!("make {target}"))
}

/// Every file (not directory) under `dir`, relative to it, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                pending.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    found.sort();
    found
}

fn expected_files() -> Vec<String> {
    let mut files = vec![
        "bin/brokerlink".to_string(),
        "include/brokerlink.h".to_string(),
        "include/brokerlink.hpp".to_string(),
        "lib/cmake/brokerlink/brokerlinkConfig.cmake".to_string(),
        "lib/cmake/brokerlink/brokerlinkConfigVersion.cmake".to_string(),
        "lib/libbrokerlink.a".to_string(),
        "lib/libbrokerlink.so".to_string(),
        format!("lib/{}", soname()),
        format!("lib/libbrokerlink.so.{VERSION}"),
        "lib/pkgconfig/brokerlink.pc".to_string(),
    ];
    files.sort();
    files
}

/// The dynamic section of an ELF file, as readelf prints it.
fn dynamic_section(file: &Path) -> String {
    require_tool("readelf", &["--version"], "binutils");
    run_ok(Command::new("readelf").arg("-d").arg(file), "readelf -d").stdout
}

/// A command for a consumer program that finds the library the way an
/// installed program does: cargo test puts target/<profile> on
/// LD_LIBRARY_PATH, which would win over the program's rpath.
fn installed_program(exe: &Path) -> Command {
    let mut command = Command::new(exe);
    command.env_remove("LD_LIBRARY_PATH");
    command
}

/// Runs a consumer program and checks that it used the library.
fn run_consumer(exe: &Path, how: &str) {
    let finished = run_ok(&mut installed_program(exe), how);
    assert!(
        finished
            .stdout
            .starts_with(&format!("brokerlink {VERSION}: totp OK {{\"code\":\"")),
        "{how} printed:\n{}",
        finished.transcript()
    );
}

fn consumer_source() -> PathBuf {
    Path::new(CRATE_DIR).join("packaging/tests/consumer.c")
}

/// `pkg-config ARGS brokerlink`, looking only in the temporary install.
fn pkg_config(prefix: &Path, args: &[&str]) -> Vec<String> {
    let finished = run_ok(
        Command::new("pkg-config")
            .args(args)
            .arg("brokerlink")
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env("PKG_CONFIG_LIBDIR", prefix.join("lib/pkgconfig")),
        &format!("pkg-config {}", args.join(" ")),
    );
    finished
        .stdout
        .split_whitespace()
        .map(String::from)
        .collect()
}

fn builds_and_runs_with_pkg_config(prefix: &Path, out: &Path) {
    require_tool("pkg-config", &["--version"], "pkg-config");
    assert_eq!(pkg_config(prefix, &["--modversion"]), [VERSION]);
    let libdir = pkg_config(prefix, &["--variable=libdir"]).concat();

    // Shared: the program records the soname and finds the installed library.
    let shared = out.join("consumer-pkg-config");
    run_ok(
        Command::new("cc")
            .arg(consumer_source())
            .args(pkg_config(prefix, &["--cflags", "--libs"]))
            .arg(format!("-Wl,-rpath,{libdir}"))
            .arg("-o")
            .arg(&shared),
        "cc with pkg-config --cflags --libs brokerlink",
    );
    let dynamic = dynamic_section(&shared);
    assert!(
        dynamic.contains(&format!("Shared library: [{}]", soname())),
        "the consumer does not record the soname:\n{dynamic}"
    );
    run_consumer(&shared, "the pkg-config consumer");
    let ldd = run_ok(installed_program(Path::new("ldd")).arg(&shared), "ldd").stdout;
    assert!(
        ldd.contains(&format!("{libdir}/{}", soname())),
        "the consumer did not load the installed library:\n{ldd}"
    );

    // Static: libbrokerlink.a plus Libs.private is a complete link.
    let static_exe = out.join("consumer-pkg-config-static");
    let libs: Vec<String> = pkg_config(prefix, &["--static", "--libs"])
        .into_iter()
        .map(|flag| {
            if flag == "-lbrokerlink" {
                "-l:libbrokerlink.a".to_string()
            } else {
                flag
            }
        })
        .collect();
    run_ok(
        Command::new("cc")
            .arg(consumer_source())
            .args(pkg_config(prefix, &["--cflags"]))
            .args(libs)
            .arg("-o")
            .arg(&static_exe),
        "cc with pkg-config --static --libs brokerlink",
    );
    assert!(!dynamic_section(&static_exe).contains("libbrokerlink"));
    run_consumer(&static_exe, "the static pkg-config consumer");
}

fn cmake_configure(prefix: &Path, build: &Path, wanted: &str) -> Finished {
    run(Command::new("cmake")
        .arg("-S")
        .arg(Path::new(CRATE_DIR).join("packaging/tests/cmake"))
        .arg("-B")
        .arg(build)
        .arg(format!("-DCMAKE_PREFIX_PATH={}", prefix.display()))
        .arg(format!("-DBROKERLINK_WANTED={wanted}")))
}

fn builds_and_runs_with_cmake(prefix: &Path, out: &Path) {
    require_tool("cmake", &["--version"], "cmake");
    let build = out.join("cmake-build");
    let configured = cmake_configure(prefix, &build, &format!("{MAJOR}.{MINOR}"));
    assert!(
        configured.success,
        "cmake could not configure the consumer:\n{}",
        configured.transcript()
    );
    run_ok(
        Command::new("cmake").arg("--build").arg(&build),
        "cmake --build",
    );
    run_consumer(&build.join("consumer"), "the CMake consumer");
    run_consumer(&build.join("consumer_static"), "the static CMake consumer");
    assert!(!dynamic_section(&build.join("consumer_static")).contains("libbrokerlink"));

    // Another ABI version is not accepted.
    let newer = format!("{MAJOR}.{}", MINOR.parse::<u32>().unwrap() + 1);
    let refused = cmake_configure(prefix, &out.join("cmake-newer"), &newer);
    assert!(
        !refused.success && refused.stderr.contains(&format!("version: {VERSION}")),
        "find_package(brokerlink {newer}) accepted {VERSION}:\n{}",
        refused.transcript()
    );
}

#[test]
fn make_install_gives_a_package_pkg_config_and_cmake_can_use() {
    let scratch = Scratch::new("packaging");
    let prefix = scratch.path().join("prefix");
    make("install-built", &[("PREFIX", &prefix)]);

    assert_eq!(files_under(&prefix), expected_files());
    let lib = prefix.join("lib");
    let link = |name: &str| std::fs::read_link(lib.join(name)).unwrap();
    assert_eq!(link("libbrokerlink.so"), Path::new(&soname()));
    assert_eq!(
        link(&soname()),
        Path::new(&format!("libbrokerlink.so.{VERSION}"))
    );
    let real = lib.join(format!("libbrokerlink.so.{VERSION}"));
    assert!(!real.is_symlink());
    let dynamic = dynamic_section(&real);
    assert!(
        dynamic.contains(&format!("Library soname: [{}]", soname())),
        "the installed library's soname is not {}:\n{dynamic}",
        soname()
    );

    builds_and_runs_with_pkg_config(&prefix, scratch.path());
    builds_and_runs_with_cmake(&prefix, scratch.path());
    // The command-line tool runs from the install.
    let brokers = run_ok(
        installed_program(&prefix.join("bin/brokerlink")).arg("brokers"),
        "brokerlink brokers",
    );
    assert!(brokers.stdout.contains("angelone"), "{}", brokers.stdout);

    make("uninstall", &[("PREFIX", &prefix)]);
    assert_eq!(files_under(&prefix), Vec::<String>::new());
}

#[test]
fn make_install_builds_the_release_library_then_installs_it() {
    let dry_run = run_ok(
        Command::new("make")
            .args(["--no-print-directory", "-n", "-C", CRATE_DIR, "install"])
            .arg("PREFIX=/opt/brokerlink"),
        "make -n install",
    );
    let mut commands = dry_run.stdout.lines();
    assert_eq!(
        commands.next(),
        Some("cargo build --profile release -p brokerlink -p brokerlink-cli")
    );
    assert!(
        commands.any(|line| line.contains("libbrokerlink.so.") && line.contains("/opt/brokerlink/lib/")),
        "make install does not install the built library:\n{}",
        dry_run.stdout
    );
}

#[test]
fn destdir_stages_the_install_for_the_final_prefix() {
    let scratch = Scratch::new("packaging-destdir");
    let stage = scratch.path().join("stage");
    let final_prefix = Path::new("/opt/brokerlink");
    make(
        "install-built",
        &[("DESTDIR", &stage), ("PREFIX", final_prefix)],
    );
    let staged = stage.join("opt/brokerlink");
    assert_eq!(files_under(&staged), expected_files());
    let pc = std::fs::read_to_string(staged.join("lib/pkgconfig/brokerlink.pc")).unwrap();
    assert!(pc.contains("\nprefix=/opt/brokerlink\n"), "{pc}");
    assert!(pc.contains("\nlibdir=/opt/brokerlink/lib\n"), "{pc}");
    assert!(pc.contains(&format!("\nVersion: {VERSION}\n")), "{pc}");
    assert!(!pc.contains(&stage.display().to_string()), "{pc}");
    let cmake = std::fs::read_to_string(staged.join("lib/cmake/brokerlink/brokerlinkConfig.cmake"))
        .unwrap();
    assert!(cmake.contains("\"/opt/brokerlink/lib\""), "{cmake}");
    assert!(
        !cmake.contains('@'),
        "an unsubstituted placeholder:\n{cmake}"
    );
    make(
        "uninstall",
        &[("DESTDIR", &stage), ("PREFIX", final_prefix)],
    );
    assert_eq!(files_under(&staged), Vec::<String>::new());
}
