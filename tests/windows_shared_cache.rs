//! The shared cache on Windows with real processes and files, run under Wine by `make
//! test-windows`: providers and threads sharing one entry, single flight, `%ROLE%` separating
//! entries, a program found by cmd.exe in the working directory (one entry per folder) or on
//! `PATH` (one entry), the default directory `%LOCALAPPDATA%\processcreds` and its private DACL, untrusted
//! directories and entries (a DACL granting Everyone) bypassed with a warning and left alone,
//! corrupt entries replaced, `expire` and `clear`, the sweep, and a host killed while its
//! helper runs (the lock is freed and the helper's tree dies with it). The helper is
//! tests/windows/helper.rs (`count` mode), which counts its runs in a file.
//!
//! The cache directory comes from the process's environment, so the tests run one at a time
//! (a lock), each with its own directory. What Wine cannot show (other owners set from Windows,
//! reparse points) is in docs/PLATFORMS.md; tests/windows/cli-test.sh covers the command and
//! owners set from the Linux side.
#![cfg(windows)]

#[path = "windows/helper_path.rs"]
mod helper_path;
#[path = "windows/process.rs"]
mod process;

use std::ffi::c_void;
use std::os::windows::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use helper_path::helper;
use process::alive;
use processcreds::runner::Program;
use processcreds::shared_cache::{self, Key, KeyInput, Reason, SharedCacheMode, Warning};
use processcreds::{ProcessProvider, StderrMode};
use windows_sys::Win32::Foundation::{CloseHandle, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    GetNamedSecurityInfoW, SetNamedSecurityInfoW, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    AddAccessAllowedAce, GetAce, GetLengthSid, InitializeAcl, ACE_HEADER, ACL, ACL_REVISION,
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSID,
};
use windows_sys::Win32::System::Threading::{OpenProcess, TerminateProcess, PROCESS_TERMINATE};

/// The environment (the cache directory) is the process's: one test at a time.
static ENV: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    ENV.lock().unwrap_or_else(|e| e.into_inner())
}

/// A test's world: a directory holding the cache directory, the helper and its run counter.
struct World {
    root: PathBuf,
    cache: PathBuf,
    count: PathBuf,
    helper: PathBuf,
}

