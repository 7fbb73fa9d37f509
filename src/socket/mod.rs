//! Sockets: the per-socket core shared by every pattern (options, pipes,
//! commands, blocking with timeouts) and the routing blocks the patterns
//! are built from.

pub mod pipes;
