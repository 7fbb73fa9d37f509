#![no_main]
// The `socks` target: see zmq::fuzzing::socks.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::socks(data));
