#![no_main]
// The `greeting` target: see zmq::fuzzing::greeting.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::greeting(data));
