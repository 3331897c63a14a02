//! The committed `include/processcreds.h` must be exactly what cbindgen generates from
//! `cbindgen.toml` and `src/capi/`. `make header` (PC_UPDATE_HEADER=1) rewrites it.
// Needs proptest/cbindgen, which the Windows test build leaves out (Cargo.toml); runs on POSIX.
#![cfg(not(windows))]

use std::path::Path;

#[test]
fn header_is_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    let path = root.join("include/processcreds.h");
    if std::env::var_os("PC_UPDATE_HEADER").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/processcreds.h is stale: regenerate it with `make header` and commit it"
    );
}
