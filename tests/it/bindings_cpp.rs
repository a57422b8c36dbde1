//! The C++ binding, bindings/cpp/brokerlink.hpp: its test program
//! (bindings/cpp/tests/flow_test.cpp) compiles as C++17 with every warning
//! an error, links against the cdylib, and passes every check of every
//! broker flow against brokersim: the whole flow, the error paths, moves,
//! and the parsing of the error object.

use crate::bindings_support::*;
use std::process::Command;

#[test]
fn cpp_binding_passes_every_flow_against_brokersim() {
    require_tool("c++", &["--version"], "g++");
    let scratch = Scratch::new("cpp");
    let exe = scratch.path().join("flow_test");
    let lib = library_dir();
    run_ok(
        Command::new("c++")
            .args(["-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic"])
            .args(["-Wshadow", "-Wconversion", "-Wsign-conversion"])
            .arg(format!("-I{CRATE_DIR}/include"))
            .arg(format!("-I{CRATE_DIR}/bindings/cpp"))
            .arg(format!("{CRATE_DIR}/bindings/cpp/tests/flow_test.cpp"))
            .arg("-o")
            .arg(&exe)
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-lbrokerlink"),
        "compiling bindings/cpp/tests/flow_test.cpp as strict C++17",
    );
    let sim = crate::support::sim();
    for flow in flows(&sim) {
        let finished = run(Command::new(&exe).envs(flow.env()));
        assert_all_passed(&finished, &format!("the C++ {} flow", flow.name));
    }
}
