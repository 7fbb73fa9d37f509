//! Asymmetric memory fences and a cheap per-thread token, for locks whose
//! common side must not pay a locked instruction (see `handle::CallLock`).
//!
//! The pattern (Dekker with an asymmetric fence): the *fast* side stores its
//! flag, issues [`light`] (a compiler fence only) and loads the other flag;
//! the *slow* side stores its flag, issues [`heavy`] and loads the other
//! flag. `heavy` is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: when it
//! returns, every thread of the process has executed a full memory barrier,
//! so either the fast side's store is visible to the slow side's load, or
//! the fast side's load (after that barrier) sees the slow side's store.
//! Where membarrier is missing (old kernel) or a seccomp filter is active
//! (it might kill the process on a syscall libzmq never makes),
//! [`available`] is false and callers must not use the fast side at all.

use std::sync::atomic::{compiler_fence, AtomicU8, Ordering};

const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

/// Registration state: not tried yet, under way, registered, unavailable.
const UNKNOWN: u8 = 0;
const READY: u8 = 1;
const UNAVAILABLE: u8 = 2;
const REGISTERING: u8 = 3;
static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

fn membarrier(cmd: libc::c_long) -> bool {
    // SAFETY: membarrier takes (cmd, flags, cpu_id) integers and touches no
    // memory of ours.
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            cmd,
            0 as libc::c_long,
            0 as libc::c_long,
        ) == 0
    }
}

/// True when [`heavy`] works in this process. The first call starts the
/// registration and answers false until it is done: registering a process
/// that already has threads waits for an RCU grace period (5-10 ms seen
/// here), which must not stall a caller; meanwhile callers keep the plain
/// path, as they do where membarrier is unavailable.
///
/// Never under a seccomp filter: libzmq makes no membarrier call, and a
/// filter that does not list it may kill the process (systemd's
/// `SystemCallFilter=` sends SIGSYS by default) instead of failing the call,
/// so a host that runs fine with libzmq must not meet it through us. Callers
/// then keep the plain (locked-instruction) path.
pub fn available() -> bool {
    match STATE.load(Ordering::Acquire) {
        READY => true,
        UNKNOWN => {
            start();
            false
        }
        _ => false,
    }
}

/// Starts the registration on a thread of its own (once).
fn start() {
    if STATE
        .compare_exchange(UNKNOWN, REGISTERING, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("ZMQbg/fence".into())
        .spawn(|| {
            super::signals::block_all();
            register();
        });
    if spawned.is_err() {
        register();
    }
}

fn register() {
    let ok = no_seccomp_filter()
        && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
        && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    STATE.store(if ok { READY } else { UNAVAILABLE }, Ordering::Release);
}

/// Waits until the registration is decided; whether [`heavy`] works.
#[cfg(test)]
pub fn settle() -> bool {
    available();
    while STATE.load(Ordering::Acquire) == REGISTERING {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    available()
}

/// True only when /proc says this process runs without a seccomp filter.
fn no_seccomp_filter() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Seccomp:"))
            .is_some_and(|v| v.trim() == "0")
    })
}

/// The fast side's fence: orders this thread's store before its next load
/// as far as a [`heavy`] on another thread is concerned.
#[inline(always)]
pub fn light() {
    compiler_fence(Ordering::SeqCst);
}

/// The slow side's fence. Callers only reach it once `available()` was true;
/// should the syscall still fail, every thread is made to pass a barrier the
/// slow way (`sched_yield` loops cannot promise that, so this falls back to
/// the global membarrier command, which waits for an RCU grace period).
pub fn heavy() {
    if !membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) {
        const MEMBARRIER_CMD_GLOBAL: libc::c_long = 1;
        if !membarrier(MEMBARRIER_CMD_GLOBAL) {
            // Not reachable after a successful registration; stop using the
            // fast side from now on (callers check `available` per decision).
            STATE.store(UNAVAILABLE, Ordering::Release);
            std::sync::atomic::fence(Ordering::SeqCst);
        }
    }
}

/// A word that differs between any two live threads, read without a
/// syscall or a TLS lookup: the x86-64 thread pointer (`%fs:0` holds the
/// thread control block's own address, per the TLS ABI). 0 where no such
/// register is known, and under Miri (no inline assembly there): callers
/// then never take the fast side.
#[inline(always)]
pub fn thread_token() -> usize {
    #[cfg(all(target_arch = "x86_64", target_os = "linux", not(miri)))]
    {
        let t: usize;
        // SAFETY: reads the thread pointer slot at %fs:0, which the x86-64
        // Linux TLS ABI guarantees to be mapped and to hold the TCB address.
        unsafe {
            std::arch::asm!(
                "mov {}, qword ptr fs:[0]",
                out(reg) t,
                options(nostack, readonly, preserves_flags, pure)
            )
        };
        t
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(miri))))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_stable_per_thread_and_distinct_between_live_threads() {
        let here = thread_token();
        assert_eq!(here, thread_token());
        let (tx, rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            tx.send(thread_token()).unwrap();
            done_rx.recv().unwrap(); // stay alive until compared
        });
        let there = rx.recv().unwrap();
        if cfg!(all(target_arch = "x86_64", target_os = "linux", not(miri))) {
            assert_ne!(here, 0);
            assert_ne!(here, there);
        }
        done_tx.send(()).unwrap();
        t.join().unwrap();
    }

    #[test]
    fn seccomp_status_is_read_from_proc() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let filtered = status
            .lines()
            .any(|l| l.starts_with("Seccomp:") && l.trim_end() != "Seccomp:\t0");
        if status.contains("Seccomp:") {
            assert_eq!(no_seccomp_filter(), !filtered);
        } else {
            assert!(!no_seccomp_filter(), "unknown means no");
        }
    }

    #[test]
    fn heavy_fence_runs_when_available() {
        if settle() {
            heavy();
            assert!(available());
        }
    }
}
