//! Small helpers: a random number, an interruptible sleep, `/proc` figures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// A small random number below `below` (xorshift seeded from the clock: no
/// dependency needed).
pub fn random(below: u64) -> u64 {
    thread_local!(static STATE: std::cell::Cell<u64> = std::cell::Cell::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    ));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x % below.max(1)
    })
}

/// `base` plus up to `spread` milliseconds, at random.
pub fn jitter(base: u64, spread: u64) -> Duration {
    Duration::from_millis(base + random(spread))
}

/// Sleeps up to `d`, returning early once `stop` is set.
pub fn nap(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
}

/// Resident memory in KiB and open file descriptors of process `pid`
/// ("self" for this one), from /proc (Linux; 0 elsewhere).
pub fn memory(pid: &str) -> (u64, usize) {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0);
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
    (rss, fds)
}

/// Bytes the soak process's allocator has handed out and not had back
/// (glibc's `mallinfo2`), in KiB: what RSS would be without the memory
/// malloc keeps for reuse after a free. Growth here, not in RSS alone, is
/// what would mean a leak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn heap_in_use_kib() -> u64 {
    // SAFETY: mallinfo2 takes no arguments and only reads the allocator's
    // counters; glibc 2.33 and later (Debian 12 has 2.36).
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64 / 1024
}

/// Elsewhere the figure is not known: 0.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn heap_in_use_kib() -> u64 {
    0
}

/// Hands the heap memory malloc keeps after frees back to the system
/// (glibc's `malloc_trim`), so that the RSS sampled next is what the process
/// still holds: if RSS falls to near where it started, its growth during the
/// run was the allocator's reserve, not memory in use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn return_free_heap() {
    // SAFETY: malloc_trim only releases free memory of glibc's own arenas;
    // no pointer the program holds is touched.
    unsafe { libc::malloc_trim(0) };
}

/// Elsewhere there is no such call: nothing to do.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn return_free_heap() {}
