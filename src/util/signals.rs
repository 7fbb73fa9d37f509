//! The library's own threads take no signals, as libzmq's do (its thread
//! routine blocks them all before it runs anything). A write by an I/O
//! thread to a connection whose peer has gone raises SIGPIPE, whose
//! default action ends the process: the host's, for a library loaded into
//! a C program (Rust ignores SIGPIPE only in Rust executables). Blocked,
//! the write just fails with EPIPE; and the host's own signals (SIGINT,
//! SIGTERM, timers) go to the host's threads, never to ours.

/// Blocks every signal in the calling thread (the first thing each thread
/// the library starts does).
pub fn block_all() {
    // SAFETY: sigfillset fills a sigset_t owned here; pthread_sigmask
    // changes only the calling thread's mask and reads the set. A failure
    // (impossible with a valid set) leaves the mask unchanged.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_thread_that_blocks_signals_has_sigpipe_blocked() {
        let blocked = std::thread::spawn(|| {
            super::block_all();
            // SAFETY: reads the calling thread's mask into a set owned here.
            unsafe {
                let mut set: libc::sigset_t = std::mem::zeroed();
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
                (
                    libc::sigismember(&set, libc::SIGPIPE),
                    libc::sigismember(&set, libc::SIGINT),
                )
            }
        })
        .join()
        .unwrap();
        assert_eq!(blocked, (1, 1));
    }
}
