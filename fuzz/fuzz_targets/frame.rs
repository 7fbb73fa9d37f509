#![no_main]
// The `frame` target: see zmq::fuzzing::frame.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::frame(data));
