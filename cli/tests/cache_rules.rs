//! `processcreds cache` and `clear` as real processes, against the shared cache's rules: what
//! separates entries and what still shares them (the cases a new user meets: projects in other
//! directories, PATH, a role in a variable, HOME, AWS_* variables, --duration), a provider and
//! the command sharing one entry, --key-env and --cache-key, `clear` for the README's profile
//! recipe and `clear --all` beside a running helper, signals to the command (the helper's tree
//! dies with it), the directory rules and the file size limit.

#[path = "../../tests/shared_support/mod.rs"]
mod shared_support;

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use shared_support::*;

const BIN: &str = env!("CARGO_BIN_EXE_processcreds");

client_process_test!();

/// `processcreds ARGS` with the world's cache and counter, no AWS_* variable, the three
/// signals at their default (whatever the test runner was started with).
fn pc(w: &World) -> Command {
    let mut c = Command::new(BIN);
    w.command_env(&mut c);
    // SAFETY: async-signal-safe calls only, between fork and exec.
    unsafe {
        c.pre_exec(|| {
            for s in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
                libc::signal(s, libc::SIG_DFL);
            }
            Ok(())
        });
    }
    c
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The key id `cache` printed (it must succeed).
fn akid(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}: {}",
        out.status,
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["AccessKeyId"].as_str().unwrap().to_owned()
}

/// A C ABI client in the same environment as [`pc`]'s (no AWS_* variable).
fn client(w: &World) -> ClientBuilder {
    let mut b = w.client();
    without_aws_vars(&mut b.cmd);
    b
}

fn run_in(mut c: Command, dir: &Path) -> Output {
    c.current_dir(dir).output().unwrap()
}

fn cache_argv(w: &World, argv: &[&str]) -> Command {
    let mut c = pc(w);
    c.args(["cache", "--"]).args(argv);
    c
}

fn cache_cmd(w: &World, cmd: &str) -> Command {
    let mut c = pc(w);
    c.args(["cache", "--command", cmd]);
    c
}

#[test]
fn the_key_separates_what_changes_the_helpers_output() {
    let w = World::new("cli-separate");
    let a = w.project("projA");
    let b = w.project("projB");
    let mut run = 0;
    let mut expect = |out: Output| {
        run += 1;
        assert_eq!(akid(&out), format!("AKIDRUN{run}"));
    };
    // cd projA && processcreds cache -- ./bin/creds; cd projB && … (and --command).
    expect(run_in(cache_argv(&w, &["./bin/creds"]), &a));
    expect(run_in(cache_argv(&w, &["./bin/creds"]), &b));
    expect(run_in(cache_cmd(&w, "./bin/creds"), &a));
    expect(run_in(cache_cmd(&w, "./bin/creds"), &b));
    assert_eq!(
        akid(&run_in(cache_argv(&w, &["./bin/creds"]), &a)),
        "AKIDRUN1"
    );
    // PATH=projA/bin then PATH=projB/bin.
    let on_path = |mut c: Command, dir: &Path| {
        c.env(
            "PATH",
            format!("{}:/usr/bin:/bin", dir.join("bin").display()),
        );
        c.output().unwrap()
    };
    expect(on_path(cache_argv(&w, &["creds"]), &a));
    expect(on_path(cache_argv(&w, &["creds"]), &b));
    expect(on_path(cache_cmd(&w, "creds"), &a));
    expect(on_path(cache_cmd(&w, "creds"), &b));
    // ROLE=readonly, then ROLE=admin.
    let cmd = format!("{} --role \"$ROLE\"", w.command());
    expect(
        cache_cmd(&w, &cmd)
            .env("ROLE", "readonly")
            .output()
            .unwrap(),
    );
    expect(cache_cmd(&w, &cmd).env("ROLE", "admin").output().unwrap());
    // HOME, and AWS_* variables beyond the profile ones.
    for (k, v1, v2) in [
        ("HOME", "/home/one", "/home/two"),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::1:role/a",
            "arn:aws:iam::1:role/b",
        ),
        ("AWS_VAULT", "dev", "prod"),
    ] {
        expect(cache_argv(&w, &[&w.command()]).env(k, v1).output().unwrap());
        expect(cache_argv(&w, &[&w.command()]).env(k, v2).output().unwrap());
    }
    // --duration 12h, then --duration 20m: separate entries, the 20-minute expiry printed.
    let mut c = pc(&w);
    c.args(["cache", "--duration", "12h", "--"])
        .arg(&w.helper)
        .env("PCT_EXP", "none");
    expect(c.output().unwrap());
    let mut c = pc(&w);
    c.args(["cache", "--duration", "20m", "--expiry-window", "1m", "--"])
        .arg(&w.helper)
        .env("PCT_EXP", "none");
    let out = c.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let exp =
        processcreds::time::parse_rfc3339(v["Expiration"].as_str().unwrap().as_bytes()).unwrap();
    let left = exp.as_millis() - processcreds::time::UnixTime::now().as_millis();
    assert!(left > 18 * 60 * 1000 && left <= 20 * 60 * 1000, "{left} ms");
    expect(out);
    assert_eq!(w.runs(), run);
}

