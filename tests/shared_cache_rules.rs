//! The shared cache's key, invalidation and lifecycle across real processes, through the C ABI:
//! what separates entries (projects, roles, homes, options) and what must still share them
//! (other directories, terminals, a virtualenv's PATH); `pc_expire`; expired entries and stale
//! files removed; the directory rules; the file size limit; the lock table by file identity.
//! Each client is this binary started again as `zz_client_process` (see tests/shared_support).
// POSIX only, as the shared cache (bypassed on Windows).
#![cfg(unix)]

mod shared_support;

use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, SystemTime};

use shared_support::*;

client_process_test!();

fn argv(parts: &[&str]) -> String {
    parts.join("\x1f")
}

fn path_with(dir: &Path) -> String {
    format!("{}:/usr/bin:/bin", dir.display())
}

#[test]
fn projects_roles_and_homes_never_share() {
    let w = World::new("separate");
    let a = w.project("projA");
    let b = w.project("projB");
    // The working directory, for a relative program (argv and command string).
    let mut run = 0;
    for (argv_mode, prog) in [
        (true, "./bin/creds"),
        (false, "./bin/creds"),
        (false, "bin/creds --x"),
    ] {
        let client = |dir: &Path| {
            let mut c = w.client();
            if argv_mode {
                c = c.env("PCT_ARGV", prog);
            } else {
                c = c.env("PCT_COMMAND", prog);
            }
            c.cmd.current_dir(dir);
            c.run()
        };
        run += 1;
        let oa = client(&a);
        oa.assert_run(run);
        run += 1;
        client(&b).assert_run(run);
        assert_eq!(client(&a), oa, "{prog}: projA's entry is projA's");
    }
    // The working directory, for one program given a relative path.
    let cmd = format!("{} --config conf/x.json", w.command());
    let conf = |dir: &Path| {
        let mut c = w.client().env("PCT_COMMAND", &cmd);
        c.cmd.current_dir(dir);
        c.run()
    };
    run += 1;
    let oa = conf(&a);
    oa.assert_run(run);
    run += 1;
    conf(&b).assert_run(run);
    assert_eq!(conf(&a), oa);
    // PATH, for a bare name.
    for cmd in ["creds", "creds --profile x"] {
        for argv_mode in [true, false] {
            let client = |dir: &Path| {
                let c = w.client().env("PATH", path_with(&dir.join("bin")));
                if argv_mode {
                    c.env("PCT_ARGV", argv(&cmd.split(' ').collect::<Vec<_>>()))
                } else {
                    c.env("PCT_COMMAND", cmd)
                }
                .run()
            };
            run += 1;
            let oa = client(&a);
            oa.assert_run(run);
            run += 1;
            client(&b).assert_run(run);
            assert_eq!(client(&a), oa);
        }
    }
    // A variable the command string references.
    let cmd = format!("{} --role \"$ROLE\"", w.command());
    let role = |r: &str| w.client().env("PCT_COMMAND", &cmd).env("ROLE", r).run();
    run += 1;
    let readonly = role("readonly");
    readonly.assert_run(run);
    run += 1;
    role("admin").assert_run(run);
    assert_eq!(role("readonly"), readonly);
    // HOME and AWS_* variables, with the same program.
    for (k, v1, v2) in [
        ("HOME", "/home/one", "/home/two"),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::1:role/a",
            "arn:aws:iam::1:role/b",
        ),
        ("AWS_PROFILE", "dev", "prod"),
        ("AWS_REGION", "eu-west-1", "us-east-1"),
    ] {
        run += 1;
        let o1 = w.client().env(k, v1).run();
        o1.assert_run(run);
        run += 1;
        w.client().env(k, v2).run().assert_run(run);
        assert_eq!(w.client().env(k, v1).run(), o1, "{k}");
    }
    assert_eq!(w.runs(), run);
}

