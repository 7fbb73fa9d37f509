#![no_main]
// The `curve` target: see zmq::fuzzing::curve.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::curve(data));
