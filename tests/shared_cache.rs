//! The shared cache across real processes, through the C ABI (README.md, "Sharing credentials between processes"): every client is a
//! separate process (this binary started again as `zz_client_process`) that makes one provider
//! with `pc_set_shared_cache(PC_SHARED_CACHE_USER)` and retrieves once; the helper counts its
//! runs in a file.
// POSIX only, as the shared cache (bypassed on Windows).
#![cfg(unix)]

mod shared_support;

use std::io::Write;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shared_support::*;

client_process_test!();

/// `n` clients (each made by `client` from `w.client()`) started on one barrier and released
/// at once; their outcomes.
fn released_together(
    w: &World,
    n: usize,
    client: impl Fn(ClientBuilder) -> ClientBuilder,
) -> Vec<Outcome> {
    let (reader, mut writer) = pipe();
    let children: Vec<_> = (0..n)
        .map(|_| {
            client(w.client())
                .barrier(Stdio::from(reader.try_clone().unwrap()))
                .spawn()
        })
        .collect();
    drop(reader);
    // Every client is started and waits for its byte: release them all at once.
    writer.write_all(&vec![b'g'; n]).unwrap();
    drop(writer);
    children
        .into_iter()
        .map(|c| Outcome::from_output(c.wait_with_output().unwrap()))
        .collect()
}

#[test]
fn fifty_processes_at_once_run_the_helper_once() {
    let w = World::new("fifty");
    let outcomes = released_together(&w, 50, |c| c.env("PCT_SLEEP", "0.3"));
    assert_eq!(w.runs(), 1, "the helper must run once for 50 processes");
    for o in &outcomes {
        o.assert_run(1);
        assert_eq!(o, &outcomes[0], "every process gets the same credentials");
        assert_eq!(o.stderr, "", "the library prints nothing");
    }
    assert_eq!(w.entries(), 1);

    // A second wave finds the entry: no run at all.
    for o in released_together(&w, 50, |c| c) {
        assert_eq!(o, outcomes[0]);
    }
    assert_eq!(w.runs(), 1, "the second wave runs nothing");
}

