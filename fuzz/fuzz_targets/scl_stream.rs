//! Fuzz target `scl_stream`: see `fuzz_targets::scl_stream` (crate `fuzz-targets`) for
//! the properties checked. The same function replays the committed corpus in
//! the stable test `fuzz-targets/tests/replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::scl_stream(data));
