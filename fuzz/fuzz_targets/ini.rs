//! The shared config INI reader (`processcreds::config::parse_ini_for_fuzz`): never panics,
//! errors never quote the file, results are trimmed.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../checks.rs"]
mod checks;

fuzz_target!(|data: &[u8]| checks::check_ini(data));
