//! ferrozmq: ZeroMQ's messaging library in Rust, shipped as a drop-in
//! `libzmq.so.5`.
//!
//! The safe core (`ctx`, `msg`, `metadata`, `util`, later the engine) never
//! mentions C types; `capi` is the only place that does, and the only one that
//! exports symbols. See `docs/ARCHITECTURE.md` for the module map.
//!
//! Only `capi` feeds the generated header: every other module is marked
//! `cbindgen:ignore`, so internal constants never leak into `zmq.h`.

pub mod capi;
/// cbindgen:ignore
pub mod ctx;
/// cbindgen:ignore
pub mod error;
/// cbindgen:ignore
#[doc(hidden)]
pub mod fuzzing;
/// cbindgen:ignore
pub mod handle;
/// cbindgen:ignore
pub mod io;
/// cbindgen:ignore
pub mod mailbox;
/// cbindgen:ignore
pub mod metadata;
/// cbindgen:ignore
pub mod msg;
/// cbindgen:ignore
pub mod pipe;
/// cbindgen:ignore
pub mod poller;
/// cbindgen:ignore
pub mod proxy;
/// cbindgen:ignore
pub mod socket;
/// cbindgen:ignore
pub mod util;
/// cbindgen:ignore
pub mod ypipe;
/// cbindgen:ignore
pub mod zmtp;

pub use error::{Error, Result};
pub use msg::Msg;
