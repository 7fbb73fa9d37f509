#![no_main]
// The `z85` target: see zmq::fuzzing::z85.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::z85(data));
