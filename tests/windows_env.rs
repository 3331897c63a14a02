//! Windows behaviour that depends on the process environment, in one test because it changes
//! the environment: cmd.exe and argv programs found as Go's `os/exec` finds them (`%PATH%`,
//! `%PATHEXT%`, the current directory, `NoDefaultCurrentDirectoryInExePath`) with its error
//! texts, the environment the helper inherits, and the shared config under `%USERPROFILE%` (Go
//! v1's `shareddefaults` on Windows). Run under Wine by `make test-windows`.
#![cfg(windows)]

#[path = "windows/helper_path.rs"]
mod helper_path;

use std::path::{Path, PathBuf};

use helper_path::helper;
use processcreds::config::SharedConfig;
use processcreds::ProcessProvider;

fn exec_error(p: &ProcessProvider) -> String {
    p.retrieve().unwrap_err().to_string()
}

const PREFIX: &str = "ProcessProviderExecutionError: error in credential_process\ncaused by: ";

fn set(k: &str, v: Option<&str>) {
    match v {
        Some(v) => std::env::set_var(k, v),
        None => std::env::remove_var(k),
    }
}

fn lookup(root: &Path) {
    let saved_path = std::env::var_os("PATH").unwrap();
    let saved_cwd = std::env::current_dir().unwrap();
    let empty = root.join("empty dir");
    std::fs::create_dir_all(&empty).unwrap();
    let echo = ProcessProvider::new(
        "echo {\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
    );

    // No cmd.exe on %PATH%.
    set("PATH", Some(empty.to_str().unwrap()));
    std::env::set_current_dir(&empty).unwrap();
    assert_eq!(
        exec_error(&echo),
        format!("{PREFIX}exec: \"cmd.exe\": executable file not found in %PATH%")
    );

    // A cmd.exe only in the current directory is refused (Go's ErrDot), or not even looked at
    // with NoDefaultCurrentDirectoryInExePath set.
    let dot = root.join("dot dir");
    std::fs::create_dir_all(&dot).unwrap();
    std::fs::copy(helper(), dot.join("cmd.exe")).unwrap();
    std::env::set_current_dir(&dot).unwrap();
    assert_eq!(
        exec_error(&echo),
        format!(
            "{PREFIX}exec: \"cmd.exe\": cannot run executable found relative to current directory"
        )
    );
    set("NoDefaultCurrentDirectoryInExePath", Some("1"));
    assert_eq!(
        exec_error(&echo),
        format!("{PREFIX}exec: \"cmd.exe\": executable file not found in %PATH%")
    );
    set("NoDefaultCurrentDirectoryInExePath", None);

    // A program found on %PATH% through %PATHEXT%: the bare name of the helper.
    let bin = root.join("bin dir");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(helper(), bin.join("pc-helper.exe")).unwrap();
    for e in std::fs::read_dir(helper().parent().unwrap())
        .unwrap()
        .flatten()
    {
        if e.path()
            .extension()
            .is_some_and(|x| x.eq_ignore_ascii_case("dll"))
        {
            std::fs::copy(e.path(), bin.join(e.file_name())).unwrap();
        }
    }
    std::env::set_current_dir(&saved_cwd).unwrap();
    let path = std::env::join_paths(
        [bin.clone().into_os_string(), saved_path.clone()]
            .iter()
            .map(PathBuf::from),
    )
    .unwrap();
    std::env::set_var("PATH", &path);
    let p = ProcessProvider::from_argv(vec!["pc-helper".into(), "json".into(), "ONPATH".into()])
        .unwrap();
    assert_eq!(p.retrieve().unwrap().access_key_id(), "ONPATH");
    set("PATHEXT", Some(".com;.bat"));
    p.expire();
    assert_eq!(
        exec_error(&p),
        format!("{PREFIX}exec: \"pc-helper\": executable file not found in %PATH%")
    );
    set("PATHEXT", None);

    // A path: used as it is when its extension is one of %PATHEXT%, else extensions are tried.
    let missing = root.join("no such dir").join("helper.exe");
    let p = ProcessProvider::from_argv(vec![missing.display().to_string()]).unwrap();
    let e = exec_error(&p);
    assert!(
        e.starts_with(&format!("{PREFIX}fork/exec {}: ", missing.display())),
        "{e}"
    );
    let no_ext = root.join("no such dir").join("helper");
    let p = ProcessProvider::from_argv(vec![no_ext.display().to_string()]).unwrap();
    assert_eq!(
        exec_error(&p),
        format!(
            "{PREFIX}exec: \"{}\": executable file not found in %PATH%",
            no_ext.display().to_string().replace('\\', "\\\\")
        )
    );
    let p = ProcessProvider::from_argv(vec![
        bin.join("pc-helper").display().to_string(),
        "json".into(),
        "EXT".into(),
    ])
    .unwrap();
    assert_eq!(p.retrieve().unwrap().access_key_id(), "EXT");

    std::env::set_var("PATH", &saved_path);
}

/// The helper inherits the environment as it is at retrieve time.
fn environment() {
    let p = ProcessProvider::new(
        "echo {\"Version\":1,\"AccessKeyId\":\"%PC_WIN_ENV_TEST%\",\"SecretAccessKey\":\"S\"}",
    );
    set("PC_WIN_ENV_TEST", Some("FIRST"));
    assert_eq!(p.retrieve().unwrap().access_key_id(), "FIRST");
    p.expire();
    set("PC_WIN_ENV_TEST", Some("SECOND"));
    assert_eq!(p.retrieve().unwrap().access_key_id(), "SECOND");
    set("PC_WIN_ENV_TEST", None);
}

/// Shared config: `%USERPROFILE%\.aws\credentials` and `\config`; `HOME` is not consulted.
fn userprofile(root: &Path) {
    let home = root.join("user profile");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws").join("credentials"),
        "[default]\r\naws_access_key_id = AKIDWINHOME\r\naws_secret_access_key = S\r\n",
    )
    .unwrap();
    std::fs::write(
        home.join(".aws").join("config"),
        "[profile proc]\r\ncredential_process = echo {\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"S\"}\r\n",
    )
    .unwrap();
    for k in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_SDK_LOAD_CONFIG",
    ] {
        set(k, None);
    }
    set("HOME", Some(root.join("not the home").to_str().unwrap()));
    set("USERPROFILE", Some(home.to_str().unwrap()));

    let p = ProcessProvider::from_profile(None, SharedConfig::Env).unwrap();
    let c = p.retrieve().unwrap();
    assert_eq!(c.access_key_id(), "AKIDWINHOME");
    assert_eq!(
        c.provider_name(),
        format!(
            "SharedConfigCredentials: {}",
            home.join(".aws").join("credentials").display()
        )
    );

    let p = ProcessProvider::from_profile(Some("proc"), SharedConfig::Enable).unwrap();
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKIDPROC");

    let e = ProcessProvider::from_profile(Some("nope"), SharedConfig::Enable).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "SharedConfigProfileNotExistsError: failed to get profile, nope: no [nope] or [profile nope] section in {}, {}",
            home.join(".aws").join("config").display(),
            home.join(".aws").join("credentials").display()
        )
    );
}

#[test]
fn windows_environment() {
    let root = std::env::temp_dir().join(format!("pc-winenv-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    lookup(&root);
    environment();
    userprofile(&root);
    let _ = std::fs::remove_dir_all(&root);
}
