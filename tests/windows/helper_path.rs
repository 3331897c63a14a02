//! Where the Windows tests find the helper program (tests/windows/helper.rs, the example
//! `windows_helper`, built by `cargo test` or `cargo build --example windows_helper`): the
//! examples folder beside the test binary's folder.

use std::path::{Path, PathBuf};

/// The helper program's path; fails the test, saying how to build it, when it is missing.
pub fn helper() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let p = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("examples")
        .join("windows_helper.exe");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build --target x86_64-pc-windows-gnu --example windows_helper`",
        p.display()
    );
    p
}
