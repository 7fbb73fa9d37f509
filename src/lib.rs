//! ferrozmq: ZeroMQ's messaging library in Rust, shipped as a drop-in
//! `libzmq.so.5`.
//!
//! The safe core (`ctx`, `msg`, `metadata`, `util`, later the engine) never
//! mentions C types; `capi` is the only place that does, and the only one that
//! exports symbols. See `docs/ARCHITECTURE.md` for the module map.

pub mod capi;
pub mod ctx;
pub mod error;
pub mod handle;
pub mod mailbox;
pub mod metadata;
pub mod msg;
pub mod pipe;
pub mod socket;
pub mod util;
pub mod ypipe;
pub mod zmtp;

pub use error::{Error, Result};
pub use msg::Msg;
