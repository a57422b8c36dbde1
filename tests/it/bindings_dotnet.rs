//! The .NET binding, bindings/dotnet/BrokerLink.cs: its test program
//! (bindings/dotnet/tests/FlowTest.cs) compiles with Mono's mcs as C# 5
//! with warnings as errors, so it also builds with .NET Framework's own
//! compiler, and passes every check of every broker flow under mono against
//! brokersim: the whole flow, BrokerException's fields, a disposed session,
//! the finalizer freeing an abandoned one, and UTF-8 both ways. A second run
//! against a library reporting another ABI checks that the binding refuses
//! it on load.

use crate::bindings_support::*;
use std::path::Path;
use std::process::Command;

/// Runs the compiled test under mono, with `library_dir` first on the
/// loader's path so that `DllImport("brokerlink")` finds libbrokerlink.so there.
fn mono(exe: &Path, library_dir: &Path) -> Command {
    let mut command = Command::new("mono");
    command
        .arg("--debug") // line numbers in a failure's stack trace
        .arg(exe)
        .env("LD_LIBRARY_PATH", library_dir);
    command
}

#[test]
fn dotnet_binding_passes_every_flow_under_mono_against_brokersim() {
    require_tool(
        "mcs",
        &["--version"],
        "Mono's C# compiler (Debian: mono-mcs)",
    );
    require_tool(
        "mono",
        &["--version"],
        "the Mono runtime (Debian: mono-runtime)",
    );
    let scratch = Scratch::new("dotnet");
    let exe = scratch.path().join("FlowTest.exe");
    run_ok(
        Command::new("mcs")
            .args(["-langversion:5", "-warnaserror+", "-warn:4", "-debug"])
            .arg(format!("-out:{}", exe.display()))
            .arg(format!("{CRATE_DIR}/bindings/dotnet/BrokerLink.cs"))
            .arg(format!("{CRATE_DIR}/bindings/dotnet/tests/FlowTest.cs")),
        "compiling BrokerLink.cs and FlowTest.cs with mcs",
    );

    let sim = crate::support::sim();
    for flow in flows(&sim) {
        let finished = run(mono(&exe, &library_dir()).envs(flow.env()));
        assert_all_passed(&finished, &format!("the .NET {} flow", flow.name));
    }

    let wrong_dir = scratch.path().join("wrong-abi");
    std::fs::create_dir(&wrong_dir).unwrap();
    wrong_abi_library(&wrong_dir);
    let finished = run(mono(&exe, &wrong_dir).arg("--expect-wrong-abi"));
    assert_all_passed(&finished, "the .NET wrong-ABI check");
}
