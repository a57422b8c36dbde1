//! Requests run on the caller's thread: making sessions and calling them
//! starts no thread for a call to hand over to (nor one that unloading the
//! library would have to join).

use crate::support::*;

#[test]
fn sessions_and_their_calls_start_no_thread() {
    assert_passes_alone("threads::alone::making_and_calling_sessions_starts_no_thread");
}

mod alone {
    use super::*;

    /// This process's threads (Linux: one entry per thread).
    fn threads() -> usize {
        std::fs::read_dir("/proc/self/task").unwrap().count()
    }

    #[test]
    #[ignore = "runs alone in a child process: see the test above"]
    fn making_and_calling_sessions_starts_no_thread() {
        let sim = sim();
        let config = angel_config(&sim, r#""rate_limits":"off""#);
        let used = angel_session_with(&sim, r#""rate_limits":"off""#);
        used.rms().ok();
        // brokersim has its threads for this one connection now.
        let before = threads();
        let made: Vec<Handle> = (0..8).map(|_| Handle::new(&config)).collect();
        for _ in 0..20 {
            used.rms().ok();
            used.profile().ok();
        }
        assert_eq!(threads(), before, "threads after 8 sessions and 40 calls");
        drop(made);
    }
}
