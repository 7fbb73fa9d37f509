#![no_main]
// The `session` target: see zmq::fuzzing::session.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::session(data));
