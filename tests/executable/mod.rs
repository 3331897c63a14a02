//! Writing the programs (helper scripts) that tests then run.
//!
//! A test binary runs its tests on many threads, and each of them starts processes. A file
//! written through a descriptor of the test process is briefly open for writing in every child
//! that another thread forks meanwhile (until that child's exec closes it), and executing the
//! file in that moment fails with `ETXTBSY` ("text file busy"): a failure of the test, not of
//! the library. So the file is written by a child process of its own (`cat`), which has exited
//! when this returns, and no descriptor of this process ever refers to it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Writes `contents` to `path` (replacing it) with mode 0755.
pub fn write_executable(path: &Path, contents: impl AsRef<[u8]>) {
    let mut child = Command::new("sh")
        .args([
            "-c",
            "rm -f \"$1\" && cat > \"$1\" && chmod 755 \"$1\"",
            "sh",
        ])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh starts");
    let mut stdin = child.stdin.take().expect("a pipe to sh");
    stdin
        .write_all(contents.as_ref())
        .expect("the contents reach cat");
    drop(stdin);
    let status = child.wait().expect("sh ends");
    assert!(
        status.success(),
        "writing {} failed: {status}",
        path.display()
    );
}