#[test]
fn other_directories_terminals_and_a_virtualenv_still_share() {
    let w = World::new("share");
    let tools = w.project("tools");
    // A virtualenv whose bin/ links to the same helper.
    let venv = w.virtualenv(&tools);
    let first = w
        .client()
        .env("PCT_COMMAND", "creds --profile prod")
        .env("PATH", path_with(&tools.join("bin")))
        .env("TERM", "xterm")
        .env("SHLVL", "1")
        .env("OLDPWD", "/")
        .run();
    first.assert_run(1);
    for (dir, path, term, shlvl, oldpwd) in [
        ("/", path_with(&tools.join("bin")), "screen", "2", "/tmp"),
        ("/tmp", path_with(&venv), "dumb", "7", "/usr"),
        (
            w.root.to_str().unwrap(),
            format!("{}:{}", venv.display(), path_with(&tools.join("bin"))),
            "vt100",
            "3",
            "/etc",
        ),
    ] {
        let mut c = w
            .client()
            .env("PCT_COMMAND", "creds --profile prod")
            .env("PATH", path)
            .env("TERM", term)
            .env("SHLVL", shlvl)
            .env("OLDPWD", oldpwd)
            .env("_", "/usr/bin/whatever")
            .env("LANG", "C");
        c.cmd.current_dir(dir);
        assert_eq!(c.run(), first, "from {dir}");
    }
    // An absolute program from anywhere, an argv provider likewise.
    let abs = w.client().run();
    abs.assert_run(2);
    let mut c = w.client();
    c.cmd.current_dir("/");
    assert_eq!(c.run(), abs);
    assert_eq!(w.runs(), 2);
}

#[test]
fn duration_and_max_buf_size_are_part_of_the_key() {
    let w = World::new("options");
    let long = w
        .client()
        .env("PCT_EXP", "none")
        .env("PCT_DURATION_MS", (12 * 3600 * 1000).to_string())
        .run();
    long.assert_run(1);
    let short = w
        .client()
        .env("PCT_EXP", "none")
        .env("PCT_DURATION_MS", (20 * 60 * 1000).to_string())
        .run();
    short.assert_run(2);
    let now = processcreds::time::UnixTime::now().as_millis();
    let exp = short.exp_ms.unwrap();
    assert!(
        exp > now + 19 * 60 * 1000 && exp <= now + 20 * 60 * 1000,
        "a 20-minute expiry"
    );
    // Same Duration: shared.
    assert_eq!(
        w.client()
            .env("PCT_EXP", "none")
            .env("PCT_DURATION_MS", (20 * 60 * 1000).to_string())
            .run(),
        short
    );
    // MaxBufSize separates too; the default (8192) is the default's entry.
    w.client().run().assert_run(3);
    w.client().env("PCT_MAX_BUF", "16384").run().assert_run(4);
    assert_eq!(w.client().env("PCT_MAX_BUF", "8192").run().akid, "AKIDRUN3");
    assert_eq!(w.runs(), 4);
}

#[test]
fn key_text_and_named_variables() {
    let w = World::new("named");
    let base = w.client().run();
    base.assert_run(1);
    let prod = w.client().env("PCT_KEY", "prod").run();
    prod.assert_run(2);
    w.client().env("PCT_KEY", "").run().assert_run(3);
    assert_eq!(w.client().env("PCT_KEY", "prod").run(), prod);
    // A named variable: its value (set, other, unset) separates; unnamed, it does not.
    let t1 = w
        .client()
        .env("PCT_KEY_ENV", "TOKEN_FILE")
        .env("TOKEN_FILE", "/a")
        .run();
    t1.assert_run(4);
    w.client()
        .env("PCT_KEY_ENV", "TOKEN_FILE")
        .env("TOKEN_FILE", "/b")
        .run()
        .assert_run(5);
    w.client()
        .env("PCT_KEY_ENV", "TOKEN_FILE,OTHER")
        .env("TOKEN_FILE", "/a")
        .run()
        .assert_run(6);
    assert_eq!(
        w.client()
            .env("PCT_KEY_ENV", "TOKEN_FILE,TOKEN_FILE")
            .env("TOKEN_FILE", "/a")
            .run(),
        t1,
        "repeats do not matter"
    );
    assert_eq!(w.client().env("TOKEN_FILE", "/z").run(), base);
    assert_eq!(w.runs(), 6);
}

