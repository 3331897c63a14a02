//! The helper's output parser (`processcreds::output::parse`): never panics, errors never quote
//! the output (D4), successes hold no NUL (D8) and never show secrets in `Debug`.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_output(data));
