#![no_main]
// The `endpoint` target: see zmq::fuzzing::endpoint.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::endpoint(data));
