//! Small self-contained services of zmq.h that need no engine: Z85, timers,
//! stopwatches.

pub mod fence;
#[cfg(test)]
pub mod model;
pub mod timers;
pub mod z85;
