#![no_main]
// The `stream_read` target: see zmq::fuzzing::stream_read.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::stream_read(data));
