//! Shared config resolution (SEMANTICS.md, "Profiles (shared config)", and D9): the profile vectors of `tests/vectors/profiles/` and
//! the rules they cannot express (line numbers, secrets in errors, unreadable files, …), all with
//! real files under a temporary HOME and an explicit environment.
// POSIX helpers and system calls; the Windows runner has its own tests (windows_*.rs).
#![cfg(unix)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use processcreds::config::{resolve, resolve_with, ProfileSource, SharedConfig};
use processcreds::{Error, Status};
use serde_json::Value;

/// A fresh directory under the system temp dir, removed on drop.
struct TempHome {
    path: PathBuf,
}

impl TempHome {
    fn new(tag: &str) -> TempHome {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "processcreds-config-{}-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            nanos,
            tag.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .take(40)
                .collect::<String>()
        ));
        fs::create_dir_all(&path).unwrap();
        TempHome { path }
    }

    fn str(&self) -> &str {
        self.path.to_str().unwrap()
    }

    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.path.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// An environment holding exactly these variables.
struct Env(HashMap<String, OsString>);

impl Env {
    fn home(home: &TempHome) -> Env {
        let mut m = HashMap::new();
        m.insert("HOME".to_owned(), OsString::from(home.str()));
        Env(m)
    }

    fn set(mut self, k: &str, v: impl Into<OsString>) -> Env {
        self.0.insert(k.to_owned(), v.into());
        self
    }

    fn resolve(
        &self,
        profile: Option<&str>,
        shared: SharedConfig,
    ) -> processcreds::Result<ProfileSource> {
        resolve_with(profile, shared, &|k| self.0.get(k).cloned())
    }
}

fn command(r: processcreds::Result<ProfileSource>) -> String {
    match r {
        Ok(ProfileSource::Process { command }) => command,
        Ok(ProfileSource::Static(c)) => panic!("expected a process, got static keys {c:?}"),
        Err(e) => panic!("expected a process, got {e}"),
    }
}

fn error(r: processcreds::Result<ProfileSource>) -> Error {
    match r {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => e,
    }
}

// ------------------------------------------------------------------------------------------
// Vectors

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/profiles")
}

fn b64(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64"),
        }
    };
    let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').collect();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= val(c) << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

/// Runs one case; `Err` describes the mismatch.
fn run_case(case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().ok_or("case without a name")?;
    let home = TempHome::new(name);
    let data = vectors_dir().join("data");
    let sub = |s: &str| {
        s.replace("{home}", home.str())
            .replace("{data}", data.to_str().unwrap())
    };
    if let Some(files) = case.get("files").and_then(Value::as_object) {
        for (rel, content) in files {
            home.write(&sub(rel), sub(content.as_str().unwrap()).as_bytes());
        }
    }
    if let Some(files) = case.get("files_b64").and_then(Value::as_object) {
        for (rel, content) in files {
            home.write(&sub(rel), &b64(content.as_str().unwrap()));
        }
    }
    let mut env = Env::home(&home);
    for (k, v) in case["env"].as_object().ok_or("env must be an object")? {
        env = env.set(k, sub(v.as_str().unwrap()));
    }
    let profile = case["profile"].as_str().map(sub);
    let shared = case["shared_config"]
        .as_u64()
        .and_then(|n| processcreds::capi::shared_config(n as u32))
        .ok_or("bad shared_config")?;
    let got = env.resolve(profile.as_deref(), shared);
    let expect = &case["expect"];
    match (expect, got) {
        (e, Ok(ProfileSource::Process { command })) if e.get("process").is_some() => {
            let want = sub(e["process"].as_str().unwrap());
            if command != want {
                return Err(format!("process {command:?}, want {want:?}"));
            }
        }
        (e, Ok(ProfileSource::Static(c))) if e.get("static").is_some() => {
            let s = &e["static"];
            let got = [
                c.access_key_id(),
                c.secret_access_key(),
                c.session_token(),
                c.provider_name(),
            ];
            let want = [
                "access_key_id",
                "secret_access_key",
                "session_token",
                "provider_name",
            ]
            .map(|k| sub(s[k].as_str().unwrap()));
            if got.iter().zip(&want).any(|(g, w)| g != w) {
                return Err(format!("static {got:?}, want {want:?}"));
            }
            if c.expiration().is_some() || c.account_id().is_some() {
                return Err("static keys must never expire and carry no account id".into());
            }
        }
        (e, Err(err)) if e.get("error").is_some() => {
            let w = &e["error"];
            let text = err.to_string();
            if err.status().name() != w["status"].as_str().unwrap() {
                return Err(format!("status {} for {text:?}", err.status().name()));
            }
            if err.code() != w["code"].as_str().unwrap() {
                return Err(format!("code {} for {text:?}", err.code()));
            }
            if let Some(m) = w.get("message").and_then(Value::as_str) {
                if text != sub(m) {
                    return Err(format!("message {text:?}, want {:?}", sub(m)));
                }
            }
            if let Some(m) = w.get("message_contains").and_then(Value::as_str) {
                if !text.contains(&sub(m)) {
                    return Err(format!("message {text:?} lacks {:?}", sub(m)));
                }
            }
        }
        (e, Ok(s)) => return Err(format!("got {s:?}, want {e}")),
        (e, Err(err)) => return Err(format!("got error {err}, want {e}")),
    }
    Ok(())
}