impl World {
    fn new(tag: &str) -> World {
        let root = std::env::temp_dir().join(format!("pc-winshared-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let h = helper();
        let helper = root.join("pc-count-helper.exe");
        std::fs::copy(&h, &helper).unwrap();
        for e in std::fs::read_dir(h.parent().unwrap()).unwrap().flatten() {
            if e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("dll"))
            {
                std::fs::copy(e.path(), root.join(e.file_name())).unwrap();
            }
        }
        let w = World {
            cache: root.join("cache"),
            count: root.join("count.txt"),
            root,
            helper,
        };
        std::env::set_var("PROCESSCREDS_CACHE_DIR", &w.cache);
        std::env::remove_var("ROLE");
        w
    }

    /// How many times the helper has run.
    fn runs(&self) -> usize {
        std::fs::read_to_string(&self.count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// The helper as a command string (cmd.exe), sleeping `ms` before it prints; `extra` is
    /// appended (the helper ignores it).
    fn command(&self, ms: u32, extra: &str) -> String {
        format!(
            "\"{}\" count \"{}\" {ms}{extra}",
            self.helper.display(),
            self.count.display()
        )
    }

    /// The files of the cache directory, sorted.
    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.cache)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }

    fn entry(&self, key: &Key) -> PathBuf {
        self.cache.join(format!("{}.entry", key.as_str()))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn shared(cmd: &str) -> ProcessProvider {
    let p = ProcessProvider::new(cmd);
    p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    p
}

/// One fetch, with the warnings it gave: (access key id or error text, warnings).
fn fetch(p: &ProcessProvider) -> (String, Vec<Warning>) {
    let mut warnings = Vec::new();
    let r = p.fetch_observed(Duration::ZERO, None, &mut |w| warnings.push(w));
    let id = match r {
        Ok(f) => f.credentials.access_key_id().to_owned(),
        Err(e) => format!("error: {e}"),
    };
    for w in &warnings {
        assert!(!w.to_string().contains("s3cr3t"), "a secret in a warning");
    }
    (id, warnings)
}

fn key_of(cmd: &str) -> Key {
    Key::new(&KeyInput::new(&Program::Shell(cmd.into())))
}

fn wide(p: &Path) -> Vec<u16> {
    p.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// `S-1-1-0`.
const EVERYONE: [u8; 12] = [1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0];
/// `S-1-5-18`.
const SYSTEM: [u8; 12] = [1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0];

/// The owner and the SIDs the DACL allows, of `path`.
fn security_of(path: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let name = wide(path);
    let mut owner: PSID = std::ptr::null_mut();
    let mut dacl: *mut ACL = std::ptr::null_mut();
    let mut sd: *mut c_void = std::ptr::null_mut();
    // SAFETY: a NUL-terminated name and out-pointers; the descriptor is freed below.
    let r = unsafe {
        GetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            std::ptr::null_mut(),
            &mut dacl,
            std::ptr::null_mut(),
            &mut sd,
        )
    };
    assert_eq!(r, 0, "GetNamedSecurityInfoW({})", path.display());
    let sid = |p: PSID| {
        // SAFETY: a valid SID inside the descriptor.
        unsafe { std::slice::from_raw_parts(p as *const u8, GetLengthSid(p) as usize).to_vec() }
    };
    let owner_sid = sid(owner);
    let mut allowed = Vec::new();
    assert!(!dacl.is_null(), "{} has no DACL", path.display());
    // SAFETY: the ACL returned above; each ACE read within it.
    unsafe {
        for i in 0..u32::from((*dacl).AceCount) {
            let mut ace: *mut c_void = std::ptr::null_mut();
            assert!(GetAce(dacl, i, &mut ace) != 0);
            let h = *(ace as *const ACE_HEADER);
            if h.AceType == 0 && h.AceFlags & 8 == 0 {
                allowed.push(sid((ace as *mut u8).add(8) as PSID));
            }
        }
        LocalFree(sd);
    }
    (owner_sid, allowed)
}

/// Gives Everyone read access to `path` (its owner keeps full access).
fn grant_everyone(path: &Path) {
    set_dacl(path, true);
    let (_, allowed) = security_of(path);
    assert!(
        allowed.contains(&EVERYONE.to_vec()),
        "{} must now grant Everyone access",
        path.display()
    );
}

/// Makes `path` private to its owner, as the cache makes its own files (a file another program
/// writes into the directory gets that by inheritance on Windows, not under Wine).
fn make_private(path: &Path) {
    set_dacl(path, false);
}

/// Sets a DACL giving the owner full access, and Everyone read access when `everyone`.
fn set_dacl(path: &Path, everyone: bool) {
    let (owner, _) = security_of(path);
    let mut acl = vec![0u64; 32];
    let acl_ptr = acl.as_mut_ptr() as *mut ACL;
    let name = wide(path);
    // SAFETY: a 256-byte, 8-aligned ACL buffer; valid SIDs; a NUL-terminated name.
    unsafe {
        assert!(InitializeAcl(acl_ptr, 256, ACL_REVISION) != 0);
        assert!(AddAccessAllowedAce(acl_ptr, ACL_REVISION, 0x1f01ff, owner.as_ptr() as PSID) != 0);
        if everyone {
            let read = 0x120089;
            assert!(
                AddAccessAllowedAce(acl_ptr, ACL_REVISION, read, EVERYONE.as_ptr() as PSID) != 0
            );
        }
        let r = SetNamedSecurityInfoW(
            name.as_ptr(),
            SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            acl_ptr,
            std::ptr::null(),
        );
        assert_eq!(r, 0, "SetNamedSecurityInfoW({})", path.display());
    }
}

#[test]
fn a_second_provider_is_served_the_entry() {
    let _env = serial();
    let w = World::new("second");
    let cmd = w.command(0, "");
    let (a, warn) = fetch(&shared(&cmd));
    assert!(warn.is_empty(), "{warn:?}");
    assert_eq!(a, "AKIDRUN1");
    let (b, _) = fetch(&shared(&cmd));
    assert_eq!(b, "AKIDRUN1", "served from the shared cache");
    assert_eq!(w.runs(), 1);
    let key = key_of(&cmd);
    assert_eq!(
        w.files(),
        [
            format!("{}.entry", key.as_str()),
            format!("{}.lock", key.as_str())
        ]
    );
    // The entry holds the credentials, never the key text.
    let text = std::fs::read_to_string(w.entry(&key)).unwrap();
    assert!(text.starts_with(&format!("processcreds-shared-cache v1 {}\n", key.as_str())));
    // Without the shared cache, the helper runs.
    assert_eq!(
        ProcessProvider::new(&cmd)
            .retrieve()
            .unwrap()
            .access_key_id(),
        "AKIDRUN2"
    );
    // An argv is another key, shared the same way.
    let argv = || {
        let p = ProcessProvider::from_argv(vec![
            w.helper.display().to_string(),
            "count".into(),
            w.count.display().to_string(),
        ])
        .unwrap();
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
        p
    };
    assert_eq!(fetch(&argv()).0, "AKIDRUN3");
    assert_eq!(fetch(&argv()).0, "AKIDRUN3");
    assert_eq!(w.runs(), 3);
}

#[test]
fn threads_run_the_helper_once() {
    let _env = serial();
    let w = World::new("threads");
    let cmd = w.command(1500, "");
    let ids: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6).map(|_| s.spawn(|| fetch(&shared(&cmd)).0)).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        w.runs(),
        1,
        "one run for six threads with their own providers"
    );
    assert!(ids.iter().all(|i| i == "AKIDRUN1"), "{ids:?}");
}

#[test]
fn a_referenced_variable_separates_entries() {
    let _env = serial();
    let w = World::new("role");
    let cmd = w.command(0, " --role %ROLE%");
    std::env::set_var("ROLE", "readonly");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDreadonlyRUN1");
    std::env::set_var("ROLE", "admin");
    assert_eq!(
        fetch(&shared(&cmd)).0,
        "AKIDadminRUN2",
        "admin is not served readonly's"
    );
    std::env::set_var("ROLE", "readonly");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDreadonlyRUN1");
    // Windows variable names are case-insensitive: `role` is ROLE.
    std::env::remove_var("ROLE");
    std::env::set_var("role", "admin");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDadminRUN2");
    assert_eq!(w.runs(), 2);
    // A command that does not show ROLE shares one entry (the helper reads ROLE unseen)...
    let unseen = w.command(0, "");
    std::env::set_var("ROLE", "readonly");
    assert_eq!(fetch(&shared(&unseen)).0, "AKIDreadonlyRUN3");
    std::env::set_var("ROLE", "admin");
    assert_eq!(fetch(&shared(&unseen)).0, "AKIDreadonlyRUN3");
    // ... unless the caller names it (in any case).
    let named = |role: &str| {
        std::env::set_var("ROLE", role);
        let p = shared(&unseen);
        p.set_shared_cache_env(&["role"]).unwrap();
        fetch(&p).0
    };
    assert_eq!(named("readonly"), "AKIDreadonlyRUN4");
    assert_eq!(named("admin"), "AKIDadminRUN5");
    assert_eq!(named("readonly"), "AKIDreadonlyRUN4");
    std::env::remove_var("ROLE");
}

#[test]
fn cmd_finds_the_program_in_the_working_directory_first() {
    let _env = serial();
    let w = World::new("cwd");
    let saved = std::env::current_dir().unwrap();
    // The same name in two project folders: cmd.exe runs the current folder's, so the two are
    // two entries; from a third folder the name is not found (the run fails, nothing cached).
    let projects: Vec<PathBuf> = ["projA", "projB", "elsewhere"]
        .iter()
        .map(|p| {
            let d = w.root.join(p);
            std::fs::create_dir_all(&d).unwrap();
            d
        })
        .collect();
    for d in &projects[..2] {
        std::fs::copy(&w.helper, d.join("pc-project-helper.exe")).unwrap();
    }
    let cmd = format!("pc-project-helper count \"{}\" 0", w.count.display());
    let in_dir = |d: &Path| {
        std::env::set_current_dir(d).unwrap();
        let p = shared(&cmd);
        // (cmd.exe's complaint when it finds nothing stays out of the test's output.)
        p.update_options(|o| o.stderr = StderrMode::Capture);
        fetch(&p).0
    };
    assert_eq!(in_dir(&projects[0]), "AKIDRUN1");
    assert_eq!(
        in_dir(&projects[1]),
        "AKIDRUN2",
        "projB is not served projA's"
    );
    assert_eq!(in_dir(&projects[0]), "AKIDRUN1");
    assert!(in_dir(&projects[2]).starts_with("error: "));
    // Found on PATH instead: one entry from any folder.
    let bin = w.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(&w.helper, bin.join("pc-path-helper.exe")).unwrap();
    let saved_path = std::env::var_os("PATH").unwrap();
    let mut path = std::ffi::OsString::from(&bin);
    path.push(";");
    path.push(&saved_path);
    std::env::set_var("PATH", &path);
    let on_path = format!("pc-path-helper count \"{}\" 0", w.count.display());
    std::env::set_current_dir(&projects[0]).unwrap();
    assert_eq!(fetch(&shared(&on_path)).0, "AKIDRUN3");
    std::env::set_current_dir(&projects[2]).unwrap();
    assert_eq!(fetch(&shared(&on_path)).0, "AKIDRUN3");
    std::env::set_var("PATH", saved_path);
    std::env::set_current_dir(saved).unwrap();
    assert_eq!(w.runs(), 3);
}

#[test]
fn the_default_directory_is_localappdata() {
    let _env = serial();
    let w = World::new("default");
    std::env::remove_var("PROCESSCREDS_CACHE_DIR");
    let lad = w.root.join("AppData Local");
    std::fs::create_dir_all(&lad).unwrap();
    std::env::set_var("LOCALAPPDATA", &lad);
    assert_eq!(
        shared_cache::directory(),
        Some(lad.join("processcreds")),
        "%LOCALAPPDATA%\\processcreds"
    );
    let cmd = w.command(0, "");
    let (id, warn) = fetch(&shared(&cmd));
    assert!(warn.is_empty(), "{warn:?}");
    assert_eq!(id, "AKIDRUN1");
    let dir = lad.join("processcreds");
    assert!(dir
        .join(format!("{}.entry", key_of(&cmd).as_str()))
        .is_file());
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN1");
    assert_eq!(w.runs(), 1);
    // Created for this user alone: owned by the user, access allowed to the user and SYSTEM.
    let (owner, allowed) = security_of(&dir);
    assert!(allowed.contains(&owner), "the owner has access");
    for sid in &allowed {
        assert!(
            *sid == owner || *sid == SYSTEM.to_vec(),
            "{} allows another principal: {sid:?}",
            dir.display()
        );
    }
    let (entry_owner, entry_allowed) =
        security_of(&dir.join(format!("{}.entry", key_of(&cmd).as_str())));
    assert_eq!(entry_owner, owner);
    assert!(entry_allowed
        .iter()
        .all(|s| *s == owner || *s == SYSTEM.to_vec()));

    // A relative value is ignored with a warning; no directory: the helper runs.
    std::env::set_var("LOCALAPPDATA", "relative\\dir");
    let (id, warn) = fetch(&shared(&cmd));
    assert_eq!(id, "AKIDRUN2");
    let reasons: Vec<Reason> = warn.iter().map(Warning::reason).collect();
    assert_eq!(reasons, [Reason::RelativeDirectory, Reason::NoDirectory]);
    std::env::remove_var("LOCALAPPDATA");
    let (id, warn) = fetch(&shared(&cmd));
    assert_eq!(id, "AKIDRUN3");
    assert_eq!(warn[0].reason(), Reason::NoDirectory);
    assert!(warn[0].to_string().contains("LOCALAPPDATA"), "{}", warn[0]);
    // Only the cache directory itself is created, never a parent.
    std::env::set_var("LOCALAPPDATA", w.root.join("missing"));
    let (id, warn) = fetch(&shared(&cmd));
    assert_eq!(id, "AKIDRUN4");
    assert_eq!(warn[0].reason(), Reason::DirectoryNotCreated);
    assert!(!w.root.join("missing").exists());
    std::env::remove_var("LOCALAPPDATA");
}

#[test]
fn an_untrusted_directory_is_bypassed_and_left_alone() {
    let _env = serial();
    let w = World::new("untrusted-dir");
    std::fs::create_dir_all(&w.cache).unwrap();
    grant_everyone(&w.cache);
    let cmd = w.command(0, "");
    for n in 1..=2 {
        let (id, warn) = fetch(&shared(&cmd));
        assert_eq!(
            id,
            format!("AKIDRUN{n}"),
            "the helper runs as without a cache"
        );
        assert_eq!(warn.len(), 1, "{warn:?}");
        assert_eq!(warn[0].reason(), Reason::DirectoryUntrusted);
        assert!(
            warn[0]
                .to_string()
                .contains("grants access to Everyone (S-1-1-0)"),
            "{}",
            warn[0]
        );
    }
    assert!(w.files().is_empty(), "nothing written: {:?}", w.files());
    // Left as it was: still granting Everyone.
    assert!(security_of(&w.cache).1.contains(&EVERYONE.to_vec()));
    // clear refuses it too.
    let e = shared_cache::clear_all().unwrap_err();
    assert_eq!(e.reason(), Reason::DirectoryUntrusted);
}

#[test]
fn an_untrusted_entry_is_bypassed_and_left_alone() {
    let _env = serial();
    let w = World::new("untrusted-entry");
    let cmd = w.command(0, "");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN1");
    let entry = w.entry(&key_of(&cmd));
    grant_everyone(&entry);
    let before = std::fs::read(&entry).unwrap();
    let (id, warn) = fetch(&shared(&cmd));
    assert_eq!(id, "AKIDRUN2");
    assert_eq!(warn.len(), 1, "{warn:?}");
    assert_eq!(warn[0].reason(), Reason::EntryUntrusted);
    assert_eq!(std::fs::read(&entry).unwrap(), before, "not replaced");
}

#[test]
fn a_corrupt_entry_is_a_miss_and_is_replaced() {
    let _env = serial();
    let w = World::new("corrupt");
    let cmd = w.command(0, "");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN1");
    let entry = w.entry(&key_of(&cmd));
    std::fs::write(&entry, b"processcreds-shared-cache v1 truncated").unwrap();
    let (id, warn) = fetch(&shared(&cmd));
    assert!(warn.is_empty(), "{warn:?}");
    assert_eq!(id, "AKIDRUN2");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN2", "replaced");
    assert_eq!(w.runs(), 2);
}

#[test]
fn expire_invalidates_the_shared_entry() {
    let _env = serial();
    let w = World::new("expire");
    let cmd = w.command(0, "");
    let p = shared(&cmd);
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKIDRUN1");
    p.expire();
    assert_eq!(p.retrieve().unwrap().access_key_id(), "AKIDRUN2");
    assert_eq!(
        fetch(&shared(&cmd)).0,
        "AKIDRUN2",
        "others see the new entry"
    );
    assert_eq!(w.runs(), 2);
}

#[test]
fn clear_removes_the_entry_and_keeps_a_held_lock() {
    let _env = serial();
    let w = World::new("clear");
    let cmd = w.command(0, "");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN1");
    let key = key_of(&cmd);
    let c = shared_cache::clear_keys(std::slice::from_ref(&key)).unwrap();
    assert_eq!(c.entries(), 1);
    assert_eq!(c.directory, w.cache);
    assert!(w.files().is_empty(), "{:?}", w.files());
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN2");
    // clear --all while a helper runs: its lock file stays, and no second helper starts.
    let slow = w.command(2000, " slow");
    std::thread::scope(|s| {
        let first = s.spawn(|| fetch(&shared(&slow)).0);
        while w.runs() < 3 {
            std::thread::sleep(Duration::from_millis(20));
        }
        let c = shared_cache::clear_all().unwrap();
        assert_eq!(c.held, [format!("{}.lock", key_of(&slow).as_str())]);
        assert!(c.removed.contains(&format!("{}.entry", key.as_str())));
        let second = s.spawn(|| fetch(&shared(&slow)).0);
        assert_eq!(first.join().unwrap(), "AKIDRUN3");
        assert_eq!(second.join().unwrap(), "AKIDRUN3");
    });
    assert_eq!(w.runs(), 3);
}

#[test]
fn expired_entries_and_stale_temporary_files_are_swept() {
    let _env = serial();
    let w = World::new("sweep");
    let cmd = w.command(0, "");
    assert_eq!(fetch(&shared(&cmd)).0, "AKIDRUN1");
    let other = "ab".repeat(32);
    let expired = w.cache.join(format!("{other}.entry"));
    std::fs::write(
        &expired,
        format!(
            "processcreds-shared-cache v1 {other}\n{{\"Version\":1,\"AccessKeyId\":\"OLD\",\
             \"SecretAccessKey\":\"S\",\"Expiration\":\"2001-01-01T00:00:00Z\"}}\n"
        ),
    )
    .unwrap();
    make_private(&expired);
    let stale = w.cache.join(format!("{}.tmp", "cd".repeat(32)));
    std::fs::write(&stale, b"left by a killed writer").unwrap();
    let old = SystemTime::now() - Duration::from_secs(600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let fresh = w.cache.join(format!("{}.tmp", "ef".repeat(32)));
    std::fs::write(&fresh, b"being written").unwrap();
    // A write sweeps.
    assert_eq!(fetch(&shared(&w.command(0, " other"))).0, "AKIDRUN2");
    assert!(!expired.exists(), "an expired entry is swept");
    assert!(
        !stale.exists(),
        "a temporary file older than a minute is swept"
    );
    assert!(fresh.exists(), "a recent temporary file stays");
}

#[test]
fn a_reparse_point_is_not_followed() {
    let _env = serial();
    let w = World::new("reparse");
    let real = w.root.join("real");
    std::fs::create_dir_all(&real).unwrap();
    match std::os::windows::fs::symlink_dir(&real, &w.cache) {
        // Wine 8's CreateSymbolicLinkW is a stub that creates nothing (docs/PLATFORMS.md); the
        // Unix symbolic links Wine follows are tried by tests/windows/cli-test.sh.
        Ok(()) if std::fs::symlink_metadata(&w.cache).is_err() => {
            println!("not run here: CreateSymbolicLinkW reported success but created nothing");
        }
        Ok(()) => {
            let (id, warn) = fetch(&shared(&w.command(0, "")));
            assert_eq!(id, "AKIDRUN1");
            assert_eq!(warn.len(), 1, "{warn:?}");
            assert_eq!(warn[0].reason(), Reason::DirectoryUntrusted);
            assert!(warn[0].to_string().contains("reparse point"), "{}", warn[0]);
            assert_eq!(std::fs::read_dir(&real).unwrap().count(), 0);
        }
        // Creating a symbolic link needs a privilege (or developer mode) on Windows.
        Err(e) => println!("not run here: the system refuses a symbolic link ({e})"),
    }
}

/// One client process (run by `a_killed_host_frees_the_lock_and_its_helper_tree`).
#[test]
#[ignore = "a client process started by another test"]
fn zz_client_process() {
    if let Some(cmd) = std::env::var_os("PCT_CLIENT_COMMAND") {
        let p = shared(cmd.to_str().unwrap());
        let _ = p.retrieve();
    }
}

#[test]
fn a_killed_host_frees_the_lock_and_its_helper_tree() {
    let _env = serial();
    let w = World::new("killed");
    let pidfile = w.root.join("child.pid");
    // The helper starts a child and sleeps: killing the host must kill both (the run's job is
    // killed when its last handle closes) and free the key's lock.
    let tree = format!("\"{}\" tree \"{}\"", w.helper.display(), pidfile.display());
    let mut client = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "zz_client_process", "--nocapture"])
        .env("PCT_CLIENT_COMMAND", &tree)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let child = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the helper did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(alive(child));
    // SAFETY: terminating our own client process.
    unsafe {
        let h = OpenProcess(PROCESS_TERMINATE, 0, client.id());
        assert!(!h.is_null());
        TerminateProcess(h, 1);
        CloseHandle(h);
    }
    let _ = client.wait();
    let gone = std::time::Instant::now() + Duration::from_secs(5);
    while alive(child) && std::time::Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(child), "the helper's child outlived the killed host");
    // The lock is free: a provider here takes it at once and runs its helper (which writes its
    // child's pid again, and is killed with its tree by the timeout).
    std::fs::remove_file(&pidfile).unwrap();
    let p = shared(&tree);
    p.update_options(|o| o.timeout = Duration::from_secs(4));
    let (r, _) = fetch(&p);
    assert!(r.starts_with("error: "), "{r}");
    let again = std::fs::read_to_string(&pidfile).expect("the helper ran: the lock was freed");
    let child = again.trim().parse::<u32>().unwrap();
    let gone = std::time::Instant::now() + Duration::from_secs(5);
    while alive(child) && std::time::Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(child), "the timeout kills the helper's tree");
}
