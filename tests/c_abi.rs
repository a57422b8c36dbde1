//! C programs compiled against include/brokerlink.h prove the header: the
//! ABI test (tests/c/abi_test.c) and the quickstart example build with
//! strict warnings, link against the cdylib, and run against brokersim,
//! the ABI test under valgrind with zero errors and zero leaks.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// target/<profile>, where cargo put libbrokerlink.so for this test run.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().to_path_buf(); // .../deps/.. 
    assert!(
        dir.join(format!(
            "{}brokerlink{}",
            std::env::consts::DLL_PREFIX,
            std::env::consts::DLL_SUFFIX
        ))
        .exists(),
        "the cdylib is not in {}",
        dir.display()
    );
    dir
}

/// Compiles a C file against the header and the cdylib, with every warning an error.
fn compile(source: &str, output: &Path, c_standard: &str) {
    let lib = library_dir();
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args([
            &format!("-std={c_standard}"),
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
        ])
        .arg(format!("-I{CRATE_DIR}/include"))
        .arg(Path::new(CRATE_DIR).join(source))
        .arg("-o")
        .arg(output)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lbrokerlink")
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(status.success(), "compiling {source} failed");
}

fn output_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("c_abi");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn header_compiles_as_c99_c11_and_cpp() {
    let dir = output_dir();
    let probe = dir.join("probe.c");
    std::fs::write(&probe, "#include \"brokerlink.h\"\nint main(void) { return broker_abi_version() == BROKERLINK_ABI_VERSION ? 0 : 1; }\n").unwrap();
    for (compiler, standard) in [
        ("cc", "c99"),
        ("cc", "c11"),
        ("c++", "c++11"),
        ("c++", "c++17"),
    ] {
        let exe = dir.join(format!("probe-{standard}"));
        let status = Command::new(compiler)
            .args([
                &format!("-std={standard}"),
                "-Wall",
                "-Wextra",
                "-Werror",
                "-pedantic",
            ])
            .arg(format!("-I{CRATE_DIR}/include"))
            .arg("-x")
            .arg(if compiler == "cc" { "c" } else { "c++" })
            .arg(&probe)
            .arg("-o")
            .arg(&exe)
            .arg(format!("-L{}", library_dir().display()))
            .arg(format!("-Wl,-rpath,{}", library_dir().display()))
            .arg("-lbrokerlink")
            .status()
            .unwrap_or_else(|e| panic!("{compiler} is installed: {e}"));
        assert!(
            status.success(),
            "the header does not compile as {standard}"
        );
        assert!(
            Command::new(&exe).status().unwrap().success(),
            "{standard} probe failed"
        );
    }
}

#[test]
fn c_abi_test_passes_under_valgrind_with_no_errors_or_leaks() {
    let exe = output_dir().join("abi_test");
    compile("tests/c/abi_test.c", &exe, "c11");
    let sim = support::sim();
    let output = Command::new("valgrind")
        .args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ])
        .arg(&exe)
        .arg(sim.angel_base_url())
        .arg(format!("http://127.0.0.1:{}", support::closed_port()))
        .output()
        .expect("valgrind is installed (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "abi_test under valgrind failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

#[test]
fn quickstart_example_runs_the_whole_flow() {
    let exe = output_dir().join("quickstart");
    compile("examples-c/quickstart.c", &exe, "c11");
    let sim = support::sim();
    let output = Command::new(&exe)
        .env("BROKERLINK_BASE_URL", sim.angel_base_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "quickstart failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for step in ["new", "login", "profile", "rms", "refresh", "logout"] {
        assert!(
            stdout.contains(&format!("== {step}")),
            "quickstart skipped {step}:\n{stdout}"
        );
    }
    assert!(stdout.contains("\"available_cash\":12554.55"), "{stdout}");
}
