//! Gives the shared library an ELF soname, `libprocesscreds.so.<major>`, so that programs linked
//! against it record the major version rather than the bare file name. Applies to the cdylib
//! only: the rlib, the staticlib, tests and examples are untouched.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // ELF targets only; Mach-O and PE have no soname.
    if matches!(os.as_str(), "macos" | "ios" | "windows") {
        return;
    }
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libprocesscreds.so.{major}");
}
