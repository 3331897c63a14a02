//! The `processcreds` command, run as a real process (README.md, "Sharing credentials between processes"): the shared cache through
//! `cache` (50 processes at once, the expiry window, bypasses that warn once), `get`, `exec`,
//! `clear`, `check` on each documented pitfall (its botocore verdicts compared with real
//! botocore in tests/botocore.rs), and the command-line conventions.

#[path = "../../tests/shared_support/mod.rs"]
mod shared_support;

mod check_fixtures;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output, Stdio};

use check_fixtures::check_fixtures;
use shared_support::*;

const BIN: &str = env!("CARGO_BIN_EXE_processcreds");

/// `processcreds` with the world's cache, counter and helper environment.
fn pc(w: &World) -> Command {
    with_env(Command::new(BIN), w)
}

/// `sh -c script` with the same environment.
fn sh(w: &World, script: &str) -> Command {
    let mut c = with_env(Command::new("sh"), w);
    c.args(["-c", script]);
    c
}

fn with_env(mut c: Command, w: &World) -> Command {
    w.command_env(&mut c);
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON object `cache`/`get` printed.
fn creds(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        text(&out.stderr)
    );
    let s = text(&out.stdout);
    assert_eq!(s.lines().count(), 1, "one line: {s}");
    serde_json::from_str(&s).unwrap()
}

fn cache(w: &World) -> Command {
    let mut c = pc(w);
    c.args(["cache", "--"]).arg(&w.helper);
    c
}

#[test]
fn cache_prints_a_credential_process_object() {
    let w = World::new("cli-object");
    let exp = in_an_hour();
    let out = cache(&w).env("PCT_EXP", &exp).output().unwrap();
    let v = creds(&out);
    assert_eq!(v["Version"], 1);
    assert_eq!(v["AccessKeyId"], "AKIDRUN1");
    let secret = v["SecretAccessKey"].as_str().unwrap();
    assert!(secret.starts_with("s3cr3t-") && secret.ends_with("-\"q\\b$'x-1"));
    assert_eq!(v["SessionToken"], "tok-1");
    assert_eq!(v["Expiration"], exp.as_str(), "RFC 3339, UTC");
    assert!(v.get("AccountId").is_none());
    assert_eq!(text(&out.stderr), "", "nothing on stderr");
    // The second call is served from the cache.
    assert_eq!(creds(&cache(&w).output().unwrap()), v);
    assert_eq!(w.runs(), 1);
    // --command keys on the command string: another entry.
    let v2 = creds(
        &pc(&w)
            .args(["cache", "--command"])
            .arg(&w.helper)
            .output()
            .unwrap(),
    );
    assert_eq!(v2["AccessKeyId"], "AKIDRUN2");
    assert_eq!(w.entries(), 2);
    // --cache-key makes a third.
    let v3 = creds(
        &pc(&w)
            .args(["cache", "--cache-key", "prod", "--"])
            .arg(&w.helper)
            .output()
            .unwrap(),
    );
    assert_eq!(v3["AccessKeyId"], "AKIDRUN3");
    assert_eq!(w.entries(), 3);
    assert_secret_hidden(secret, &w.root, &[&text(&out.stderr)]);
}

