#![no_main]
// The `command` target: see zmq::fuzzing::command.
libfuzzer_sys::fuzz_target!(|data: &[u8]| zmq::fuzzing::command(data));
