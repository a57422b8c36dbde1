//! The "under load" runs: the same measurement with a CPU-bound process
//! beside it, since a host such as Excel is rarely idle.
//!
//! One busy-looping process, not one per CPU: it takes one CPU away, as a
//! spreadsheet recalculating on one thread does, and leaves the others to the
//! host, its library threads and the simulator, who now compete for fewer
//! CPUs. benches/sdk/compare.py uses the same one process.

use std::process::{Child, Command, Stdio};

/// Set in the child: spin until killed.
pub const CHILD: &str = "BROKERLINK_BENCH_BUSY_CHILD";

/// A busy-looping child process (this bench re-run), killed when dropped.
pub struct CpuLoad(Child);

impl CpuLoad {
    /// Starts the busy process; it spins at once.
    pub fn start() -> CpuLoad {
        let exe = std::env::current_exe().expect("the bench knows its own path");
        let child = Command::new(exe)
            .env(CHILD, "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("the busy child runs");
        CpuLoad(child)
    }
}

impl Drop for CpuLoad {
    fn drop(&mut self) {
        // The child is ours: stop it by its own handle.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// In the child: burn one CPU until the parent kills us, or until it is
/// gone (killed itself, so that no busy loop outlives a bench).
pub fn child() -> ! {
    let parent = std::os::unix::process::parent_id();
    let mut x: u64 = 1;
    loop {
        for _ in 0..10_000_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        if std::os::unix::process::parent_id() != parent {
            std::process::exit(0);
        }
    }
}