#[test]
fn entry_is_private_and_named_by_a_hash() {
    let w = World::new("private");
    let o = w.client().run();
    o.assert_run(1);
    let (_, dir_mode) = owner_mode(&w.cache);
    assert_eq!(dir_mode, 0o700, "directory created 0700");
    let files = w.cache_files();
    for (name, meta) in &files {
        let (stem, suffix) = name.split_at(64);
        assert!(stem.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        assert!(suffix == ".entry" || suffix == ".lock", "{name}");
        assert_eq!(meta.uid(), unsafe { libc::geteuid() });
        assert!(meta.file_type().is_file());
        if suffix == ".entry" {
            assert_eq!(meta.mode() & 0o7777, 0o600);
        }
    }
    assert_secret_hidden(&o.secret, &w.root, &[&o.stderr]);
    // A client with the shared cache off runs the helper and leaves the cache alone.
    let before = std::fs::read(w.entry()).unwrap();
    let o2 = w.client().shared(false).run();
    o2.assert_run(2);
    assert_eq!(std::fs::read(w.entry()).unwrap(), before);
    // A client with it on is served the entry.
    assert_eq!(w.client().run(), o);
    assert_eq!(w.runs(), 2);
}

#[test]
fn killed_lock_holder_frees_the_lock() {
    let w = World::new("killed");
    let started = w.root.join("started");
    let mut holder = w
        .client()
        .env("PCT_SLEEP", "30")
        .env("PCT_STARTED", &started)
        .spawn();
    wait_for_file(&started);
    // The holder runs the helper under the lock: kill it (its helper keeps sleeping).
    holder.kill().unwrap();
    holder.wait().unwrap();
    kill_pid_in(&started);
    let t0 = Instant::now();
    let o = w.client().timeout_ms(10_000).run();
    o.assert_run(2);
    assert!(t0.elapsed() < Duration::from_secs(10));
    assert_eq!(w.runs(), 2);
    assert_eq!(w.client().run(), o, "its result is shared");
}

/// A child forked while its parent holds the lock (a pre-fork server's worker) and living on
/// does not keep the lock: the next process that needs a refresh gets it.
#[test]
fn forked_child_does_not_keep_the_lock() {
    let w = World::new("forked");
    let started = w.root.join("started");
    let child_pid = w.root.join("child-pid");
    let exp = rfc3339_in(600);
    let o = w
        .client()
        .env("PCT_EXP", &exp)
        .env("PCT_SLEEP", "0.3")
        .env("PCT_STARTED", &started)
        .env("PCT_FORK_PID", &child_pid)
        .run();
    o.assert_run(1);
    wait_for_file(&child_pid);
    let pid: i32 = std::fs::read_to_string(&child_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(pid), "the forked child lives on");
    // A reader whose window asks for a refresh must get the lock, within its timeout.
    let o2 = w
        .client()
        .env("PCT_EXP", in_an_hour())
        .window_ms(900_000)
        .timeout_ms(5_000)
        .run();
    // SAFETY: a plain kill of the child forked by the client.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    o2.assert_run(2);
}

#[test]
fn waiter_whose_timeout_ends_first_gets_the_timeout_error() {
    let w = World::new("waiter");
    let started = w.root.join("started");
    let holder = w
        .client()
        .env("PCT_SLEEP", "3")
        .env("PCT_STARTED", &started)
        .spawn();
    wait_for_file(&started);
    let t0 = Instant::now();
    let o = w.client().timeout_ms(300).run();
    let waited = t0.elapsed();
    assert_eq!(o.status, 3, "PC_STATUS_TIMEOUT: {o:?}");
    assert_eq!(
        o.error,
        "ProcessProviderExecutionError: credential process timed out"
    );
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert_eq!(w.runs(), 1, "the waiter never ran the helper");
    // The holder finishes and shares its result.
    let ho = Outcome::from_output(holder.wait_with_output().unwrap());
    ho.assert_run(1);
    assert_eq!(w.client().run(), ho);
    assert_eq!(w.runs(), 1);
}

#[test]
fn corrupt_truncated_and_empty_entries_are_replaced() {
    let w = World::new("corrupt");
    w.client().run().assert_run(1);
    let entry = w.entry();
    let good = std::fs::read(&entry).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"{\"not\": an entry".to_vec()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("bare credential_process JSON", {
            let nl = good.iter().position(|&b| b == b'\n').unwrap();
            good[nl + 1..].to_vec()
        }),
        ("another format", {
            let mut v = good.clone();
            v[0] = b'X';
            v
        }),
    ];
    let mut run = 1;
    for (what, bytes) in cases {
        std::fs::write(&entry, &bytes).unwrap();
        assert_eq!(owner_mode(&entry).1, 0o600);
        run += 1;
        let o = w.client().run();
        o.assert_run(run);
        assert_eq!(w.runs(), run, "{what}: a miss");
        assert_ne!(std::fs::read(&entry).unwrap(), bytes, "{what}: replaced");
        assert_eq!(w.client().run(), o, "{what}: the replacement is served");
        assert_eq!(w.runs(), run);
    }
}

#[test]
fn symlinked_entry_is_never_followed_or_replaced() {
    let w = World::new("symentry");
    // Another key's valid entry, in the same directory.
    let other = w.root.join("other.sh");
    std::fs::copy(&w.helper, &other).unwrap();
    let o_other = w.client().env("PCT_COMMAND", &other).run();
    o_other.assert_run(1);
    let other_entry = w.entry();
    // Our key's entry name, found by writing it once, then replaced by a symlink to the other.
    w.client().run().assert_run(2);
    let ours = w
        .cache_files()
        .into_keys()
        .filter(|n| n.ends_with(".entry"))
        .map(|n| w.cache.join(n))
        .find(|p| p != &other_entry)
        .unwrap();
    std::fs::remove_file(&ours).unwrap();
    symlink(&other_entry, &ours).unwrap();
    for run in [3, 4] {
        let o = w.client().run();
        o.assert_run(run);
        assert_ne!(
            o.akid, o_other.akid,
            "another key's credentials must not be served"
        );
    }
    assert!(std::fs::symlink_metadata(&ours)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_link(&ours).unwrap(),
        other_entry,
        "left alone"
    );
    // The other key's entry, reached through its own name, is untouched and still served.
    assert_eq!(w.client().env("PCT_COMMAND", &other).run(), o_other);
    assert_eq!(w.runs(), 4);
}