#[test]
fn other_directories_terminals_and_a_virtualenv_share_one_entry() {
    let w = World::new("cli-share");
    let tools = w.project("tools");
    let venv = w.virtualenv(&tools);
    let with = |dir: &str, path: &Path, term: &str, shlvl: &str, oldpwd: &str| {
        let mut c = cache_argv(&w, &["creds", "--profile", "prod"]);
        c.env("PATH", format!("{}:/usr/bin:/bin", path.display()))
            .env("TERM", term)
            .env("SHLVL", shlvl)
            .env("OLDPWD", oldpwd)
            .env("PWD", dir)
            .current_dir(dir);
        akid(&c.output().unwrap())
    };
    assert_eq!(
        with("/", &tools.join("bin"), "xterm", "1", "/tmp"),
        "AKIDRUN1"
    );
    assert_eq!(with("/tmp", &venv, "dumb", "4", "/"), "AKIDRUN1");
    assert_eq!(
        with(w.root.to_str().unwrap(), &venv, "screen", "2", "/usr"),
        "AKIDRUN1"
    );
    // --command likewise, and an absolute program from anywhere.
    let cmd = |dir: &str| akid(&run_in(cache_cmd(&w, &w.command()), Path::new(dir)));
    assert_eq!(cmd("/"), "AKIDRUN2");
    assert_eq!(cmd("/tmp"), "AKIDRUN2");
    assert_eq!(w.runs(), 2);
}

#[test]
fn a_provider_and_the_command_share_with_default_options() {
    let w = World::new("cli-provider");
    // The command first, then a C ABI provider (argv and command string) in the same
    // environment.
    let first = akid(&cache_argv(&w, &[&w.command()]).output().unwrap());
    assert_eq!(first, "AKIDRUN1");
    let o = client(&w).env("PCT_ARGV", w.command()).run();
    assert_eq!(o.akid, "AKIDRUN1");
    // The provider first, then the command.
    let o = client(&w).run();
    o.assert_run(2);
    assert_eq!(
        akid(&cache_cmd(&w, &w.command()).output().unwrap()),
        "AKIDRUN2"
    );
    // --cache-key and --key-env are the provider's key text and named variables.
    let o = client(&w)
        .env("PCT_KEY", "prod")
        .env("PCT_KEY_ENV", "TOKEN_FILE")
        .env("TOKEN_FILE", "/a")
        .run();
    o.assert_run(3);
    let mut c = pc(&w);
    c.args([
        "cache",
        "--cache-key",
        "prod",
        "--key-env",
        "TOKEN_FILE",
        "--command",
    ])
    .arg(w.command())
    .env("TOKEN_FILE", "/a");
    assert_eq!(akid(&c.output().unwrap()), "AKIDRUN3");
    assert_eq!(w.runs(), 3);
}

