//! The generated files must be exactly what they are generated from:
//!
//! - `include/processcreds.h`: cbindgen's output for `cbindgen.toml` and `src/capi/`, with the
//!   status constants (`PC_STATUS_*`) and their comments written from the status table of
//!   `src/error.rs` ([`Status::ALL`]);
//! - `bindings/python/src/processcreds/_constants.py`: every `#define` of that header, with its
//!   comment, as a Python constant (and the status names by number).
//!
//! `make header` (PC_UPDATE_HEADER=1) rewrites both.
// Needs proptest/cbindgen, which the Windows test build leaves out (Cargo.toml); runs on POSIX.
#![cfg(not(windows))]

use std::path::Path;

use processcreds::Status;

const PYTHON_CONSTANTS: &str = "bindings/python/src/processcreds/_constants.py";

/// The header's status constants, from the table: each `#define` with its comment, as cbindgen
/// writes the other constants (cbindgen does not see these: they are made by a macro).
fn status_defines() -> String {
    let mut out = String::new();
    for &s in Status::ALL {
        out.push_str("\n/**\n");
        for line in s.doc_lines() {
            out.push_str(" *");
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push_str(&format!(" */\n#define {} {}\n", s.name(), s as u32));
    }
    out.pop();
    out
}

fn header() -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config =
        cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    config.after_includes = Some(status_defines());
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed")
        .write(&mut generated);
    generated
}

/// The Python module of the header's constants: each `#define NAME <number>` preceded by its
/// comment, in the header's order.
fn python_constants(header: &str) -> String {
    let mut out = String::from(
        "\"\"\"The constants of the C ABI: every `#define` of include/processcreds.h, with its comment.\n\
         \n\
         Generated from the header by `make header` (tests/header.rs, which fails when this file is\n\
         stale): do not edit.\n\
         \"\"\"\n\
         \n\
         from typing import Dict\n",
    );
    let mut comment: Vec<String> = Vec::new();
    let mut statuses = Vec::new();
    for line in header.lines() {
        if line == "/**" {
            comment.clear();
        } else if let Some(text) = line.strip_prefix(" *").filter(|_| line != " */") {
            comment.push(text.trim().to_owned());
        } else if let Some(def) = line.strip_prefix("#define PC_") {
            let (name, value) = def.split_once(' ').expect("#define NAME VALUE");
            let value: u64 = value.parse().expect("a number");
            out.push('\n');
            for c in comment.drain(..) {
                out.push_str(if c.is_empty() { "#" } else { "# " });
                out.push_str(&c);
                out.push('\n');
            }
            out.push_str(&format!("PC_{name} = {value}\n"));
            if name.starts_with("STATUS_") {
                statuses.push((value, format!("PC_{name}")));
            }
        } else if !line.starts_with(" */") {
            comment.clear();
        }
    }
    out.push_str("\n# The C name of each status, by number (what pc_status_name returns).\n");
    out.push_str("STATUS_NAMES: Dict[int, str] = {\n");
    for (value, name) in statuses {
        out.push_str(&format!("    {value}: \"{name}\",\n"));
    }
    out.push_str("}\n");
    out
}

#[test]
fn generated_files_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let generated = header();
    let python = python_constants(std::str::from_utf8(&generated).expect("UTF-8 header"));
    let header_path = root.join("include/processcreds.h");
    let python_path = root.join(PYTHON_CONSTANTS);
    if std::env::var_os("PC_UPDATE_HEADER").is_some() {
        std::fs::create_dir_all(header_path.parent().unwrap()).unwrap();
        std::fs::write(&header_path, &generated).unwrap();
        std::fs::write(&python_path, &python).unwrap();
        return;
    }
    let committed = std::fs::read(&header_path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/processcreds.h is stale: regenerate it with `make header` and commit it"
    );
    let committed = std::fs::read_to_string(&python_path).unwrap_or_default();
    assert!(
        committed == python,
        "{PYTHON_CONSTANTS} is stale: regenerate it with `make header` and commit it"
    );
}

#[test]
fn the_header_carries_every_status_with_its_documentation() {
    let header = String::from_utf8(header()).unwrap();
    for &s in Status::ALL {
        let define = format!("#define {} {}\n", s.name(), s as u32);
        assert_eq!(header.matches(&define).count(), 1, "{define}");
        let first_doc_line = format!(" *{}\n", s.doc_lines()[0].trim_end());
        let at = header.find(&define).unwrap();
        assert!(
            header[..at].ends_with(&format!(
                "{first_doc_line}{} */\n",
                s.doc_lines()[1..]
                    .iter()
                    .map(|l| format!(" *{}\n", l.trim_end()))
                    .collect::<String>()
            )),
            "{}: its comment is not the table's",
            s.name()
        );
    }
    for name in ["PC_DEFAULT_TIMEOUT_MS 60000", "PC_DEFAULT_BUF_SIZE 8192"] {
        assert!(header.contains(&format!("#define {name}\n")), "{name}");
    }
}
