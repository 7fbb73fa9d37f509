#![no_main]
// The `ws` target: see zmq::fuzzing::ws.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::ws(data));