#[test]
fn set_shared_cache_key_and_env_check_their_arguments() {
    use shared_support::c_abi::*;
    use std::ffi::CString;
    let text = CString::new("x").unwrap();
    assert_eq!(
        pc_set_shared_cache_key(std::ptr::null_mut(), text.as_ptr()),
        PC_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(
        pc_set_shared_cache_env(std::ptr::null_mut(), std::ptr::null(), 0),
        PC_STATUS_INVALID_ARGUMENT
    );
    let cmd = CString::new("true").unwrap();
    let mut p: *mut pc_provider = std::ptr::null_mut();
    assert_eq!(pc_provider_new(cmd.as_ptr(), &mut p), PC_STATUS_OK);
    assert_eq!(pc_set_shared_cache_key(p, text.as_ptr()), PC_STATUS_OK);
    assert_eq!(pc_set_shared_cache_key(p, std::ptr::null()), PC_STATUS_OK);
    let bad = [0xffu8, 0xfe, 0];
    assert_eq!(
        pc_set_shared_cache_key(p, bad.as_ptr().cast()),
        PC_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(
        pc_set_shared_cache_env(p, std::ptr::null(), 0),
        PC_STATUS_OK
    );
    assert_eq!(
        pc_set_shared_cache_env(p, std::ptr::null(), 1),
        PC_STATUS_INVALID_ARGUMENT
    );
    let a = CString::new("A").unwrap();
    let eq = CString::new("A=B").unwrap();
    let empty = CString::new("").unwrap();
    for (names, want) in [
        (vec![a.as_ptr()], PC_STATUS_OK),
        (
            vec![a.as_ptr(), std::ptr::null()],
            PC_STATUS_INVALID_ARGUMENT,
        ),
        (vec![bad.as_ptr().cast()], PC_STATUS_INVALID_ARGUMENT),
        (vec![eq.as_ptr()], PC_STATUS_INVALID_ARGUMENT),
        (vec![empty.as_ptr()], PC_STATUS_INVALID_ARGUMENT),
    ] {
        assert_eq!(
            pc_set_shared_cache_env(p, names.as_ptr(), names.len()),
            want
        );
    }
    pc_free(p);
}

#[test]
fn expire_invalidates_the_entry_it_was_served() {
    let w = World::new("expire");
    let a = w.client().run();
    a.assert_run(1);
    // Another process is served that entry, expires it (the service rejected it) and retrieves:
    // the helper runs (under the lock) and the entry is replaced.
    let b = w.client().env("PCT_EXPIRE", "").run();
    assert_eq!(b.first_akid, "AKIDRUN1");
    b.assert_run(2);
    assert_eq!(w.runs(), 2);
    // Others now see the new entry.
    let c = w.client().run();
    assert_eq!(
        (c.akid.as_str(), c.secret.as_str()),
        (b.akid.as_str(), b.secret.as_str())
    );
    // With the shared cache off, expire runs the helper as always and writes nothing.
    let before = std::fs::read(w.entry()).unwrap();
    let off = w.client().shared(false).env("PCT_EXPIRE", "").run();
    assert_eq!(
        (off.first_akid.as_str(), off.akid.as_str()),
        ("AKIDRUN3", "AKIDRUN4")
    );
    assert_eq!(std::fs::read(w.entry()).unwrap(), before);
    assert_eq!(w.runs(), 4);
}

#[test]
fn expire_takes_credentials_another_process_already_replaced() {
    let w = World::new("expire-replaced");
    w.client().run().assert_run(1);
    let paused = w.root.join("paused");
    let (reader, mut writer) = pipe();
    let b = w.client().env("PCT_EXPIRE", &paused).stdin(reader).spawn();
    wait_for_file(&paused);
    // Meanwhile another process replaces the entry (its window asks for a refresh).
    let c = w.client().window_ms(2 * 3600 * 1000).run();
    c.assert_run(2);
    std::io::Write::write_all(&mut writer, b"g").unwrap();
    drop(writer);
    let b = Outcome::from_output(b.wait_with_output().unwrap());
    assert_eq!(b.first_akid, "AKIDRUN1");
    // The replacement is served: no third run.
    b.assert_run(2);
    assert_eq!(w.runs(), 2);
}

/// Sets a file's modification time `secs` into the past.
fn age(path: &Path, secs: u64) {
    let t = SystemTime::now() - Duration::from_secs(secs);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

#[test]
fn expired_entries_and_stale_files_do_not_stay() {
    let w = World::new("sweep");
    // A reader that finds an expired entry removes it, even when its own run fails.
    w.client().run().assert_run(1);
    let entry = w.entry();
    set_entry_expiration(&entry, &rfc3339_in(-10));
    let failed = w.client().env("PCT_FAIL", "1").run();
    assert_eq!(failed.status, 2);
    assert!(!entry.exists(), "the expired entry is gone");
    assert_eq!(w.entries(), 0);

    // A writer sweeps: another key's expired entry, a temporary file and an orphan lock file
    // older than a minute go; a fresh temporary file, a valid entry and foreign files stay.
    let other = w.root.join("other.sh");
    std::fs::copy(&w.helper, &other).unwrap();
    let valid = w.root.join("valid.sh");
    std::fs::copy(&w.helper, &valid).unwrap();
    w.client().env("PCT_COMMAND", &other).run().assert_run(3);
    w.client().env("PCT_COMMAND", &valid).run().assert_run(4);
    let names = |w: &World| w.cache_files().into_keys().collect::<Vec<_>>();
    let other_entry = names(&w)
        .into_iter()
        .filter(|n| n.ends_with(".entry"))
        .map(|n| w.cache.join(n))
        .find(|p| std::fs::read_to_string(p).unwrap().contains("AKIDRUN3"))
        .unwrap();
    set_entry_expiration(&other_entry, &rfc3339_in(-1));
    let stale_tmp = w.cache.join(format!("{}.tmp", "a".repeat(64)));
    let fresh_tmp = w.cache.join(format!("{}.tmp", "b".repeat(64)));
    let orphan_lock = w.cache.join(format!("{}.lock", "c".repeat(64)));
    let young_lock = w.cache.join(format!("{}.lock", "d".repeat(64)));
    let foreign = w.cache.join("notes.txt");
    for f in [&stale_tmp, &fresh_tmp, &orphan_lock, &young_lock, &foreign] {
        std::fs::write(f, "").unwrap();
    }
    age(&stale_tmp, 120);
    age(&orphan_lock, 120);
    // The writer.
    w.client().run().assert_run(5);
    let after = names(&w);
    let other_stem = other_entry
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !after.iter().any(|n| n.starts_with(&other_stem)),
        "{after:?}"
    );
    assert!(!stale_tmp.exists() && !orphan_lock.exists(), "{after:?}");
    assert!(fresh_tmp.exists() && young_lock.exists() && foreign.exists());
    assert_eq!(
        w.entries(),
        2,
        "the valid entry and the writer's: {after:?}"
    );
    assert_eq!(w.runs(), 5);
}

#[test]
fn a_relative_cache_directory_is_ignored() {
    let w = World::new("relative");
    let runtime = w.mkdir("run", 0o700);
    let work = w.mkdir("work", 0o755);
    for run in [1, 2] {
        let mut c = w
            .client()
            .env("PROCESSCREDS_CACHE_DIR", "cache")
            .env("XDG_RUNTIME_DIR", &runtime);
        c.cmd.current_dir(&work);
        let o = c.run();
        assert_eq!(o.akid, "AKIDRUN1", "run {run}: served from XDG_RUNTIME_DIR");
    }
    assert_eq!(
        std::fs::read_dir(&work).unwrap().count(),
        0,
        "nothing in the working directory"
    );
    assert!(runtime.join("processcreds").is_dir());
    assert_eq!(w.runs(), 1);
}

#[test]
fn nothing_is_created_in_a_home_another_uid_owns() {
    let w = World::new("home");
    let home = w.root.join("home");
    std::fs::create_dir(&home).unwrap();
    let client = |w: &World| {
        w.client()
            .env_remove("PROCESSCREDS_CACHE_DIR")
            .env_remove("XDG_RUNTIME_DIR")
            .env_remove("XDG_CACHE_HOME")
            .env("HOME", &home)
            .run()
    };
    if unsafe { libc::geteuid() } != 0 {
        // Not root: a HOME of this uid gets ~/.cache (0700) and the cache.
        client(&w).assert_run(1);
        assert_eq!(owner_mode(&home.join(".cache")).1 & 0o077, 0);
        assert!(home.join(".cache/processcreds").is_dir());
        eprintln!("not root: the HOME of another uid (sudo -E) is checked by root runs only");
        return;
    }
    // root with a user's HOME (sudo -E): no root-owned ~/.cache there, every run bypasses.
    std::os::unix::fs::chown(&home, Some(65534), Some(65534)).unwrap();
    for run in [1, 2] {
        client(&w).assert_run(run);
    }
    assert_eq!(
        std::fs::read_dir(&home).unwrap().count(),
        0,
        "nothing created in HOME"
    );
    // Nor in a user's existing ~/.cache, nor in a user's XDG_RUNTIME_DIR.
    let cache = home.join(".cache");
    std::fs::create_dir(&cache).unwrap();
    std::os::unix::fs::chown(&cache, Some(65534), Some(65534)).unwrap();
    let runtime = w.root.join("run-user");
    std::fs::create_dir(&runtime).unwrap();
    std::os::unix::fs::chown(&runtime, Some(65534), Some(65534)).unwrap();
    client(&w).assert_run(3);
    w.client()
        .env_remove("PROCESSCREDS_CACHE_DIR")
        .env("XDG_RUNTIME_DIR", &runtime)
        .run()
        .assert_run(4);
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(&runtime).unwrap().count(), 0);
    // root's own HOME: created as before.
    std::os::unix::fs::chown(&home, Some(0), Some(0)).unwrap();
    std::fs::remove_dir(&cache).unwrap();
    client(&w).assert_run(5);
    let meta = std::fs::metadata(home.join(".cache/processcreds")).unwrap();
    assert_eq!((meta.uid(), meta.mode() & 0o777), (0, 0o700));
}

#[test]
fn a_file_size_limit_bypasses_without_a_signal_or_a_file() {
    let w = World::new("fsize");
    // SIGXFSZ at its default (a write past the limit would kill the process).
    for run in [1, 2] {
        let mut b = w.client();
        // Below an entry's size, above what the helper appends to its counter.
        limit_file_size(&mut b.cmd, 100, libc::SIG_DFL);
        let o = b.run();
        o.assert_run(run);
        assert_eq!(o.stderr, "");
    }
    let files = w.cache_files();
    assert!(
        !files
            .keys()
            .any(|n| n.ends_with(".tmp") || n.ends_with(".entry")),
        "{files:?}"
    );
}

/// Two threads of one process reach one cache directory through two paths (a symlinked parent):
/// the lock table knows it is one lock file, so the helper runs once.
#[test]
fn the_lock_table_knows_files_not_paths() {
    let w = World::new("two-paths");
    std::fs::create_dir(&w.cache).unwrap();
    std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o700)).unwrap();
    let alias = w.root.join("alias");
    symlink(&w.root, &alias).unwrap();
    let started = w.root.join("started");
    let o = w
        .client()
        .env(
            "PCT_TWO_PATHS",
            format!("{}\x1f{}", w.cache.display(), alias.join("cache").display()),
        )
        .env("PCT_STARTED", &started)
        .env("PCT_SLEEP", "0.5")
        .run();
    assert_eq!(o.first_akid, "AKIDRUN1");
    o.assert_run(1);
    assert_eq!(w.runs(), 1, "one run for both threads");
}
