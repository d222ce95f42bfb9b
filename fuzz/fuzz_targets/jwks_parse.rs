//! Fuzz target `jwks_parse`: see `fuzz_targets::jwks_parse` (crate `fuzz-targets`) for
//! the properties checked. The same function replays the committed corpus in
//! the stable test `fuzz-targets/tests/replay.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fuzz_targets::jwks_parse(data));