#[test]
fn profile_vectors() {
    let mut files: Vec<PathBuf> = fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "vector files missing: {files:?}");
    let mut names = std::collections::HashSet::new();
    let mut failures = Vec::new();
    let mut count = 0;
    for f in &files {
        let cases: Value = serde_json::from_slice(&fs::read(f).unwrap()).unwrap();
        for case in cases.as_array().unwrap() {
            count += 1;
            let name = case["name"].as_str().unwrap().to_owned();
            assert!(names.insert(name.clone()), "duplicate case name {name}");
            assert_eq!(
                case.get("divergence").is_some(),
                case.get("go_v1").is_some(),
                "{name}: go_v1 goes with divergence"
            );
            if let Err(e) = run_case(case) {
                failures.push(format!(
                    "{}: {name}: {e}",
                    f.file_name().unwrap().to_string_lossy()
                ));
            }
        }
    }
    assert!(count >= 100, "only {count} cases");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------------------------------------
// Rules beyond the vectors

#[test]
fn broken_file_names_file_and_line() {
    let home = TempHome::new("broken");
    let p = home.write(
        ".aws/credentials",
        b"[default]\n# fine\ncredential_process = helper\nregion = #oops\n",
    );
    let e = error(Env::home(&home).resolve(None, SharedConfig::Env));
    assert_eq!(e.status(), Status::Config);
    assert_eq!(e.code(), "SharedConfigLoadError");
    let path = p.to_str().unwrap();
    assert_eq!(e.message(), format!("failed to load config file, {path}"));
    assert_eq!(
        e.to_string(),
        format!(
            "SharedConfigLoadError: failed to load config file, {path}\ncaused by: INIParseError: \
             {path}, line 4: comment where a value should start"
        )
    );
}

#[test]
fn broken_file_lines_counted_with_crlf_and_headers() {
    let cases: [(&[u8], usize, &str); 8] = [
        (b"[a]\r\n\r\n[b\r\n", 4, "unterminated section header"),
        (b"[a]\nk = v\n[]\n", 3, "empty section name"),
        (b"[a]\n  \n]\n", 3, "']' without '['"),
        (b"[a]\nk = ,v\n", 2, "',' where a value should start"),
        (b"[a]\n\n\n= v\n", 4, "'=' or ':' where a key should start"),
        (
            b"[a]\nword # c\n",
            2,
            "comment after a key without '=' or ':'",
        ),
        (b"[a]\nword", 2, "key without '=' or ':' at end of file"),
        (b"[a]\nk = v\n\n\xc3\x28\n", 4, "invalid UTF-8"),
    ];
    for (content, line, what) in cases {
        let home = TempHome::new("lines");
        let p = home.write(".aws/credentials", content);
        let e = error(Env::home(&home).resolve(None, SharedConfig::Env));
        let want = format!("{}, line {line}: {what}", p.display());
        assert_eq!(
            e.cause(),
            Some(format!("INIParseError: {want}").as_str()),
            "{content:?}"
        );
    }
}

