//! Issue 17's goals: each section that measures one records the figure and
//! whether it was met. `cargo bench` writes them to target/bench-goals.json;
//! benches/sdk/compare.py adds its own and writes the goals table at the end
//! of BENCHMARKS.md (`make bench`).

use serde_json::json;

/// Where the goals of this run go for compare.py.
pub const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-goals.json");

/// The goals measured so far in this run, in the order of the sections.
#[derive(Default)]
pub struct Goals(Vec<serde_json::Value>);

impl Goals {
    /// One goal: what it asks, the figure from this run, and whether it was met.
    pub fn record(&mut self, goal: &str, figure: String, met: bool) {
        self.0
            .push(json!({ "goal": goal, "figure": figure, "met": met }));
    }

    /// Writes them for compare.py.
    pub fn write(&self) {
        let text = serde_json::to_string_pretty(&self.0).expect("goals serialize");
        std::fs::write(FILE, text + "\n").expect("write target/bench-goals.json");
    }
}