#[test]
fn symlinked_directory_is_bypassed() {
    let w = World::new("symdir");
    let real = w.root.join("real");
    // A real, private directory holding a valid entry of this very key.
    let o_real = w.client().env("PROCESSCREDS_CACHE_DIR", &real).run();
    o_real.assert_run(1);
    let before: Vec<_> = std::fs::read_dir(&real)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let link = w.root.join("link");
    symlink(&real, &link).unwrap();
    for run in [2, 3] {
        let o = w.client().env("PROCESSCREDS_CACHE_DIR", &link).run();
        o.assert_run(run);
        assert_ne!(
            o, o_real,
            "an entry behind a symlinked directory must not be served"
        );
        assert_eq!(o.stderr, "");
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let after: Vec<_> = std::fs::read_dir(&real)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(before, after, "nothing written through the symlink");
}

#[test]
fn directory_open_to_others_is_bypassed_and_left_alone() {
    let w = World::new("mode777");
    std::fs::create_dir(&w.cache).unwrap();
    std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    for run in [1, 2] {
        let o = w.client().run();
        o.assert_run(run);
        assert_secret_hidden(&o.secret, &w.root, &[&o.stderr]);
    }
    assert_eq!(owner_mode(&w.cache).1, 0o777, "never chmod-ed");
    assert!(w.cache_files().is_empty(), "nothing written");
    // The same with group access only.
    std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o750)).unwrap();
    w.client().run().assert_run(3);
    assert!(w.cache_files().is_empty());
}

#[test]
fn entry_owned_by_another_uid_is_bypassed_and_left_alone() {
    let w = World::new("foreign");
    let first = w.client().run();
    first.assert_run(1);
    let entry = w.entry();
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: chown to another uid is impossible; checking a 0644 entry instead");
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o644)).unwrap();
    } else {
        std::os::unix::fs::chown(&entry, Some(65534), Some(65534)).unwrap();
    }
    let before = (owner_mode(&entry), std::fs::read(&entry).unwrap());
    for run in [2, 3] {
        let o = w.client().run();
        o.assert_run(run);
        assert_ne!(o, first, "a foreign entry is not served");
    }
    assert_eq!(
        (owner_mode(&entry), std::fs::read(&entry).unwrap()),
        before,
        "not replaced, chmod-ed or deleted"
    );
    // Wrong mode on our own entry: not served either.
    if unsafe { libc::geteuid() } == 0 {
        std::os::unix::fs::chown(&entry, Some(0), Some(0)).unwrap();
        std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o640)).unwrap();
        w.client().run().assert_run(4);
        assert_eq!(owner_mode(&entry).1, 0o640);
    }
}

/// A read-only cache directory: a read-only tmpfs where this process may mount; else the
/// client runs as an unprivileged uid (setpriv) in a directory it owns with mode 0500; a
/// non-root run uses 0500 directly.
#[test]
fn read_only_directory_still_returns_credentials() {
    let w = World::new("readonly");
    let root = unsafe { libc::geteuid() } == 0;
    let mounted = root && can_mount(&w.root);
    let client = |w: &World| {
        let b = w.client();
        if root && !mounted {
            let mut c = Command::new("setpriv");
            c.args([
                "--reuid",
                "65534",
                "--regid",
                "65534",
                "--clear-groups",
                "--",
            ]);
            c.arg(b.cmd.get_program()).args(b.cmd.get_args());
            for (k, v) in b.cmd.get_envs() {
                match v {
                    Some(v) => c.env(k, v),
                    None => c.env_remove(k),
                };
            }
            c.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            Outcome::from_output(c.output().unwrap())
        } else {
            b.run()
        }
    };
    if mounted {
        mount_tmpfs(&w.cache, "size=64k,mode=0700");
        // A valid entry first, then the file system goes read-only.
        client(&w).assert_run(1);
        let st = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&w.cache)
            .status()
            .unwrap();
        assert!(st.success());
        // Served from the read-only directory.
        assert_eq!(client(&w).akid, "AKIDRUN1");
        std::fs::remove_file(w.root.join("unused")).ok();
        // An expired entry there: the helper runs, its result is returned, nothing written.
        umount(&w.cache);
        mount_tmpfs(&w.cache, "size=64k,mode=0700");
        std::fs::write(&w.count, "").unwrap();
        client(&w).assert_run(1);
        set_entry_expiration(&w.entry(), &rfc3339_in(-60));
        let before = std::fs::read(w.entry()).unwrap();
        Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&w.cache)
            .status()
            .unwrap();
        for run in [2, 3] {
            let o = client(&w);
            o.assert_run(run);
            assert_eq!(o.stderr, "");
        }
        assert_eq!(std::fs::read(w.entry()).unwrap(), before);
        umount(&w.cache);
        // And a read-only directory with no lock file at all.
        mount_tmpfs(&w.cache, "size=64k,mode=0700,ro");
        client(&w).assert_run(4);
        client(&w).assert_run(5);
        umount(&w.cache);
    } else {
        std::fs::create_dir(&w.cache).unwrap();
        if root {
            std::os::unix::fs::chown(&w.cache, Some(65534), Some(65534)).unwrap();
        }
        std::fs::set_permissions(&w.cache, std::fs::Permissions::from_mode(0o500)).unwrap();
        for run in [1, 2] {
            let o = client(&w);
            o.assert_run(run);
            assert_eq!(o.stderr, "");
        }
        assert!(w.cache_files().is_empty());
        assert_eq!(owner_mode(&w.cache).1, 0o500, "never chmod-ed");
    }
}

