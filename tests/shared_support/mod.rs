//! What the shared-cache tests share: a private cache directory and a helper that counts its
//! runs in a file, client processes that retrieve through the C ABI (this test binary started
//! again as [`CLIENT`]), a start barrier, and checks that a secret shows nowhere.

#![allow(dead_code)]

#[path = "../c_abi/mod.rs"]
pub mod c_abi;
#[path = "../executable/mod.rs"]
mod executable;
pub use executable::write_executable;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use processcreds::time::{format_rfc3339, UnixTime};

/// The name of the ignored test that, started with `PCT_CLIENT=1`, is one client process.
pub const CLIENT: &str = "zz_client_process";

/// The ignored test [`CLIENT`] (each test binary that starts clients holds it): does nothing
/// on its own; started with `PCT_CLIENT=1`, runs [`client_main`]. (Not every binary that
/// includes this module starts clients.)
#[allow(unused_macros)]
macro_rules! client_process_test {
    () => {
        /// One client process (run by the other tests; does nothing on its own).
        #[test]
        #[ignore = "a client process started by the other tests"]
        fn zz_client_process() {
            if std::env::var_os("PCT_CLIENT").is_some() {
                shared_support::client_main();
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use client_process_test;

/// A test's world: a temporary directory with the cache directory, the helper and its counter.
pub struct World {
    pub root: PathBuf,
    pub cache: PathBuf,
    pub count: PathBuf,
    pub helper: PathBuf,
}

/// The helper: appends a line to `$PCT_COUNT`, writes its pid to `$PCT_STARTED` (when set),
/// sleeps `$PCT_SLEEP` (when set), then prints credentials unique to this run with `$PCT_EXP`
/// as `Expiration` (`none`: no Expiration). The secret holds `"`, `\`, `$` and `'`.
const HELPER: &str = r#"#!/bin/sh
echo "run $$" >> "$PCT_COUNT"
if [ -n "$PCT_STARTED" ]; then echo $$ > "$PCT_STARTED.tmp"; mv "$PCT_STARTED.tmp" "$PCT_STARTED"; fi
if [ -n "$PCT_SLEEP" ]; then sleep "$PCT_SLEEP"; fi
if [ -n "$PCT_FAIL" ]; then echo "helper failed on purpose" >&2; exit 3; fi
n=$(wc -l < "$PCT_COUNT" | tr -d ' ')
if [ "$PCT_EXP" = none ]; then exp=""; else exp=",\"Expiration\":\"$PCT_EXP\""; fi
printf '{"Version":1,"AccessKeyId":"AKIDRUN%s","SecretAccessKey":"s3cr3t-%s-\\"q\\\\b$'"'"'x-%s","SessionToken":"tok-%s"%s}\n' "$n" "$$" "$n" "$n" "$exp"
"#;

impl World {
    pub fn new(tag: &str) -> World {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "pc-shared-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o755)).unwrap();
        let helper = root.join("helper.sh");
        write_executable(&helper, HELPER);
        let count = root.join("count");
        std::fs::write(&count, "").unwrap();
        std::fs::set_permissions(&count, std::fs::Permissions::from_mode(0o666)).unwrap();
        World {
            cache: root.join("cache"),
            root,
            count,
            helper,
        }
    }

    /// How many times the helper has run.
    pub fn runs(&self) -> usize {
        std::fs::read_to_string(&self.count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// The helper's command string (the key of the entries).
    pub fn command(&self) -> String {
        self.helper.display().to_string()
    }

    /// `<root>/<name>/bin/creds`, a copy of the helper: a project of its own.
    pub fn project(&self, name: &str) -> PathBuf {
        let dir = self.root.join(name);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        let h = dir.join("bin/creds");
        write_executable(&h, std::fs::read(&self.helper).unwrap());
        dir
    }

    /// A virtualenv's `bin/` (`<root>/venv/bin`) whose `creds` links to `project`'s helper.
    pub fn virtualenv(&self, project: &Path) -> PathBuf {
        let venv = self.root.join("venv/bin");
        std::fs::create_dir_all(&venv).unwrap();
        std::os::unix::fs::symlink(project.join("bin/creds"), venv.join("creds")).unwrap();
        venv
    }

    /// A new directory `<root>/<name>` with `mode`.
    pub fn mkdir(&self, name: &str, mode: u32) -> PathBuf {
        let dir = self.root.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    /// Gives `c` this world's cache directory, counter and helper environment (an `Expiration`
    /// an hour ahead; no sleep, failure or pid file), stdin from /dev/null, and no `AWS_*`
    /// variable of the test's own environment.
    pub fn command_env<'c>(&self, c: &'c mut Command) -> &'c mut Command {
        c.env("PROCESSCREDS_CACHE_DIR", &self.cache)
            .env("PCT_COUNT", &self.count)
            .env("PCT_EXP", in_an_hour())
            .env_remove("PCT_SLEEP")
            .env_remove("PCT_FAIL")
            .env_remove("PCT_STARTED")
            .stdin(Stdio::null());
        without_aws_vars(c)
    }

    /// The files of the cache directory, by name.
    pub fn cache_files(&self) -> BTreeMap<String, std::fs::Metadata> {
        std::fs::read_dir(&self.cache)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            std::fs::symlink_metadata(e.path()).unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The one entry file of the cache directory.
    pub fn entry(&self) -> PathBuf {
        let entries: Vec<String> = self
            .cache_files()
            .into_keys()
            .filter(|n| n.ends_with(".entry"))
            .collect();
        assert_eq!(entries.len(), 1, "entries: {entries:?}");
        self.cache.join(&entries[0])
    }

    pub fn entries(&self) -> usize {
        self.cache_files()
            .keys()
            .filter(|n| n.ends_with(".entry"))
            .count()
    }

    /// A client process retrieving through the C ABI with the shared cache on.
    pub fn client(&self) -> ClientBuilder {
        ClientBuilder {
            cmd: {
                let mut c = Command::new(std::env::current_exe().unwrap());
                c.args([CLIENT, "--exact", "--ignored", "--nocapture", "--quiet"])
                    .args(["--test-threads", "1"])
                    .env("PCT_CLIENT", "1")
                    .env("PCT_COMMAND", self.command())
                    .env("PCT_COUNT", &self.count)
                    .env("PCT_EXP", in_an_hour())
                    .env("PROCESSCREDS_CACHE_DIR", &self.cache)
                    .env_remove("PCT_SLEEP")
                    .env_remove("PCT_FAIL")
                    .env_remove("PCT_DURATION_MS")
                    .env_remove("PCT_FORK_PID")
                    .env_remove("PCT_STARTED")
                    .env_remove("PCT_ARGV")
                    .env_remove("PCT_KEY")
                    .env_remove("PCT_KEY_ENV")
                    .env_remove("PCT_MAX_BUF")
                    .env_remove("PCT_EXPIRE")
                    .env_remove("PCT_TWO_PATHS")
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                c
            },
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// `Expiration` an hour from now.
pub fn in_an_hour() -> String {
    rfc3339_in(3600)
}

/// RFC 3339 time `secs` from now (negative: in the past).
pub fn rfc3339_in(secs: i64) -> String {
    let now = UnixTime::now();
    let t = if secs >= 0 {
        now.plus(Duration::from_secs(secs as u64))
    } else {
        now.minus(Duration::from_secs((-secs) as u64))
    };
    format_rfc3339(t)
}

pub struct ClientBuilder {
    pub cmd: Command,
}

impl ClientBuilder {
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }

    /// The client's stdin (a pipe the test writes to, to release a paused client).
    pub fn stdin(mut self, stdin: impl Into<Stdio>) -> Self {
        self.cmd.stdin(stdin);
        self
    }

    pub fn timeout_ms(self, ms: u64) -> Self {
        self.env("PCT_TIMEOUT_MS", ms.to_string())
    }

    pub fn window_ms(self, ms: u64) -> Self {
        self.env("PCT_WINDOW_MS", ms.to_string())
    }

    pub fn shared(self, on: bool) -> Self {
        self.env("PCT_SHARED", if on { "1" } else { "0" })
    }

    /// Waits for one byte on stdin before retrieving (the start barrier).
    pub fn barrier(mut self, stdin: Stdio) -> Self {
        self.cmd.env("PCT_BARRIER", "1").stdin(stdin);
        self
    }

    /// Runs the client with a file size limit of `bytes` (SIGXFSZ ignored, so a write past it
    /// fails with EFBIG instead of killing the process).
    pub fn file_size_limit(mut self, bytes: u64) -> Self {
        limit_file_size(&mut self.cmd, bytes, libc::SIG_IGN);
        self
    }

    pub fn spawn(mut self) -> Child {
        self.cmd.spawn().unwrap()
    }

    pub fn run(mut self) -> Outcome {
        Outcome::from_output(self.cmd.output().unwrap())
    }
}

/// What a client printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub status: u32,
    pub akid: String,
    pub secret: String,
    pub token: String,
    pub exp_ms: Option<i64>,
    pub error: String,
    pub stderr: String,
    /// The key id of the first retrieve (`PCT_EXPIRE`, `PCT_TWO_PATHS`), if any.
    pub first_akid: String,
}

impl Outcome {
    pub fn from_output(out: Output) -> Outcome {
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields: BTreeMap<&str, String> = BTreeMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("PCT ") {
                let (k, v) = rest.split_once('=').unwrap_or((rest, ""));
                fields.insert(k, v.replace("\\n", "\n"));
            }
        }
        assert!(
            out.status.success() && fields.contains_key("status"),
            "client failed ({}):\n{text}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let f = |k: &str| fields.get(k).cloned().unwrap_or_default();
        Outcome {
            status: f("status").parse().unwrap(),
            akid: f("akid"),
            secret: f("secret"),
            token: f("token"),
            exp_ms: fields.get("exp").and_then(|v| v.parse().ok()),
            error: f("error"),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            first_akid: f("first_akid"),
        }
    }

    /// Asserts a success from helper run number `run`.
    pub fn assert_run(&self, run: usize) {
        assert_eq!(self.status, 0, "error: {}", self.error);
        assert_eq!(self.akid, format!("AKIDRUN{run}"), "{self:?}");
        assert!(
            self.secret.starts_with("s3cr3t-")
                && self.secret.ends_with(&format!("-\"q\\b$'x-{run}")),
            "secret of run {run} expected"
        );
        assert_eq!(self.token, format!("tok-{run}"));
    }
}

/// The body of [`CLIENT`]: one provider through the C ABI, one retrieve, printed.
pub fn client_main() {
    use c_abi::*;
    use std::ffi::CString;
    let var = |k: &str| std::env::var(k).ok();
    if var("PCT_BARRIER").is_some() {
        let mut b = [0u8; 1];
        // SAFETY: one byte into our buffer; unbuffered, so the other clients keep theirs.
        assert_eq!(unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) }, 1);
    }
    // PCT_FORK_PID: once the helper runs (under the lock), fork a child that keeps this
    // process's descriptors (the lock file's among them) for 30 s, and write its pid there.
    let forker = var("PCT_FORK_PID").map(|pid_file| {
        let started = std::path::PathBuf::from(var("PCT_STARTED").unwrap());
        std::thread::spawn(move || {
            wait_for_file(&started);
            let text = CString::new(pid_file).unwrap();
            // SAFETY: the child only makes async-signal-safe calls, then exits.
            unsafe {
                let pid = libc::fork();
                if pid == 0 {
                    // Not stdout and stderr: the test waits for their end.
                    libc::close(1);
                    libc::close(2);
                    let fd = libc::open(
                        text.as_ptr(),
                        libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
                        0o644,
                    );
                    let me = libc::getpid();
                    let mut buf = [0u8; 16];
                    let mut n = 0;
                    let mut v = me;
                    let mut digits = [0u8; 16];
                    while v > 0 {
                        digits[n] = b'0' + (v % 10) as u8;
                        v /= 10;
                        n += 1;
                    }
                    for i in 0..n {
                        buf[i] = digits[n - 1 - i];
                    }
                    libc::write(fd, buf.as_ptr().cast(), n);
                    libc::close(fd);
                    libc::sleep(30);
                    libc::_exit(0);
                }
            }
        })
    });
    let mut out = String::new();
    if let Some(dirs) = var("PCT_TWO_PATHS") {
        // Two providers in two threads reaching one cache directory through two paths: the
        // first runs the helper (under the lock); once it has started, the second looks.
        let (first_dir, second_dir) = dirs.split_once('\x1f').unwrap();
        std::env::set_var("PROCESSCREDS_CACHE_DIR", first_dir);
        let first = std::thread::spawn(|| {
            let p = client_provider();
            let mut o = String::new();
            retrieve_into(p, &mut o, "first_");
            pc_free(p);
            o
        });
        wait_for_file(Path::new(&var("PCT_STARTED").unwrap()));
        std::env::set_var("PROCESSCREDS_CACHE_DIR", second_dir);
        std::env::remove_var("PCT_STARTED");
        let p = client_provider();
        retrieve_into(p, &mut out, "");
        pc_free(p);
        out.push_str(&first.join().unwrap());
        std::io::stdout().write_all(out.as_bytes()).unwrap();
        return;
    }
    let p = client_provider();
    if let Some(paused) = var("PCT_EXPIRE") {
        // Retrieve, then (once the test releases us, when PCT_EXPIRE names a file) expire and
        // retrieve again: the first result is printed with the prefix `first_`.
        retrieve_into(p, &mut out, "first_");
        if !paused.is_empty() {
            std::fs::write(&paused, "").unwrap();
            let mut b = [0u8; 1];
            // SAFETY: one byte into our buffer.
            unsafe { libc::read(0, b.as_mut_ptr().cast(), 1) };
        }
        pc_expire(p);
    }
    retrieve_into(p, &mut out, "");
    pc_free(p);
    if let Some(f) = forker {
        f.join().unwrap();
    }
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}

/// The client's provider, as the `PCT_*` variables say.
fn client_provider() -> *mut processcreds::capi::pc_provider {
    use processcreds::capi::*;
    use std::ffi::CString;
    let var = |k: &str| std::env::var(k).ok();
    let mut p: *mut pc_provider = std::ptr::null_mut();
    if let Some(argv) = var("PCT_ARGV") {
        let elems: Vec<CString> = argv
            .split('\x1f')
            .map(|a| CString::new(a).unwrap())
            .collect();
        let ptrs: Vec<*const std::ffi::c_char> = elems.iter().map(|c| c.as_ptr()).collect();
        assert_eq!(
            pc_provider_new_argv(ptrs.as_ptr(), ptrs.len(), &mut p),
            PC_STATUS_OK
        );
    } else {
        let cmd = CString::new(var("PCT_COMMAND").unwrap()).unwrap();
        assert_eq!(pc_provider_new(cmd.as_ptr(), &mut p), PC_STATUS_OK);
    }
    let mode = match var("PCT_SHARED").as_deref() {
        Some("0") => PC_SHARED_CACHE_OFF,
        _ => PC_SHARED_CACHE_USER,
    };
    assert_eq!(pc_set_shared_cache(p, mode), PC_STATUS_OK);
    assert_eq!(pc_set_stdin(p, PC_STDIN_NULL), PC_STATUS_OK);
    if let Some(ms) = var("PCT_TIMEOUT_MS") {
        assert_eq!(pc_set_timeout(p, ms.parse().unwrap()), PC_STATUS_OK);
    }
    if let Some(ms) = var("PCT_DURATION_MS") {
        assert_eq!(pc_set_duration(p, ms.parse().unwrap()), PC_STATUS_OK);
    }
    if let Some(ms) = var("PCT_WINDOW_MS") {
        assert_eq!(pc_set_expiry_window(p, ms.parse().unwrap()), PC_STATUS_OK);
    }
    if let Some(n) = var("PCT_MAX_BUF") {
        assert_eq!(pc_set_max_buf_size(p, n.parse().unwrap()), PC_STATUS_OK);
    }
    if let Some(t) = var("PCT_KEY") {
        let t = CString::new(t).unwrap();
        assert_eq!(pc_set_shared_cache_key(p, t.as_ptr()), PC_STATUS_OK);
    }
    if let Some(names) = var("PCT_KEY_ENV") {
        let names: Vec<CString> = names.split(',').map(|n| CString::new(n).unwrap()).collect();
        let ptrs: Vec<*const std::ffi::c_char> = names.iter().map(|c| c.as_ptr()).collect();
        assert_eq!(
            pc_set_shared_cache_env(p, ptrs.as_ptr(), ptrs.len()),
            PC_STATUS_OK
        );
    }
    p
}

/// One retrieve, its result appended to `out` as `PCT <prefix><field>=<value>` lines.
fn retrieve_into(p: *mut processcreds::capi::pc_provider, out: &mut String, prefix: &str) {
    use c_abi::*;
    use std::ffi::CStr;
    let mut c: *mut pc_credentials = std::ptr::null_mut();
    let mut e: *mut pc_error = std::ptr::null_mut();
    let status = pc_retrieve(p, &mut c, &mut e);
    let s = |ptr: *const std::ffi::c_char| {
        if ptr.is_null() {
            String::new()
        } else {
            // SAFETY: a string borrowed from a live handle.
            unsafe { CStr::from_ptr(ptr) }
                .to_string_lossy()
                .into_owned()
        }
    };
    out.push_str(&format!("PCT {prefix}status={status}\n"));
    if status == PC_STATUS_OK {
        out.push_str(&format!(
            "PCT {prefix}akid={}\n",
            s(pc_credentials_access_key_id(c))
        ));
        out.push_str(&format!(
            "PCT {prefix}secret={}\n",
            s(pc_credentials_secret_access_key(c))
        ));
        out.push_str(&format!(
            "PCT {prefix}token={}\n",
            s(pc_credentials_session_token(c))
        ));
        let mut ms = 0i64;
        if pc_credentials_expiration(c, &mut ms) {
            out.push_str(&format!("PCT {prefix}exp={ms}\n"));
        }
        pc_credentials_free(c);
    } else {
        out.push_str(&format!(
            "PCT {prefix}error={}\n",
            s(pc_error_message(e)).replace('\n', "\\n")
        ));
        pc_error_free(e);
    }
}

/// Removes every `AWS_*` variable of the test's own environment from `c`'s.
pub fn without_aws_vars(c: &mut Command) -> &mut Command {
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs `c` with a file size limit of `bytes` and SIGXFSZ set to `sigxfsz` (`SIG_IGN`: a write
/// past the limit fails with EFBIG; `SIG_DFL`: it would kill the process).
pub fn limit_file_size(c: &mut Command, bytes: u64, sigxfsz: libc::sighandler_t) {
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        c.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, sigxfsz);
            let lim = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Whether `pid` still runs (its `/proc` state is not a zombie's or a dead one's).
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s.rsplit_once(')').map_or("", |(_, r)| r.trim_start());
        !state.starts_with('Z') && !state.starts_with('X')
    })
}

/// A pipe: (read end, write end).
pub fn pipe() -> (std::fs::File, std::fs::File) {
    use std::os::fd::FromRawFd;
    let mut fds = [0; 2];
    // SAFETY: a two-int array; both descriptors become owned Files.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    unsafe {
        (
            std::fs::File::from_raw_fd(fds[0]),
            std::fs::File::from_raw_fd(fds[1]),
        )
    }
}

/// Waits up to 10 s for `path` to exist (a helper writes it once it holds the lock).
pub fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Kills a process whose pid a helper wrote in `path`, if it is still there.
pub fn kill_pid_in(path: &Path) {
    if let Ok(s) = std::fs::read_to_string(path) {
        if let Ok(pid) = s.trim().parse::<i32>() {
            // SAFETY: a plain kill of a helper we started.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Every file name under `dir` (recursively), for the no-secret-in-a-name checks.
pub fn names_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            out.push(e.file_name().to_string_lossy().into_owned());
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                out.extend(names_under(&e.path()));
            }
        }
    }
    out
}

/// Asserts that `secret` shows in no file name under `dir` and in none of `texts`.
pub fn assert_secret_hidden(secret: &str, dir: &Path, texts: &[&str]) {
    assert!(!secret.is_empty());
    for n in names_under(dir) {
        assert!(
            !n.contains(secret) && !n.contains("s3cr3t"),
            "a file name holds the secret"
        );
    }
    for t in texts {
        assert!(!t.contains(secret), "a warning or error holds the secret");
    }
}

/// The owner and mode of a path (not following a symlink).
pub fn owner_mode(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.uid(), m.mode() & 0o7777)
}

/// Rewrites an entry's Expiration (keeping the file, its owner and its mode).
pub fn set_entry_expiration(entry: &Path, rfc3339: &str) {
    let text = std::fs::read_to_string(entry).unwrap();
    let start = text.find("\"Expiration\":\"").unwrap() + "\"Expiration\":\"".len();
    let end = start + text[start..].find('"').unwrap();
    let new = format!("{}{rfc3339}{}", &text[..start], &text[end..]);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(entry)
        .unwrap();
    f.write_all(new.as_bytes()).unwrap();
}

/// Whether this process may mount file systems (a private tmpfs for the read-only and
/// full-disk cases).
pub fn can_mount(scratch: &Path) -> bool {
    let p = scratch.join("mount-probe");
    std::fs::create_dir_all(&p).unwrap();
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&p)
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        let _ = Command::new("umount").arg(&p).status();
    }
    ok
}

pub fn mount_tmpfs(at: &Path, opts: &str) {
    std::fs::create_dir_all(at).unwrap();
    let st = Command::new("mount")
        .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
        .arg(at)
        .status()
        .unwrap();
    assert!(st.success(), "mount tmpfs -o {opts} {}", at.display());
}

pub fn umount(at: &Path) {
    let _ = Command::new("umount").arg("-l").arg(at).status();
}