#[test]
fn broken_config_file_fails_even_when_credentials_file_has_the_profile() {
    let home = TempHome::new("broken-config");
    home.write(".aws/config", b"[default]\nregion = #x\n");
    home.write(
        ".aws/credentials",
        b"[default]\ncredential_process = helper\n",
    );
    let env = Env::home(&home);
    let e = error(env.resolve(None, SharedConfig::Enable));
    assert!(e.message().ends_with("/.aws/config"), "{e}");
    // With shared config off the config file is not read at all.
    assert_eq!(command(env.resolve(None, SharedConfig::Disable)), "helper");
}

#[test]
fn errors_never_show_secrets() {
    let secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY";
    let token = "FwoGZXIvYXdzEXAMPLETOKEN";
    let files: [&str; 6] = [
        // broken file: the line holding the secret is the broken one
        "[default]\naws_secret_access_key = #SECRET\n",
        "[default]\naws_secret_access_key = SECRET\naws_session_token = TOKEN\nbroken TOKEN",
        // valid files whose profile is refused
        "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\naws_session_token = TOKEN\nrole_arn = arn:aws:iam::1:role/r\n",
        "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\nweb_identity_token_file = TOKEN\n",
        "[default]\naws_secret_access_key = SECRET\naws_session_token = TOKEN\n",
        "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\nsso_session = s\n",
    ];
    for f in files {
        let home = TempHome::new("secrets");
        let f = f.replace("SECRET", secret).replace("TOKEN", token);
        home.write(".aws/config", f.as_bytes());
        let r = Env::home(&home).resolve(None, SharedConfig::Enable);
        let e = error(r);
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(secret), "{text}");
            assert!(!text.contains(token), "{text}");
        }
    }
}

#[test]
fn static_keys_debug_hides_secret() {
    let home = TempHome::new("debug");
    home.write(
        ".aws/credentials",
        b"[default]\naws_access_key_id = AKIDX\naws_secret_access_key = s3cr3t-v4lue\naws_session_token = t0k3n-v4lue\n",
    );
    let r = Env::home(&home).resolve(None, SharedConfig::Env).unwrap();
    let d = format!("{r:?}");
    assert!(d.contains("AKIDX"), "{d}");
    assert!(
        !d.contains("s3cr3t-v4lue") && !d.contains("t0k3n-v4lue"),
        "{d}"
    );
}

#[test]
fn process_debug_hides_command() {
    let home = TempHome::new("debug-process");
    home.write(
        ".aws/credentials",
        b"[default]\ncredential_process = vault-helper --token hvs.s3cr3t\n",
    );
    let r = Env::home(&home).resolve(None, SharedConfig::Env).unwrap();
    assert!(!format!("{r:?}").contains("hvs.s3cr3t"));
}

#[test]
fn unreadable_file_is_an_error() {
    // A directory where the credentials file should be: it exists but cannot be read.
    let home = TempHome::new("unreadable");
    fs::create_dir_all(home.path.join(".aws/credentials")).unwrap();
    home.write(".aws/config", b"[default]\ncredential_process = helper\n");
    let e = error(Env::home(&home).resolve(None, SharedConfig::Enable));
    assert_eq!(e.code(), "SharedConfigLoadError");
    assert!(e.message().ends_with("/.aws/credentials"), "{e}");
    assert!(
        e.cause().unwrap().starts_with("unable to read file: "),
        "{e}"
    );
}

#[test]
fn path_through_a_regular_file_counts_as_missing() {
    let home = TempHome::new("notdir");
    let f = home.write("plainfile", b"x");
    home.write(
        ".aws/credentials",
        b"[default]\ncredential_process = helper\n",
    );
    let env = Env::home(&home).set("AWS_CONFIG_FILE", f.join("config"));
    assert_eq!(command(env.resolve(None, SharedConfig::Enable)), "helper");
}

