#![no_main]
// The `plain` target: see zmq::fuzzing::plain.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::plain(data));