#[test]
fn full_disk_still_returns_credentials() {
    let w = World::new("full");
    // A file size limit smaller than an entry: the write fails with EFBIG.
    for run in [1, 2] {
        let o = w.client().file_size_limit(100).run();
        o.assert_run(run);
        assert_eq!(o.stderr, "");
        assert_secret_hidden(&o.secret, &w.root, &[&o.stderr]);
    }
    assert_eq!(w.entries(), 0, "no entry");
    assert!(
        !w.cache_files().keys().any(|n| n.ends_with(".tmp")),
        "no temporary file left"
    );
    // A full tmpfs, where this process may mount one.
    if unsafe { libc::geteuid() } == 0 && can_mount(&w.root) {
        let cache = w.root.join("tmpfs");
        mount_tmpfs(&cache, "size=4k,mode=0700");
        // Fill it (the lock file needs no data block).
        let filler = cache.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let _ = f.write_all(&[b'x'; 64 * 1024]);
        drop(f);
        for run in [3, 4] {
            let o = w.client().env("PROCESSCREDS_CACHE_DIR", &cache).run();
            o.assert_run(run);
            assert_eq!(o.stderr, "");
            assert_secret_hidden(&o.secret, &cache, &[&o.error]);
        }
        let names = names_under(&cache);
        assert!(
            !names
                .iter()
                .any(|n| n.ends_with(".entry") || n.ends_with(".tmp")),
            "{names:?}"
        );
        umount(&cache);
    } else {
        eprintln!("cannot mount a tmpfs here: the full disk was checked with RLIMIT_FSIZE only");
    }
}

#[test]
fn never_expiring_credentials_are_never_written() {
    let w = World::new("never");
    for run in [1, 2] {
        let o = w.client().env("PCT_EXP", "none").run();
        o.assert_run(run);
        assert_eq!(o.exp_ms, None);
    }
    assert_eq!(w.entries(), 0);
}

#[test]
fn expired_entry_is_refreshed() {
    let w = World::new("expired");
    w.client().run().assert_run(1);
    set_entry_expiration(&w.entry(), &rfc3339_in(-5));
    let o = w.client().run();
    o.assert_run(2);
    let exp = o.exp_ms.unwrap();
    assert!(exp > processcreds::time::UnixTime::now().as_millis() + 3_000_000);
    assert_eq!(w.client().run(), o, "the refreshed entry is served");
    assert_eq!(w.runs(), 2);
}

#[test]
fn the_readers_expiry_window_applies() {
    let w = World::new("window");
    let exp = rfc3339_in(600); // 10 minutes
    let o = w.client().env("PCT_EXP", &exp).run();
    o.assert_run(1);
    // 5 minutes of window: still valid for this reader.
    assert_eq!(w.client().env("PCT_EXP", &exp).window_ms(300_000).run(), o);
    assert_eq!(w.runs(), 1);
    // 15 minutes: not for this one; it runs the helper.
    let o3 = w.client().env("PCT_EXP", &exp).window_ms(900_000).run();
    o3.assert_run(2);
    assert_eq!(w.runs(), 2);
}

