//! The environment is read at each retrieve: `PATH` for `sh` and bare program names, and the
//! variables the helper inherits. This binary holds a single test because it changes the
//! process environment.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

mod common;

use common::*;
use processcreds::ProcessProvider;

#[test]
fn environment_is_read_at_each_retrieve() {
    let dir = TempDir::new("env");
    let p = ProcessProvider::new(
        r#"printf '{"Version":1,"AccessKeyId":"%s","SecretAccessKey":"x"}' "$PC_TEST_KEY""#,
    );
    let argv = ProcessProvider::from_argv(vec!["cat".into(), "/dev/null".into()]).unwrap();
    let old_path = std::env::var_os("PATH").unwrap();

    // SAFETY: this test binary runs this one test, on one thread.
    unsafe { std::env::set_var("PC_TEST_KEY", "AKFIRST") };
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKFIRST");
    p.expire();
    unsafe { std::env::set_var("PC_TEST_KEY", "AKSECOND") };
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKSECOND");

    // `sh` missing from PATH.
    unsafe { std::env::set_var("PATH", dir.path()) };
    p.expire();
    assert_eq!(
        p.retrieve().unwrap_err().to_string(),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exec: \"sh\": executable file not found in $PATH"
    );
    assert_eq!(
        argv.retrieve().unwrap_err().to_string(),
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exec: \"cat\": executable file not found in $PATH"
    );
    // PATH unset: nothing is found.
    unsafe { std::env::remove_var("PATH") };
    assert!(p
        .retrieve()
        .unwrap_err()
        .to_string()
        .ends_with("executable file not found in $PATH"));
    // An executable found relative to the working directory is refused, as Go does.
    std::os::unix::fs::symlink("/bin/sh", dir.join("sh")).unwrap();
    unsafe { std::env::set_var("PATH", "relative-dir") };
    let cwd = std::env::current_dir().unwrap();
    std::fs::create_dir_all(dir.join("relative-dir")).unwrap();
    std::os::unix::fs::symlink("/bin/sh", dir.join("relative-dir/sh")).unwrap();
    std::env::set_current_dir(dir.path()).unwrap();
    let e = p.retrieve().unwrap_err().to_string();
    std::env::set_current_dir(cwd).unwrap();
    assert_eq!(
        e,
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exec: \"sh\": cannot run executable found relative to current directory"
    );
    // Found again once PATH is back.
    unsafe { std::env::set_var("PATH", &old_path) };
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKSECOND");
}
