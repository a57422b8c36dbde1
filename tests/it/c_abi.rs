//! C programs compiled against include/brokerlink.h prove the header: the
//! ABI test (tests/c/abi_test.c) and the quickstart example build with
//! strict warnings, link against the cdylib, and run against brokersim,
//! the ABI test under valgrind with zero errors and zero leaks.

use std::path::{Path, PathBuf};
use std::process::Command;

const CRATE_DIR: &str = env!("CARGO_MANIFEST_DIR");

/// Compiles a C file against the header and the cdylib, with every warning an error.
fn compile(source: &str, output: &Path, c_standard: &str) {
    compile_with(source, output, c_standard, &[]);
}

/// [`compile`] with extra compiler flags (defines, -pthread).
fn compile_with(source: &str, output: &Path, c_standard: &str, extra: &[&str]) {
    let lib = crate::support::library_dir();
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args([
            &format!("-std={c_standard}"),
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-g",
        ])
        .args(extra)
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
            .arg(format!("-L{}", crate::support::library_dir().display()))
            .arg(format!(
                "-Wl,-rpath,{}",
                crate::support::library_dir().display()
            ))
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

/// Runs a program under valgrind: any memory error or definite/indirect leak fails.
fn valgrind(exe: &Path, args: &[String]) -> String {
    let output = Command::new("valgrind")
        .args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ])
        .arg(exe)
        .args(args)
        .output()
        .expect("valgrind is installed (.ci/run installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} under valgrind failed ({}):\n{stdout}\n{stderr}",
        exe.display(),
        output.status
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    stdout
}

#[test]
fn c_abi_test_passes_under_valgrind_with_no_errors_or_leaks() {
    let exe = output_dir().join("abi_test");
    compile("tests/c/abi_test.c", &exe, "c11");
    let sim = crate::support::sim();
    let closed = format!("http://127.0.0.1:{}", crate::support::closed_port());
    valgrind(&exe, &[sim.angel_base_url(), closed]);
}

/// Runs a program built with AddressSanitizer (and its leak checker): any
/// memory error or leak makes it exit non-zero.
fn asan(exe: &Path, args: &[String]) {
    let output = Command::new(exe)
        .args(args)
        .env(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:exitcode=98",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{} under AddressSanitizer failed ({}):\n{stdout}\n{}",
        exe.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
}

const ASAN_FLAGS: [&str; 2] = ["-fsanitize=address", "-fno-omit-frame-pointer"];

#[test]
fn c_abi_test_passes_under_address_sanitizer() {
    let exe = output_dir().join("abi_test_asan");
    compile_with("tests/c/abi_test.c", &exe, "c11", &ASAN_FLAGS);
    let sim = crate::support::sim();
    let closed = format!("http://127.0.0.1:{}", crate::support::closed_port());
    asan(&exe, &[sim.angel_base_url(), closed]);
}

#[test]
fn free_race_passes_under_address_sanitizer() {
    let exe = output_dir().join("free_race_asan");
    let mut flags = vec!["-D_POSIX_C_SOURCE=200809L", "-pthread"];
    flags.extend(ASAN_FLAGS);
    compile_with("tests/c/free_race.c", &exe, "c11", &flags);
    let sim = crate::support::sim();
    asan(&exe, &[sim.angel_base_url()]);
}

#[test]
fn freeing_a_session_mid_call_from_c_is_clean_under_valgrind() {
    let exe = output_dir().join("free_race");
    compile_with(
        "tests/c/free_race.c",
        &exe,
        "c11",
        &["-D_POSIX_C_SOURCE=200809L", "-pthread"],
    );
    let sim = crate::support::sim();
    let stdout = valgrind(&exe, &[sim.angel_base_url()]);
    assert_eq!(stdout.matches("then INVALID_HANDLE").count(), 4, "{stdout}");
}

#[test]
fn a_session_exported_here_resumes_in_a_fresh_process() {
    let exe = output_dir().join("resume");
    compile("tests/c/resume.c", &exe, "c11");
    let sim = crate::support::sim();
    let config = crate::support::angel_config(&sim, "");
    let state = crate::support::angel_session(&sim).export().text;
    let state_file = output_dir().join("state.json");
    std::fs::write(&state_file, &state).unwrap();
    let output = Command::new(&exe)
        .arg(&config)
        .arg(&state_file)
        .output()
        .unwrap();
    std::fs::remove_file(&state_file).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("import: OK") && stdout.contains("\"available_cash\":12554.55"),
        "{stdout}"
    );
    assert_eq!(
        sim.requests_to("/rest/auth/angelbroking/user/v1/loginByPassword")
            .len(),
        1,
        "no second login"
    );
}

#[test]
fn quickstart_example_runs_the_whole_flow() {
    let exe = output_dir().join("quickstart");
    compile("examples-c/quickstart.c", &exe, "c11");
    let sim = crate::support::sim();
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
    // Each step's own JSON follows its heading line.
    let lines: Vec<&str> = stdout.lines().collect();
    let json_after = |step: &str| {
        let at = lines.iter().position(|l| *l == format!("== {step}: OK"));
        at.and_then(|i| lines.get(i + 1))
            .copied()
            .unwrap_or_else(|| panic!("no {step} step in:\n{stdout}"))
    };
    assert!(json_after("new").contains("\"base_url\""));
    assert!(json_after("login").contains("\"logged_in_at\""));
    assert!(json_after("profile").contains("\"name\":\"Demo Trader\""));
    assert!(json_after("rms").contains("\"available_cash\":12554.55"));
    assert!(json_after("refresh").contains("\"refreshed_at\""));
    assert!(json_after("rms after refresh").contains("\"available_cash\""));
    assert!(json_after("logout").contains("\"logged_out\":true"));
}

#[test]
fn noren_oauth_example_logs_in_through_the_simulated_browser() {
    use std::io::{BufRead, BufReader, Write};
    let exe = output_dir().join("noren_oauth");
    compile("examples-c/noren_oauth.c", &exe, "c11");
    let sim = crate::support::sim();
    let mut child = Command::new(&exe)
        .env("BROKERLINK_NOREN_BASE_URL", sim.noren_base_url("zebu"))
        .env("BROKERLINK_NOREN_OAUTH_URL", sim.noren_oauth_url("zebu"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut transcript = String::new();
    let mut line = String::new();
    while stdout.read_line(&mut line).unwrap() > 0 {
        transcript.push_str(&line);
        if let Some(url) = line.strip_prefix("login_url: ") {
            let redirect = brokersim::browse(url.trim()).unwrap();
            writeln!(child.stdin.as_mut().unwrap(), "{redirect}").unwrap();
        }
        line.clear();
    }
    assert!(child.wait().unwrap().success(), "{transcript}");
    for step in ["login", "profile", "rms", "logout"] {
        assert!(
            transcript.contains(&format!("== {step}: OK\n")),
            "{step} in:\n{transcript}"
        );
    }
    assert!(
        transcript.contains("\"available_cash\":1499999999999500.25"),
        "{transcript}"
    );
}