#[test]
fn errors_are_never_written_and_leave_a_valid_entry_alone() {
    let w = World::new("errors");
    let f = w.client().env("PCT_FAIL", "1").run();
    assert_eq!(f.status, 2);
    assert_eq!(
        f.error,
        "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3"
    );
    assert_eq!(w.entries(), 0, "no entry for an error");
    let o = w.client().run();
    o.assert_run(2);
    let before = std::fs::read(w.entry()).unwrap();
    // A reader whose window asks for a refresh gets the helper's error ...
    let f2 = w
        .client()
        .env("PCT_FAIL", "1")
        .window_ms(2 * 3600 * 1000)
        .run();
    assert_eq!(f2.status, 2);
    assert_eq!(w.runs(), 3);
    // ... and the still-valid entry stays for the others.
    assert_eq!(std::fs::read(w.entry()).unwrap(), before);
    assert_eq!(w.client().env("PCT_FAIL", "1").run(), o);
    assert_eq!(w.runs(), 3);
}

#[test]
fn duration_derived_expiry_is_written() {
    let w = World::new("duration");
    // No Expiration, but a Duration: the credentials expire, so they are shared.
    let o = w
        .client()
        .env("PCT_EXP", "none")
        .env("PCT_DURATION_MS", "600000")
        .run();
    o.assert_run(1);
    assert!(o.exp_ms.is_some());
    assert_eq!(w.entries(), 1);
    let o2 = w
        .client()
        .env("PCT_EXP", "none")
        .env("PCT_DURATION_MS", "600000")
        .run();
    assert_eq!(o2, o);
    assert_eq!(w.runs(), 1);
}

#[test]
fn set_shared_cache_checks_its_arguments() {
    use shared_support::c_abi::*;
    assert_eq!(
        pc_set_shared_cache(std::ptr::null_mut(), PC_SHARED_CACHE_USER),
        PC_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(
        pc_set_shared_cache(std::ptr::null_mut(), PC_SHARED_CACHE_OFF),
        PC_STATUS_INVALID_ARGUMENT
    );
    let cmd = std::ffi::CString::new("true").unwrap();
    let mut p: *mut pc_provider = std::ptr::null_mut();
    assert_eq!(pc_provider_new(cmd.as_ptr(), &mut p), PC_STATUS_OK);
    for bad in [2, 99, u32::MAX] {
        assert_eq!(pc_set_shared_cache(p, bad), PC_STATUS_INVALID_ARGUMENT);
    }
    assert_eq!(pc_set_shared_cache(p, PC_SHARED_CACHE_USER), PC_STATUS_OK);
    assert_eq!(pc_set_shared_cache(p, PC_SHARED_CACHE_OFF), PC_STATUS_OK);
    pc_free(p);
    assert_eq!((PC_SHARED_CACHE_OFF, PC_SHARED_CACHE_USER), (0, 1));
}

/// Providers of one process exclude each other too (a record lock does not, so the library keeps
/// one thread per lock file): 8 threads, each with its own provider, run the helper once.
#[test]
fn providers_of_one_process_run_the_helper_once() {
    use processcreds::{ProcessProvider, SharedCacheMode};
    let w = World::new("threads");
    // The variables the helper reads, for this test's own threads: set on the command line.
    let command = format!(
        "PCT_COUNT='{}' PCT_EXP='{}' PCT_SLEEP=0.3 {}",
        w.count.display(),
        in_an_hour(),
        w.command()
    );
    // The only test of this binary whose own process uses the cache directory (the others set
    // it for their client processes).
    std::env::set_var("PROCESSCREDS_CACHE_DIR", &w.cache);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let command = command.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let p = ProcessProvider::new(command);
                p.update_options(|o| {
                    o.shared_cache = SharedCacheMode::User;
                    o.stdin = processcreds::StdinMode::Null;
                });
                barrier.wait();
                p.retrieve().map(|c| c.access_key_id().to_owned())
            })
        })
        .collect();
    let ids: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    assert_eq!(w.runs(), 1);
    assert!(ids.iter().all(|i| i == "AKIDRUN1"), "{ids:?}");
}