#[test]
fn key_env_separates_and_cache_key_too() {
    let w = World::new("cli-keyenv");
    let run = |args: &[&str], token: Option<&str>| {
        let mut c = pc(&w);
        c.arg("cache").args(args).arg("--").arg(&w.helper);
        match token {
            Some(t) => c.env("TOKEN_FILE", t),
            None => c.env_remove("TOKEN_FILE"),
        };
        akid(&c.output().unwrap())
    };
    let k = ["--key-env", "TOKEN_FILE"];
    assert_eq!(run(&k, Some("/a")), "AKIDRUN1");
    assert_eq!(run(&k, Some("/b")), "AKIDRUN2");
    assert_eq!(run(&k, None), "AKIDRUN3");
    assert_eq!(run(&k, Some("/a")), "AKIDRUN1");
    // Unnamed, the variable does not matter.
    assert_eq!(run(&[], Some("/a")), "AKIDRUN4");
    assert_eq!(run(&[], Some("/b")), "AKIDRUN4");
    assert_eq!(run(&["--cache-key", "x"], None), "AKIDRUN5");
    // A bad name is a usage error.
    let out = pc(&w)
        .args(["cache", "--key-env", "A=B", "--command", "true"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// `[profile prod] credential_process = processcreds cache -- helper`: the README's recipe.
#[test]
fn clear_removes_what_the_profile_recipe_uses() {
    let w = World::new("cli-clear-profile");
    let config = w.root.join("config");
    let line = format!(
        "{} cache --key-env TOKEN_FILE -- {}",
        BIN,
        w.helper.display()
    );
    std::fs::write(
        &config,
        format!("[profile prod]\ncredential_process = {line}\n"),
    )
    .unwrap();
    // What an SDK does: the line through `sh -c`, with AWS_PROFILE=prod (AWS_PROFILE=prod aws …)
    // and without it (aws --profile prod …); `processcreds clear` in the same environment.
    let env = |c: &mut Command, profile: Option<&str>| {
        c.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("HOME", &w.root)
            .env("PROCESSCREDS_CACHE_DIR", &w.cache)
            .env("PCT_COUNT", &w.count)
            .env("PCT_EXP", in_an_hour())
            .env("AWS_CONFIG_FILE", &config)
            .env("TOKEN_FILE", "/t")
            .stdin(Stdio::null());
        if let Some(p) = profile {
            c.env("AWS_PROFILE", p);
        }
    };
    let via_sdk = |profile: Option<&str>| {
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(&line);
        env(&mut sh, profile);
        akid(&sh.output().unwrap())
    };
    let clear = || {
        let mut c = Command::new(BIN);
        env(&mut c, None);
        c.args(["clear", "--profile", "prod"]).output().unwrap()
    };
    assert_eq!(via_sdk(Some("prod")), "AKIDRUN1");
    assert_eq!(via_sdk(None), "AKIDRUN2");
    assert_eq!(via_sdk(Some("prod")), "AKIDRUN1");
    assert_eq!(w.entries(), 2);
    let out = clear();
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(
        said.starts_with(&format!(
            "removed 2 entries and 2 lock files from {}:",
            w.cache.display()
        )),
        "{said}"
    );
    assert_eq!(
        said.lines().filter(|l| l.ends_with(".entry")).count(),
        2,
        "{said}"
    );
    assert_eq!(w.entries(), 0);
    // Cleared: the next SDK call runs the helper.
    assert_eq!(via_sdk(Some("prod")), "AKIDRUN3");
    // Nothing left of the other reader: clear says where it looked.
    let out = clear();
    assert!(text(&out.stdout).starts_with("removed 1 entry and 1 lock file"));
    let out = clear();
    assert_eq!(
        text(&out.stdout),
        format!(
            "nothing removed: no entry of the profile prod in {}\n",
            w.cache.display()
        )
    );
    assert!(out.status.success());
}

#[test]
fn clear_says_what_it_removed_and_where_it_looked() {
    let w = World::new("cli-clear-says");
    // `processcreds clear ARGS HELPER`.
    let clear = |args: &[&str]| {
        pc(&w)
            .arg("clear")
            .args(args)
            .arg(&w.helper)
            .output()
            .unwrap()
    };
    let out = clear(&["--"]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "nothing removed: the cache directory {} does not exist\n",
            w.cache.display()
        )
    );
    akid(&cache_argv(&w, &[&w.command()]).output().unwrap());
    let out = clear(&["--command"]);
    assert_eq!(
        text(&out.stdout),
        format!(
            "nothing removed: no entry of this helper in {}\n",
            w.cache.display()
        )
    );
    let out = clear(&["--"]);
    let said = text(&out.stdout);
    let entry = w.cache_files().into_keys().find(|n| n.ends_with(".lock"));
    assert!(entry.is_none(), "the lock file went too");
    assert!(
        said.starts_with("removed 1 entry and 1 lock file from "),
        "{said}"
    );
    assert_eq!(said.lines().count(), 3, "{said}");
    // --duration names the entry made with it.
    let mut c = pc(&w);
    c.args(["cache", "--duration", "1h", "--"])
        .arg(&w.helper)
        .env("PCT_EXP", "none");
    akid(&c.output().unwrap());
    let out = clear(&["--"]);
    assert!(text(&out.stdout).starts_with("nothing removed"));
    let out = clear(&["--duration", "1h", "--"]);
    assert!(text(&out.stdout).starts_with("removed 1 entry"));
    assert_eq!(w.entries(), 0);
}

/// Starts `cache` on a helper that sleeps, and waits until the helper runs (holding the lock).
fn slow_cache(w: &World, started: &Path, sleep: &str) -> Child {
    let mut c = cache_argv(w, &[&w.command()]);
    c.env("PCT_SLEEP", sleep)
        .env("PCT_STARTED", started)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    wait_for_file(started);
    child
}

#[test]
fn clear_all_never_breaks_single_flight() {
    let w = World::new("cli-clear-all");
    let other = w.root.join("other.sh");
    std::fs::copy(&w.helper, &other).unwrap();
    akid(&cache_argv(&w, &[other.to_str().unwrap()]).output().unwrap());
    let started = w.root.join("started");
    let holder = slow_cache(&w, &started, "1.5");
    let out = pc(&w).args(["clear", "--all"]).output().unwrap();
    let said = text(&out.stdout);
    assert!(out.status.success());
    assert!(said.contains("removed 1 entry and 1 lock file"), "{said}");
    assert!(said.contains(".lock: a running helper holds it"), "{said}");
    // A second caller now waits for the holder instead of starting a second helper.
    let second = cache_argv(&w, &[&w.command()]).output().unwrap();
    let first = holder.wait_with_output().unwrap();
    assert_eq!(akid(&first), "AKIDRUN2");
    assert_eq!(akid(&second), "AKIDRUN2");
    assert_eq!(w.runs(), 2);
}

/// A helper whose tree is two processes: it starts a grandchild, writes both pids, sleeps.
fn tree_helper(w: &World) -> PathBuf {
    let h = w.root.join("tree.sh");
    write_executable(
        &h,
        format!(
            "#!/bin/sh\necho run >> '{count}'\nsleep 300 &\necho $! > '{root}/grandchild'\necho $$ > '{root}/helper.tmp'\nmv '{root}/helper.tmp' '{root}/helper'\nsleep 300\n",
            count = w.count.display(),
            root = w.root.display()
        ),
    );
    h
}

fn pid_in(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn signals_to_the_command_kill_the_helpers_tree() {
    let w = World::new("cli-signals");
    let helper = tree_helper(&w);
    for (sub, sig, code) in [
        ("cache", libc::SIGTERM, Some(143)),
        ("cache", libc::SIGINT, Some(130)),
        ("cache", libc::SIGHUP, Some(129)),
        ("cache", libc::SIGKILL, None),
        ("get", libc::SIGTERM, Some(143)),
        ("get", libc::SIGKILL, None),
    ] {
        let _ = std::fs::remove_file(w.root.join("helper"));
        let mut cmd = pc(&w);
        cmd.args([sub, "--"]).arg(&helper);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_file(&w.root.join("helper"));
        let tree = [
            pid_in(&w.root.join("helper")),
            pid_in(&w.root.join("grandchild")),
        ];
        assert!(tree.iter().all(|&p| alive(p)));
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let t0 = Instant::now();
        let status = child.wait().unwrap();
        match code {
            Some(c) => {
                assert_eq!(status.code(), Some(c), "signal {sig}");
                // The tree was killed before the command exited.
                let stat =
                    |p: i32| std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
                assert!(
                    tree.iter().all(|&p| !alive(p)),
                    "{sub}, signal {sig}: a helper lives on: {:?}",
                    tree.map(stat)
                );
            }
            None => {
                // SIGKILL: the tree follows within 2 s.
                while tree.iter().any(|&p| alive(p)) {
                    assert!(
                        t0.elapsed() < Duration::from_secs(2),
                        "a helper outlived SIGKILL by 2 s"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(text(&out.stdout), "", "nothing printed once killed");
    }
    assert_eq!(w.runs(), 6);
    // The lock went with the worker: the next caller runs its helper at once.
    let t0 = Instant::now();
    akid(&cache_argv(&w, &[&w.command()]).output().unwrap());
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_relative_cache_directory_is_ignored_with_a_warning() {
    let w = World::new("cli-relative");
    let runtime = w.mkdir("run", 0o700);
    let work = w.mkdir("work", 0o755);
    for run in [1, 2] {
        let mut c = cache_argv(&w, &[&w.command()]);
        c.env("PROCESSCREDS_CACHE_DIR", "cache")
            .env("XDG_RUNTIME_DIR", &runtime)
            .current_dir(&work);
        let out = c.output().unwrap();
        assert_eq!(akid(&out), "AKIDRUN1", "run {run}");
        assert_eq!(
            text(&out.stderr),
            "processcreds: warning: shared cache: PROCESSCREDS_CACHE_DIR is ignored: cache is not an absolute path\n"
        );
    }
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);
    assert!(runtime.join("processcreds").is_dir());
}

#[test]
fn root_with_a_users_home_plants_nothing() {
    let w = World::new("cli-sudo");
    let home = w.root.join("home");
    std::fs::create_dir(&home).unwrap();
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: the HOME of another uid (sudo -E) is checked by root runs only");
        return;
    }
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    let mut c = cache_argv(&w, &[&w.command()]);
    c.env_remove("PROCESSCREDS_CACHE_DIR")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CACHE_HOME")
        .env("HOME", &home);
    let out = c.output().unwrap();
    assert_eq!(akid(&out), "AKIDRUN1");
    assert_eq!(
        text(&out.stderr),
        format!(
            "processcreds: warning: shared cache: the directory {}/.cache/processcreds was not created: HOME ({}) is owned by uid 65534, not by uid 0\n",
            home.display(),
            home.display()
        )
    );
    assert_eq!(std::fs::read_dir(&home).unwrap().count(), 0);
}

#[test]
fn a_file_size_limit_bypasses_the_cache_without_sigxfsz() {
    let w = World::new("cli-fsize");
    let mut c = cache_argv(&w, &[&w.command()]);
    // SIGXFSZ stays at its default: a write past the limit would kill the command.
    limit_file_size(&mut c, 100, libc::SIG_DFL);
    let out = c.output().unwrap();
    assert_eq!(akid(&out), "AKIDRUN1");
    let err = text(&out.stderr);
    assert!(
        err.contains("was not written: the file size limit (RLIMIT_FSIZE, 100 bytes)"),
        "{err}"
    );
    // `ulimit -f 0` with a helper that writes no file.
    let json = format!(
        r#"{{"Version":1,"AccessKeyId":"AKIDZERO","SecretAccessKey":"s","Expiration":"{}"}}"#,
        in_an_hour()
    );
    let mut c = cache_cmd(&w, &format!("printf '%s' '{json}'"));
    limit_file_size(&mut c, 0, libc::SIG_DFL);
    let out = c.output().unwrap();
    assert_eq!(akid(&out), "AKIDZERO");
    assert!(text(&out.stderr).contains("(RLIMIT_FSIZE, 0 bytes)"));
    assert!(
        !w.cache_files()
            .keys()
            .any(|n| n.ends_with(".tmp") || n.ends_with(".entry")),
        "{:?}",
        w.cache_files().keys()
    );
}

#[test]
fn the_command_removes_expired_entries() {
    let w = World::new("cli-expired");
    akid(&cache_argv(&w, &[&w.command()]).output().unwrap());
    let entry = w.entry();
    set_entry_expiration(&entry, &rfc3339_in(-5));
    // A failing refresh: the expired entry is removed anyway, and the failure reported.
    let out = cache_argv(&w, &[&w.command()])
        .env("PCT_FAIL", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(w.entries(), 0);
}
