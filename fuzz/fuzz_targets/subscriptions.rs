#![no_main]
// The `subscriptions` target: see zmq::fuzzing::subscriptions.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::subscriptions(data));
