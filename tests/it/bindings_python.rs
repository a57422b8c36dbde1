//! The Python binding, bindings/python/brokerlink.py: its pytest suite
//! (bindings/python/tests) passes for every broker flow against brokersim,
//! loading the library cargo built through `BROKERLINK_LIBRARY`. The suite
//! covers the whole flow, BrokerError's fields, closed sessions, the context
//! manager, threads, and the refusal of a library with another ABI.

use crate::bindings_support::*;
use std::process::Command;

#[test]
fn python_binding_passes_pytest_for_every_flow_against_brokersim() {
    require_tool(
        "python3",
        &["-m", "pytest", "--version"],
        "pytest for python3 (`python3 -m pip install pytest`)",
    );
    let scratch = Scratch::new("python");
    let wrong_abi = wrong_abi_library(scratch.path());
    let sim = crate::support::sim();
    for flow in flows(&sim) {
        let finished = run(Command::new("python3")
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(format!("{CRATE_DIR}/bindings/python/tests"))
            .current_dir(scratch.path())
            // No __pycache__ in the source tree.
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("BROKERLINK_LIBRARY", library_path())
            .env("BROKERLINK_TEST_WRONG_ABI_LIBRARY", &wrong_abi)
            .envs(flow.env()));
        let summary = finished.stdout.lines().last().unwrap_or("");
        assert!(
            finished.success
                && summary.contains(" passed")
                && !summary.contains("skipped")
                && !summary.contains("failed"),
            "pytest for the {} flow did not pass:\n{}",
            flow.name,
            finished.transcript()
        );
    }
}
