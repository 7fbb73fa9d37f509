//! Small self-contained services of zmq.h that need no engine: Z85, timers,
//! stopwatches; and the signal mask of the library's own threads.

pub mod fence;
#[cfg(test)]
pub mod model;
pub mod signals;
pub mod timers;
pub mod z85;
