//! Finding the program as Go's `os/exec` does on Windows (Go 1.22 and later; `lp_windows.go`),
//! with its error texts.
//!
//! `exec.Command(name)` looks a bare name (no separator) up with `LookPath`: the current
//! directory first unless `NoDefaultCurrentDirectoryInExePath` is set (a program found there
//! only is refused, Go's `ErrDot`), then each directory of `%PATH%`, trying the extensions of
//! `%PATHEXT%` (default `.com;.exe;.bat;.cmd`). `Cmd.Start` then resolves the path once more
//! with `lookExtensions`: a path whose extension is one of `%PATHEXT%` is used as it is, others
//! get the extensions tried. A command string runs `cmd.exe` found this way.
//!
//! Go 1.20 and 1.21 differ in two texts, which this module does not follow: a missing path that
//! has no extension is `file does not exist` there (`executable file not found in %PATH%`
//! here), and a missing path with an extension of `%PATHEXT%` fails there in the lookup (`exec:
//! "C:\\x\\h.exe": file does not exist`) rather than at `CreateProcess` (`fork/exec C:\x\h.exe:
//! The system cannot find the path specified.`); empty `%PATH%` entries, which Go 1.20 reads as
//! the current directory, are skipped.

use crate::runner::go_quote;
use crate::winpath;

const NOT_FOUND: &str = "executable file not found in %PATH%";
const NOT_EXIST: &str = "file does not exist";
const DOT: &str = "cannot run executable found relative to current directory";

/// The path `os/exec` would hand to `CreateProcess` for `name`, or the text of its error
/// (`exec: "name": …`).
pub(in crate::runner) fn resolve(name: &str) -> Result<String, String> {
    let exts = path_ext();
    if winpath::base(name) == name {
        let found = look_path(name, &exts)?;
        look_extensions(&found, &exts)
    } else {
        look_extensions(name, &exts)
    }
}

/// The file `cmd.exe` runs for `name`, the first word of a command string (quotes removed):
/// a path as it is (or with the extensions of `%PATHEXT%`); a bare name in the current directory
/// first, unless `NoDefaultCurrentDirectoryInExePath` is set, then in each directory of
/// `%PATH%`. Unlike `os/exec`, cmd.exe runs a program it finds in the current directory.
pub(in crate::runner) fn resolve_in_cmd(name: &str) -> Option<String> {
    let exts = path_ext();
    if !valid(name) {
        return None;
    }
    if name.contains([':', '\\', '/']) {
        return find_executable(name, &exts).ok();
    }
    if std::env::var_os("NoDefaultCurrentDirectoryInExePath").is_none() {
        if let Ok(f) = find_executable(&winpath::join(".", name), &exts) {
            return Some(f);
        }
    }
    let path = std::env::var("PATH").unwrap_or_default();
    winpath::split_list(&path)
        .iter()
        .filter(|d| !d.is_empty())
        .find_map(|d| find_executable(&winpath::join(d, name), &exts).ok())
}

fn error(name: &str, what: &str) -> String {
    format!("exec: {}: {what}", go_quote(name))
}

/// `%PATHEXT%`, lower-cased, each with its leading dot.
fn path_ext() -> Vec<String> {
    let x = std::env::var("PATHEXT").unwrap_or_default();
    if x.is_empty() {
        return [".com", ".exe", ".bat", ".cmd"].map(String::from).to_vec();
    }
    x.to_lowercase()
        .split(';')
        .filter(|e| !e.is_empty())
        .map(|e| {
            if e.starts_with('.') {
                e.to_string()
            } else {
                format!(".{e}")
            }
        })
        .collect()
}

/// Go's `validateLookPath`.
fn valid(name: &str) -> bool {
    !matches!(name, "" | "." | "..")
}

/// Go's `LookPath`.
fn look_path(file: &str, exts: &[String]) -> Result<String, String> {
    if !valid(file) {
        return Err(error(file, NOT_FOUND));
    }
    look_path_exts(file, exts)
}

