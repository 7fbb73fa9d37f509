#![no_main]
// The `null` target: see zmq::fuzzing::null.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::null(data));
