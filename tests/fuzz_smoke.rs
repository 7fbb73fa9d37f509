//! `make fuzz-smoke`: every fuzz target of `zmq::fuzzing` on the stable
//! toolchain, without cargo-fuzz. Each test replays the target's seed
//! corpus (`fuzz/corpus/<target>/`, captured from real traffic) and its
//! regression inputs (`fuzz/regressions/<target>/`, inputs that once
//! crashed), then feeds it cheap random mutations of them for a few
//! seconds. libFuzzer (fuzz/README.md) does the real searching; this keeps
//! every target, and every past crash, exercised by `make test`.
//!
//! FUZZ_SMOKE_SECS (default 2) is the mutation time per target;
//! FUZZ_SMOKE_SEED changes the (otherwise fixed) mutation sequence. A
//! failing input is written to fuzz/artifacts/ and its path printed:
//! replay it with `cargo +nightly fuzz run <target> <file>` or move it to
//! fuzz/regressions/<target>/ once fixed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zmq::fuzzing::{Target, TARGETS};

/// Largest mutated input (the captured seeds are up to ~10 KiB).
const MAX_LEN: usize = 64 * 1024;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `dir`, in name order (missing directory: none).
fn inputs(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// xorshift64*: reproducible, no crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Values that tend to sit on boundaries: lengths, flags, sizes.
const INTERESTING: [u8; 10] = [0, 1, 2, 4, 0x7F, 0x80, 0xFE, 0xFF, 8, 255 - 8];

/// One to four mutations of `base`: bit flips, boundary bytes, inserted,
/// deleted and duplicated runs, a big-endian length, a splice with another
/// seed, a cut, and a new selector byte at the front.
fn mutate(rng: &mut Rng, base: &[u8], pool: &[Vec<u8>]) -> Vec<u8> {
    let mut v = base.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = v.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                v[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                v[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                v.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                v.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let run = v[i..i + n].to_vec();
                let at = rng.below(len + 1);
                v.splice(at..at, run);
            }
            5 if len >= 8 => {
                let i = rng.below(len - 7);
                let value: u64 = match rng.below(4) {
                    0 => 0,
                    1 => u64::MAX,
                    2 => rng.next() % 70_000,
                    _ => 1 << rng.below(64),
                };
                v[i..i + 8].copy_from_slice(&value.to_be_bytes());
            }
            6 if !pool.is_empty() => {
                let other = &pool[rng.below(pool.len())];
                let from = rng.below(other.len() + 1);
                v.truncate(rng.below(len + 1));
                v.extend_from_slice(&other[from..]);
            }
            7 => v.truncate(rng.below(len + 1)),
            _ if len > 0 => {
                let i = rng.below(len.min(4));
                v[i] = rng.next() as u8;
            }
            _ => v.push(rng.next() as u8),
        }
    }
    v.truncate(MAX_LEN);
    v
}

/// Runs one input; on a panic, saves it and fails the test.
fn run_one(name: &str, target: Target, data: &[u8], what: &str) {
    if std::panic::catch_unwind(|| target(data)).is_ok() {
        return;
    }
    let dir = fuzz_dir().join("artifacts");
    let _ = std::fs::create_dir_all(&dir);
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("smoke-{name}-{hash:016x}"));
    let _ = std::fs::write(&path, data);
    panic!(
        "fuzz target {name} panicked on {what} ({} bytes), saved as {}",
        data.len(),
        path.display()
    );
}

fn smoke(name: &str) {
    let (_, target) = TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .copied()
        .expect("a target of that name");
    let seeds = inputs(&fuzz_dir().join("corpus").join(name));
    assert!(!seeds.is_empty(), "no seed corpus in fuzz/corpus/{name}");
    let regressions = inputs(&fuzz_dir().join("regressions").join(name));
    for s in &seeds {
        run_one(name, target, s, "a seed");
    }
    for r in &regressions {
        run_one(name, target, r, "a regression input");
    }
    let secs: f64 = std::env::var("FUZZ_SMOKE_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let seed: u64 = std::env::var("FUZZ_SMOKE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED);
    let mut rng = Rng(name
        .bytes()
        .fold(seed | 1, |h, b| h.rotate_left(5) ^ u64::from(b))
        | 1);
    let pool: Vec<Vec<u8>> = seeds.iter().chain(&regressions).cloned().collect();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let base = &pool[rng.below(pool.len())];
        let input = mutate(&mut rng, base, &pool);
        run_one(name, target, &input, "a mutated input");
        runs += 1;
    }
    println!(
        "fuzz-smoke {name}: {} seeds, {} regressions, {runs} mutated inputs in {secs} s",
        seeds.len(),
        regressions.len()
    );
}

macro_rules! smoke_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                smoke(stringify!($name));
            }
        )*

        #[test]
        fn every_target_has_a_smoke_test() {
            let names = [$(stringify!($name)),*];
            for (n, _) in TARGETS {
                assert!(names.contains(n), "no smoke test for target {n}");
            }
        }
    };
}

smoke_tests!(
    greeting,
    frame,
    command,
    null,
    plain,
    curve,
    z85,
    endpoint,
    ws,
    socks,
    session,
    subscriptions,
    stream_read
);