#[test]
fn fifty_cache_processes_at_once_run_the_helper_once() {
    let w = World::new("cli-fifty");
    let (reader, mut writer) = pipe();
    let barrier = format!(
        "read -r _ && exec {} cache -- {}",
        quote(BIN),
        quote(w.command())
    );
    let children: Vec<_> = (0..50)
        .map(|_| {
            // `read` consumes one line: each process waits for its own.
            sh(&w, &barrier)
                .env("PCT_SLEEP", "0.3")
                .stdin(Stdio::from(reader.try_clone().unwrap()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    drop(reader);
    writer.write_all("go\n".repeat(50).as_bytes()).unwrap();
    drop(writer);
    let outs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    assert_eq!(w.runs(), 1);
    let first = creds(&outs[0]);
    for o in &outs {
        assert_eq!(creds(o), first);
        assert_eq!(text(&o.stderr), "");
    }
    // Second wave: nothing runs.
    let outs: Vec<_> = (0..50)
        .map(|_| cache(&w).stdout(Stdio::piped()).spawn().unwrap())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    for o in &outs {
        assert_eq!(creds(o), first);
    }
    assert_eq!(w.runs(), 1);
}

pub fn quote(p: impl AsRef<std::path::Path>) -> String {
    format!(
        "'{}'",
        p.as_ref().display().to_string().replace('\'', "'\\''")
    )
}

#[test]
fn default_expiry_window_is_15_minutes() {
    let w = World::new("cli-window");
    let exp = rfc3339_in(10 * 60);
    let a = creds(&cache(&w).env("PCT_EXP", &exp).output().unwrap());
    // Ten minutes left: inside the default 15-minute window, so not served.
    let b = creds(&cache(&w).env("PCT_EXP", &exp).output().unwrap());
    assert_ne!(a, b);
    assert_eq!(w.runs(), 2);
    // A 5-minute window (the option spelled 5m, then 300s) serves it.
    for window in ["5m", "300s"] {
        let mut c = pc(&w);
        c.args(["cache", "--expiry-window", window, "--"])
            .arg(&w.helper)
            .env("PCT_EXP", &exp);
        assert_eq!(creds(&c.output().unwrap()), b);
    }
    assert_eq!(w.runs(), 2);
}

#[test]
fn never_expiring_credentials_are_not_cached_unless_given_a_duration() {
    let w = World::new("cli-never");
    for run in [1, 2] {
        let v = creds(&cache(&w).env("PCT_EXP", "none").output().unwrap());
        assert_eq!(v["AccessKeyId"], format!("AKIDRUN{run}"));
        assert!(v.get("Expiration").is_none());
    }
    assert_eq!(w.entries(), 0);
    let mut c = pc(&w);
    c.args(["cache", "--duration", "1h", "--"])
        .arg(&w.helper)
        .env("PCT_EXP", "none");
    let v = creds(&c.output().unwrap());
    assert!(v.get("Expiration").is_some());
    assert_eq!(w.entries(), 1);
}

#[test]
fn bypassed_cache_warns_once_and_still_succeeds() {
    let w = World::new("cli-bypass");
    std::fs::create_dir(&w.cache).unwrap();
    std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = cache(&w).output().unwrap();
    let v = creds(&out);
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one warning: {err}");
    assert!(err.starts_with("processcreds: warning: shared cache: the directory "));
    assert!(err.contains("mode 0777"), "{err}");
    assert_secret_hidden(v["SecretAccessKey"].as_str().unwrap(), &w.root, &[&err]);
    assert_eq!(
        std::fs::metadata(&w.cache).unwrap().permissions().mode() & 0o777,
        0o777
    );
    // A full disk (file size limit): the credentials, one warning, no secret in it.
    let w = World::new("cli-full");
    let mut c = cache(&w);
    limit_file_size(&mut c, 100, libc::SIG_IGN);
    let out = c.output().unwrap();
    let v = creds(&out);
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("was not written"), "{err}");
    assert_secret_hidden(v["SecretAccessKey"].as_str().unwrap(), &w.root, &[&err]);
    assert_eq!(w.entries(), 0);
}

#[test]
fn failures_and_usage_errors() {
    let w = World::new("cli-errors");
    // A failing helper: Go's text on stderr, exit 1, nothing on stdout, nothing written.
    let out = cache(&w).env("PCT_FAIL", "1").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "helper failed on purpose\nProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3\n"
    );
    assert_eq!(w.entries(), 0);
    // The waiter's timeout, in the command's own terms.
    let out = pc(&w)
        .args(["cache", "--timeout", "200ms", "--command", "sleep 5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "ProcessProviderExecutionError: credential process timed out\n"
    );
    // Usage errors: exit 2.
    for args in [
        vec!["cache"],
        vec!["cache", "--timeout", "10"],
        vec!["cache", "--expiry-window", "1d", "--command", "x"],
        vec!["cache", "--command", "x", "--", "y"],
        vec!["nosuch"],
        vec!["get", "--format", "yaml"],
        vec!["exec", "--command", "x"],
        vec!["check"],
        vec!["clear"],
    ] {
        let out = pc(&w).args(&args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).is_empty());
    }
    // --help and --version: exit 0 on stdout.
    let out = pc(&w).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("processcreds {}\n", env!("CARGO_PKG_VERSION"))
    );
    for args in [
        vec!["--help"],
        vec!["cache", "--help"],
        vec!["check", "--help"],
    ] {
        let out = pc(&w).args(&args).output().unwrap();
        assert!(out.status.success());
        assert!(text(&out.stdout).contains("Usage: processcreds"));
    }
}

#[test]
fn get_env_is_safe_to_eval() {
    let w = World::new("cli-eval");
    let dir = &w.root;
    // A secret with every shell metacharacter, and a newline.
    let secret = "a'b\"c$d`e\\f $(touch pwned) ;|&<>*?~#!\ng";
    let out_json = dir.join("out.json");
    std::fs::write(
        &out_json,
        format!(
            r#"{{"Version":1,"AccessKeyId":"AK'ID","SecretAccessKey":{},"Expiration":"{}"}}"#,
            serde_json::to_string(secret).unwrap(),
            in_an_hour()
        ),
    )
    .unwrap();
    let helper = dir.join("emit.sh");
    write_executable(&helper, format!("#!/bin/sh\ncat {}\n", quote(&out_json)));
    let out = pc(&w)
        .args(["get", "--format", "env", "--"])
        .arg(&helper)
        .output()
        .unwrap();
    assert!(out.status.success());
    let script = format!(
        "AWS_SESSION_TOKEN=stale; eval \"$({} get --format env -- {})\" && \
         printf '%s' \"$AWS_SECRET_ACCESS_KEY\" > secret && printf '%s' \"$AWS_ACCESS_KEY_ID\" > akid && \
         printf '%s' \"${{AWS_SESSION_TOKEN-unset}}\" > token && printf '%s' \"$AWS_CREDENTIAL_EXPIRATION\" > exp",
        quote(BIN),
        quote(&helper)
    );
    let st = sh(&w, &script).current_dir(dir).status().unwrap();
    assert!(st.success());
    assert_eq!(std::fs::read_to_string(dir.join("secret")).unwrap(), secret);
    assert_eq!(std::fs::read_to_string(dir.join("akid")).unwrap(), "AK'ID");
    assert_eq!(std::fs::read_to_string(dir.join("token")).unwrap(), "unset");
    assert!(std::fs::read_to_string(dir.join("exp"))
        .unwrap()
        .ends_with('Z'));
    assert!(!dir.join("pwned").exists());
    // The process format: the same values as a JSON object.
    let v = creds(&pc(&w).args(["get", "--"]).arg(&helper).output().unwrap());
    assert_eq!(v["SecretAccessKey"], secret);
}

#[test]
fn exec_passes_the_variables_and_the_exit_status() {
    let w = World::new("cli-exec");
    let dir = &w.root;
    let run = |script: &str, exp: &str| {
        pc(&w)
            .current_dir(dir)
            .env("PCT_EXP", exp)
            .env("AWS_SESSION_TOKEN", "stale")
            .env("AWS_CREDENTIAL_EXPIRATION", "stale")
            .args(["exec", "--command"])
            .arg(&w.helper)
            .args(["--", "sh", "-c", script])
            .output()
            .unwrap()
    };
    let out = run(
        "printf '%s' \"$AWS_ACCESS_KEY_ID|$AWS_SECRET_ACCESS_KEY|$AWS_SESSION_TOKEN|$AWS_CREDENTIAL_EXPIRATION\" > vars; exit 7",
        &in_an_hour(),
    );
    assert_eq!(out.status.code(), Some(7));
    let vars = std::fs::read_to_string(dir.join("vars")).unwrap();
    let parts: Vec<&str> = vars.split('|').collect();
    assert_eq!(parts[0], "AKIDRUN1");
    assert!(parts[1].starts_with("s3cr3t-") && parts[1].ends_with("-\"q\\b$'x-1"));
    assert_eq!(parts[2], "tok-1");
    assert!(parts[3].ends_with('Z') && parts[3] != "stale");
    // Never-expiring credentials: AWS_CREDENTIAL_EXPIRATION removed; a signal is passed on.
    // (TERM's disposition reset first: the test may be started with it ignored.)
    let out = run(
        "printf '%s' \"${AWS_CREDENTIAL_EXPIRATION-unset}\" > exp; \
         exec env --default-signal sh -c 'kill -TERM $$'",
        "none",
    );
    assert_eq!(out.status.signal(), Some(libc::SIGTERM));
    assert_eq!(std::fs::read_to_string(dir.join("exp")).unwrap(), "unset");
    // A command that does not exist: 127; a failed retrieve: 1, and the command never runs.
    let out = pc(&w)
        .args(["exec", "--command"])
        .arg(&w.helper)
        .args(["--", "/nonexistent/cmd"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127));
    let out = pc(&w)
        .env("PCT_FAIL", "1")
        .args(["exec", "--command"])
        .arg(&w.helper)
        .args(["--", "sh", "-c", "touch ran"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.join("ran").exists());
}

#[test]
fn get_and_exec_read_a_profile() {
    let w = World::new("cli-profile");
    let config = w.root.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile dev]\ncredential_process = {}\n[profile static]\naws_access_key_id = AKSTATIC\naws_secret_access_key = SSTATIC\n",
            w.helper.display()
        ),
    )
    .unwrap();
    // `processcreds` reading this config file, and no credentials file.
    let with_config = || {
        let mut c = pc(&w);
        c.env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", w.root.join("none"));
        c
    };
    let v = creds(
        &with_config()
            .args(["get", "--profile", "dev"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["AccessKeyId"], "AKIDRUN1");
    let v = creds(
        &with_config()
            .env("AWS_PROFILE", "static")
            .args(["get"])
            .output()
            .unwrap(),
    );
    assert_eq!(v["AccessKeyId"], "AKSTATIC");
    assert_eq!(v["SecretAccessKey"], "SSTATIC");
    // A profile that does not exist: Go's config error, exit 1.
    let out = with_config()
        .args(["get", "--profile", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("SharedConfigProfileNotExistsError: "));
    // With the shared cache, a profile shares entries with `cache --command` of its command
    // (the same AWS_CONFIG_FILE value, which is part of the key).
    let v = creds(
        &with_config()
            .args(["cache", "--command"])
            .arg(&w.helper)
            .output()
            .unwrap(),
    );
    let runs = w.runs();
    let v2 = creds(
        &with_config()
            .args(["get", "--shared-cache", "--profile", "dev"])
            .output()
            .unwrap(),
    );
    assert_eq!(v, v2);
    assert_eq!(w.runs(), runs);
}

#[test]
fn clear_removes_entries() {
    let w = World::new("cli-clear");
    creds(&cache(&w).output().unwrap());
    let other = format!("x=1; {}", w.command());
    creds(
        &pc(&w)
            .args(["cache", "--command", &other])
            .output()
            .unwrap(),
    );
    assert_eq!(w.entries(), 2);
    let out = pc(&w)
        .args(["clear", "--"])
        .arg(&w.helper)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("removed 1 entry"));
    assert_eq!(w.entries(), 1);
    creds(&cache(&w).output().unwrap());
    assert_eq!(w.runs(), 3, "the cleared entry is made again");
    // Foreign files are left alone by --all.
    let foreign = w.cache.join("notes.txt");
    std::fs::write(&foreign, "x").unwrap();
    let out = pc(&w).args(["clear", "--all"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("removed 2 entries and 2 lock files"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(w.entries(), 0);
    assert!(foreign.exists());
}

/// A helper printing `body` as it is.
fn emitting(w: &World, name: &str, body: &str) -> std::path::PathBuf {
    let data = w.root.join(format!("{name}.out"));
    std::fs::write(&data, body).unwrap();
    let helper = w.root.join(format!("{name}.sh"));
    write_executable(&helper, format!("#!/bin/sh\ncat {}\n", quote(&data)));
    helper
}

#[test]
fn check_reports_each_pitfall() {
    let w = World::new("cli-check");
    for (name, body, code, tags, sdks) in check_fixtures() {
        let helper = emitting(&w, name, &body);
        let out = pc(&w).args(["check", "--"]).arg(&helper).output().unwrap();
        let report = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{name}:\n{report}{}",
            text(&out.stderr)
        );
        let found: Vec<&str> = report
            .lines()
            .filter_map(|l| l.strip_prefix("pitfall ["))
            .filter_map(|l| l.split(']').next())
            .collect();
        for t in &tags {
            assert!(found.contains(t), "{name}: pitfall {t} missing:\n{report}");
        }
        if code == 0 {
            assert!(found.is_empty(), "{name}:\n{report}");
            assert!(report.contains("verdict: every SDK accepts this output"));
        }
        for s in sdks {
            assert!(
                report.lines().any(|l| l.starts_with(s)),
                "{name}: expected {s:?}:\n{report}"
            );
        }
        // Go's own verdict line, with Go's code and text when it rejects.
        let first = report.lines().next().unwrap();
        assert!(first.starts_with("aws-sdk-go v1: "), "{first}");
        // The secret never shows.
        assert!(!report.contains("SECRET"), "{name}: the secret is shown");
        assert!(!text(&out.stderr).contains("SECRET"));
    }
    // Go's verdict texts.
    let h = emitting(
        &w,
        "v2",
        r#"{"Version":2,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
    );
    let out = pc(&w).args(["check", "--"]).arg(&h).output().unwrap();
    assert!(text(&out.stdout).starts_with(
        "aws-sdk-go v1: rejected: ProcessProviderVersionError: wrong version in process output (not 1)\n"
    ));
    let h = emitting(&w, "nokey", r#"{"Version":1,"SecretAccessKey":"S"}"#);
    let out = pc(&w).args(["check", "--"]).arg(&h).output().unwrap();
    assert!(text(&out.stdout).starts_with(
        "aws-sdk-go v1: rejected: ProcessProviderRequiredError: missing AccessKeyId in process output\n"
    ));
    let out = pc(&w)
        .args(["check", "--command", "exit 4"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with(
        "aws-sdk-go v1: rejected: ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 4\n"
    ));
}

#[test]
fn every_bypass_warns_once_without_the_secret() {
    // A symlinked directory, a symlinked entry, an entry of another owner (or mode).
    let w = World::new("cli-bypasses");
    let v = creds(&cache(&w).output().unwrap());
    let secret = v["SecretAccessKey"].as_str().unwrap().to_owned();
    type Setup = Box<dyn Fn(&World)>;
    let cases: Vec<([&str; 2], Setup)> = vec![
        (
            ["the entry ", "is not used: it is a symbolic link"],
            Box::new(|w: &World| {
                let e = w.entry();
                let target = w.root.join("elsewhere");
                std::fs::rename(&e, &target).unwrap();
                std::os::unix::fs::symlink(&target, &e).unwrap();
            }),
        ),
        (
            ["the entry ", "is not used: it has mode 0644, not 0600"],
            Box::new(|w: &World| {
                let e = w.entry();
                std::fs::remove_file(&e).unwrap();
                std::fs::write(&e, "x").unwrap();
                std::fs::set_permissions(&e, std::fs::Permissions::from_mode(0o644)).unwrap();
            }),
        ),
        (
            ["the directory ", "is not used: it is"],
            Box::new(|w: &World| {
                let real = w.root.join("real-cache");
                std::fs::rename(&w.cache, &real).unwrap();
                std::os::unix::fs::symlink(&real, &w.cache).unwrap();
            }),
        ),
    ];
    let mut run = 1;
    for (what, setup) in cases {
        setup(&w);
        run += 1;
        let out = cache(&w).output().unwrap();
        let got = creds(&out);
        assert_eq!(got["AccessKeyId"], format!("AKIDRUN{run}"), "{what:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{what:?}: {err}");
        assert!(
            err.starts_with("processcreds: warning: shared cache: ")
                && what.iter().all(|f| err.contains(f)),
            "{what:?}: {err}"
        );
        assert_secret_hidden(&secret, &w.root, &[&err]);
        assert_secret_hidden(got["SecretAccessKey"].as_str().unwrap(), &w.root, &[&err]);
    }
}

/// The lines of stderr that are events, as (level, event, fields).
fn event_lines(err: &str) -> Vec<(String, String, String)> {
    err.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("processcreds: ")?;
            let (level, rest) = rest.split_once(' ')?;
            let (event, fields) = rest.split_once(": ")?;
            ["error", "warn", "info", "debug"]
                .contains(&level)
                .then(|| (level.to_owned(), event.to_owned(), fields.to_owned()))
        })
        .collect()
}

fn names(events: &[(String, String, String)]) -> Vec<String> {
    events.iter().map(|(l, e, _)| format!("{l} {e}")).collect()
}

#[test]
fn verbose_shows_the_events_on_stderr() {
    let w = World::new("cli-verbose");
    // -v (info): the run, its exit and the entry written; the worker's lines reach stderr.
    let out = pc(&w)
        .args(["cache", "-v", "--"])
        .arg(&w.helper)
        .output()
        .unwrap();
    let v = creds(&out);
    let err = text(&out.stderr);
    let ev = event_lines(&err);
    assert_eq!(err.lines().count(), ev.len(), "only event lines: {err}");
    assert_eq!(
        names(&ev),
        [
            "info helper.start",
            "info helper.exit",
            "info shared_cache.write"
        ],
        "{err}"
    );
    assert_eq!(ev[0].2, "program=helper.sh");
    assert!(
        ev[1]
            .2
            .starts_with("program=helper.sh status=ok duration_ms="),
        "{err}"
    );
    assert!(
        ev[2].2.contains(&format!("path={}", w.entry().display())),
        "{err}"
    );
    let secret = v["SecretAccessKey"].as_str().unwrap().to_owned();
    assert_secret_hidden(&secret, &w.root, &[&err]);

    // Warm, -v before the subcommand: nothing at info; -vv: the shared-cache hit.
    let out = pc(&w)
        .args(["-v", "cache", "--"])
        .arg(&w.helper)
        .output()
        .unwrap();
    assert_eq!(creds(&out)["AccessKeyId"], "AKIDRUN1");
    assert_eq!(text(&out.stderr), "");
    let out = pc(&w)
        .args(["-vv", "cache", "--"])
        .arg(&w.helper)
        .output()
        .unwrap();
    assert_eq!(creds(&out)["AccessKeyId"], "AKIDRUN1");
    let err = text(&out.stderr);
    assert_eq!(
        names(&event_lines(&err)),
        ["debug shared_cache.hit"],
        "{err}"
    );
    // Without -v, a success prints nothing on stderr.
    let out = cache(&w).output().unwrap();
    assert_eq!(text(&out.stderr), "");

    // A failed run: helper.exit at warn, then Go's error text; the helper's stderr is not in
    // the event.
    let w = World::new("cli-verbose-fail");
    let out = pc(&w)
        .args(["get", "-v", "--"])
        .arg(&w.helper)
        .env("PCT_FAIL", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    let ev = event_lines(&err);
    assert_eq!(
        names(&ev),
        ["info helper.start", "warn helper.exit"],
        "{err}"
    );
    assert!(
        ev[1]
            .2
            .starts_with("program=helper.sh status=execution exit=3 "),
        "{err}"
    );
    assert!(!ev[1].2.contains("on purpose"), "{err}");
    assert!(err.contains("ProcessProviderExecutionError"), "{err}");

    // A 0777 directory: with -v the bypass is a warn event (reason and path), and the plain
    // warning is not repeated; -vv adds nothing else for `get` (it fetches, with no cache).
    let w = World::new("cli-verbose-bypass");
    std::fs::create_dir(&w.cache).unwrap();
    std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = pc(&w)
        .args(["cache", "-vv", "--"])
        .arg(&w.helper)
        .output()
        .unwrap();
    let v = creds(&out);
    let err = text(&out.stderr);
    let ev = event_lines(&err);
    assert_eq!(err.lines().count(), ev.len(), "only event lines: {err}");
    assert_eq!(
        names(&ev),
        [
            "warn shared_cache.bypass",
            "info helper.start",
            "info helper.exit"
        ],
        "{err}"
    );
    assert!(
        ev[0].2.starts_with(&format!(
            "program=helper.sh reason=directory_untrusted path={} detail=",
            w.cache.display()
        )),
        "{err}"
    );
    assert!(ev[0].2.contains("mode 0777"), "{err}");
    assert_secret_hidden(v["SecretAccessKey"].as_str().unwrap(), &w.root, &[&err]);
}
