//! A helper that prompts on the terminal (an MFA code read from /dev/tty) works when the caller
//! is the foreground process group of its terminal: the helper stays in the caller's group, so
//! it is not stopped by SIGTTIN (D1). The test re-runs itself inside `script`, which gives it a
//! pseudo-terminal as controlling terminal, and types the code.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use processcreds::ProcessProvider;

const CHILD_ENV: &str = "PC_TERMINAL_CHILD";

fn child() {
    let p = ProcessProvider::new(
        r#"printf 'MFA code: ' > /dev/tty; read -r code < /dev/tty; printf '{"Version":1,"AccessKeyId":"MFA-%s","SecretAccessKey":"x"}' "$code""#,
    );
    p.update_options(|o| o.timeout = Duration::from_secs(5));
    match p.retrieve() {
        Ok(c) => println!("RESULT {}", c.access_key_id()),
        Err(e) => println!("RESULT error {e}"),
    }
}

#[test]
fn helper_can_prompt_on_the_terminal() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return child();
    }
    if Command::new("script").arg("--version").output().is_err() {
        panic!("`script` (util-linux) is needed for this test");
    }
    let exe = std::env::current_exe().unwrap();
    let inner = format!(
        "{} --exact helper_can_prompt_on_the_terminal --nocapture --test-threads 1",
        exe.display()
    );
    let mut cmd = Command::new("script");
    cmd.args(["-qefc", &inner, "/dev/null"])
        .env(CHILD_ENV, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut proc = cmd.spawn().unwrap();
    let mut stdin = proc.stdin.take().unwrap();
    // Type the code once the prompt had time to appear; keep stdin open until the end.
    std::thread::sleep(Duration::from_millis(500));
    stdin.write_all(b"123456\n").unwrap();
    stdin.flush().unwrap();
    let out = proc.wait_with_output().unwrap();
    drop(stdin);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("RESULT MFA-123456"),
        "helper could not read the terminal: {text}"
    );
}