#[test]
fn same_file_for_both_variables() {
    let home = TempHome::new("same");
    let p = home.write(
        "both",
        b"[profile p]\ncredential_process = prefixed\n[p]\ncredential_process = bare\n",
    );
    let env = Env::home(&home)
        .set("AWS_CONFIG_FILE", &p)
        .set("AWS_SHARED_CREDENTIALS_FILE", &p);
    assert_eq!(
        command(env.resolve(Some("p"), SharedConfig::Enable)),
        "bare"
    );
}

#[test]
fn files_are_read_at_call_time() {
    let home = TempHome::new("call-time");
    let env = Env::home(&home);
    assert_eq!(
        error(env.resolve(None, SharedConfig::Env)).code(),
        "SharedConfigProfileNotExistsError"
    );
    home.write(".aws/credentials", b"[default]\ncredential_process = one\n");
    assert_eq!(command(env.resolve(None, SharedConfig::Env)), "one");
    home.write(".aws/credentials", b"[default]\ncredential_process = two\n");
    assert_eq!(command(env.resolve(None, SharedConfig::Env)), "two");
}

#[test]
fn non_utf8_environment_values() {
    use std::os::unix::ffi::OsStringExt;
    let home = TempHome::new("non-utf8");
    home.write(
        ".aws/credentials",
        b"[default]\ncredential_process = helper\n",
    );
    let env = Env::home(&home)
        .set("AWS_PROFILE", OsString::from_vec(b"bad\xffname".to_vec()))
        .set("AWS_SDK_LOAD_CONFIG", OsString::from_vec(b"\xff".to_vec()));
    let e = error(env.resolve(None, SharedConfig::Env));
    assert_eq!(e.code(), "SharedConfigProfileNotExistsError");
    // A credentials file path that is not UTF-8 still works.
    let dir = home.path.join(OsString::from_vec(b"d\xfe".to_vec()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("creds"),
        b"[default]\naws_access_key_id = A\naws_secret_access_key = S\n",
    )
    .unwrap();
    let env = Env::home(&home).set("AWS_SHARED_CREDENTIALS_FILE", dir.join("creds"));
    match env.resolve(None, SharedConfig::Env).unwrap() {
        ProfileSource::Static(c) => {
            assert!(c.provider_name().starts_with("SharedConfigCredentials: "));
            assert!(c.provider_name().ends_with("/creds"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn home_unset_falls_back_to_the_password_database() {
    // No HOME: the default paths come from the password database, as Go's os/user does. The
    // profile name is unique, so whatever the real files hold, the answer is a config error
    // naming a credentials file under an absolute home.
    let env = Env(HashMap::new());
    let name = format!("processcreds-test-no-such-profile-{}", std::process::id());
    let e = error(env.resolve(Some(&name), SharedConfig::Disable));
    assert_eq!(e.status(), Status::Config);
    let text = e.to_string();
    assert!(text.contains("/.aws/credentials"), "{text}");
}

#[test]
fn resolve_reads_the_process_environment() {
    // The process environment is not changed here; a unique profile name is never found.
    let name = format!("processcreds-test-no-such-profile-{}", std::process::id());
    let e = error(resolve(Some(&name), SharedConfig::Disable));
    assert_eq!(e.status(), Status::Config);
}

#[test]
fn large_file_resolves_quickly() {
    let home = TempHome::new("large");
    let mut f = String::new();
    for i in 0..20_000 {
        f.push_str(&format!(
            "[profile p{i}]\nregion = us-east-1 # c\ncredential_process = helper --n {i}\ns3 =\n  max = {i}\n\n"
        ));
    }
    home.write(".aws/config", f.as_bytes());
    let t = std::time::Instant::now();
    let cmd = command(Env::home(&home).resolve(Some("p19999"), SharedConfig::Enable));
    assert_eq!(cmd, "helper --n 19999");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}