/// Go's `lookExtensions(path, "")`.
fn look_extensions(path: &str, exts: &[String]) -> Result<String, String> {
    if !valid(path) {
        return Err(error(path, NOT_FOUND));
    }
    let path = if winpath::base(path) == path {
        format!(".\\{path}")
    } else {
        path.to_string()
    };
    let ext = winpath::ext(&path);
    if !ext.is_empty() && exts.iter().any(|e| e.eq_ignore_ascii_case(ext)) {
        return Ok(path);
    }
    look_path_exts(&path, exts)
}

/// Go's `lookPathExts`.
fn look_path_exts(file: &str, exts: &[String]) -> Result<String, String> {
    if file.contains([':', '\\', '/']) {
        return find_executable(file, exts).map_err(|e| error(file, e));
    }
    // (path found in the current directory, the ErrDot error for it)
    let mut dot: Option<(String, String)> = None;
    if std::env::var_os("NoDefaultCurrentDirectoryInExePath").is_none() {
        if let Ok(f) = find_executable(&winpath::join(".", file), exts) {
            dot = Some((f, error(file, DOT)));
        }
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for dir in winpath::split_list(&path) {
        if dir.is_empty() {
            continue;
        }
        let Ok(f) = find_executable(&winpath::join(&dir, file), exts) else {
            continue;
        };
        if let Some((dotf, err)) = &dot {
            // Go (issue 53536): the current directory's program is fine when it is the very
            // file %PATH% gives.
            if !same_file(dotf, &f) {
                return Err(err.clone());
            }
        }
        if !winpath::is_abs(&f) {
            if dot.is_none() {
                dot = Some((f.clone(), error(file, DOT)));
            }
            continue;
        }
        return Ok(f);
    }
    match dot {
        Some((_, err)) => Err(err),
        None => Err(error(file, NOT_FOUND)),
    }
}

/// Go's `findExecutable`: the file itself when it has an extension, then with each extension.
fn find_executable(file: &str, exts: &[String]) -> Result<String, &'static str> {
    let has_ext = has_ext(file);
    if has_ext && is_file(file) {
        return Ok(file.to_string());
    }
    for e in exts {
        let f = format!("{file}{e}");
        if is_file(&f) {
            return Ok(f);
        }
    }
    Err(if has_ext { NOT_EXIST } else { NOT_FOUND })
}

/// Go's `hasExt`: a dot after the last separator or colon.
fn has_ext(file: &str) -> bool {
    match file.rfind('.') {
        Some(i) => file.rfind([':', '\\', '/']).is_none_or(|s| s < i),
        None => false,
    }
}

/// Go's `chkStat` succeeding: the path exists and is not a directory.
fn is_file(path: &str) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_dir())
}

fn same_file(a: &str, b: &str) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        assert!(has_ext("a.exe"));
        assert!(has_ext("C:\\d\\a.b"));
        assert!(!has_ext("C:\\d.x\\a"));
        assert!(!has_ext("a"));
    }

    #[test]
    fn cmd_exe_is_found_on_path() {
        let p = resolve("cmd.exe").expect("cmd.exe on %PATH%");
        assert!(winpath::is_abs(&p), "{p}");
        assert!(p.to_lowercase().ends_with("\\cmd.exe"), "{p}");
    }

    #[test]
    fn errors_in_go_words() {
        assert_eq!(
            resolve("pc-no-such-program").unwrap_err(),
            "exec: \"pc-no-such-program\": executable file not found in %PATH%"
        );
        assert_eq!(
            resolve("..").unwrap_err(),
            "exec: \"..\": executable file not found in %PATH%"
        );
        assert_eq!(
            resolve("C:\\pc-no-such-dir\\helper").unwrap_err(),
            "exec: \"C:\\\\pc-no-such-dir\\\\helper\": executable file not found in %PATH%"
        );
        assert_eq!(
            resolve("C:\\pc-no-such-dir\\helper.txt").unwrap_err(),
            "exec: \"C:\\\\pc-no-such-dir\\\\helper.txt\": file does not exist"
        );
        // An extension of %PATHEXT% is left to CreateProcess.
        assert_eq!(
            resolve("C:\\pc-no-such-dir\\helper.exe").unwrap(),
            "C:\\pc-no-such-dir\\helper.exe"
        );
    }
}
