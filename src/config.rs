//! Shared config: resolves a profile's `credential_process` (or static keys) as aws-sdk-go v1's
//! `aws/session` does (SEMANTICS.md, "Profiles (shared config)"), with the divergence D9.
//!
//! # What is read
//!
//! * Files, in this order, later ones overriding earlier ones key by key: `AWS_CONFIG_FILE`
//!   (default `$HOME/.aws/config`) only when shared config is enabled, then
//!   `AWS_SHARED_CREDENTIALS_FILE` (default `$HOME/.aws/credentials`). Shared config is enabled
//!   by [`SharedConfig::Enable`], or under [`SharedConfig::Env`] when `AWS_SDK_LOAD_CONFIG` is
//!   true for Go's `strconv.ParseBool` (`1 t T TRUE true True`).
//! * Profile: the caller's (non-empty) name, else `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE` when
//!   `AWS_SDK_LOAD_CONFIG` is true or the caller passes [`SharedConfig::Enable`], else `default`.
//!   In each file `[name]` is used when present, otherwise `[profile name]`.
//! * An environment variable set to the empty string counts as unset (Go's `os.Getenv`).
//!
//! # Decisions where Go leaves a choice (each follows aws-sdk-go v1.55.8 unless said otherwise)
//!
//! * **Which keys count.** As in Go, `role_arn`, `source_profile`, `credential_source` and the
//!   `sso_*` keys are read only when shared config is enabled (in both files); with it disabled
//!   they are ignored, so `credential_process` next to `role_arn` in the credentials file runs the
//!   helper. `credential_process`, `web_identity_token_file` and the static keys are always read.
//!   Keys that do not concern credentials (`region`, `sts_regional_endpoints`, `ca_bundle`, …)
//!   are ignored, even where a bad value makes Go's session fail.
//! * **Order of checks** (Go's): a missing profile; then `source_profile`, `credential_source` or
//!   `web_identity_token_file` without `role_arn` → `CredentialRequiresARNError: credential type
//!   <key> requires role_arn, profile <name>` (Go reports this before the collision, so
//!   `credential_process` + `source_profile` without `role_arn` gives this error, not the
//!   collision); then the collision of two of `source_profile`, `credential_source`,
//!   `credential_process`, `web_identity_token_file` → `SharedConfigErr: only one credential type
//!   may be specified per profile: source profile, credential source, credential process, web
//!   identity token`; then an `sso_session` whose `[sso-session <name>]` section is in no file →
//!   `SharedConfigErr: failed to find SSO session section, <name>` (Go's text; its error carries
//!   no code); then, in Go's order of
//!   providers: `role_arn` → unsupported (D9); static keys → returned; any `sso_*` key →
//!   unsupported (D9); `credential_process` → returned; nothing → error.
//! * **Static keys beat SSO** (as Go: it never calls SSO then); static keys with `role_arn` are an
//!   error (Go would assume the role with them).
//! * **Static keys** are taken per file as Go does: a file's section with both
//!   `aws_access_key_id` and `aws_secret_access_key` replaces the whole set (its
//!   `aws_session_token`, or none); a section with only one of them changes nothing.
//!   `AccountId` is none (Go v1 has no such field).
//! * **Error codes and texts** (status `PC_STATUS_CONFIG` for all; besides file paths, no text
//!   holds anything read from a file but profile names and the `sso_session` name, which Go's
//!   own message quotes):
//!   - profile in no file (D9): `SharedConfigProfileNotExistsError: failed to get profile, <name>:
//!     no [<name>] or [profile <name>] section in <files read>` (`; missing: <files>` when some
//!     files do not exist; `no shared config or credentials file found: <files>` when none does);
//!   - profile with neither static keys nor `credential_process`: `SharedConfigErr: profile
//!     <name> has no credentials: neither aws_access_key_id with aws_secret_access_key nor
//!     credential_process is set in <files read>` (Go would fall back to its default chain);
//!   - `role_arn` (D9): `SharedConfigErr: profile <name> uses role_arn (assume role through
//!     STS), which is not supported: only static keys and credential_process are` (with
//!     `web_identity_token_file`: `uses web_identity_token_file with role_arn (assume role with
//!     web identity through STS)`);
//!   - SSO (D9): `SharedConfigErr: profile <name> uses <first sso key set> (IAM Identity Center
//!     / SSO), which is not supported: only static keys and credential_process are`;
//!   - a broken file: `SharedConfigLoadError: failed to load config file, <path>` caused by
//!     `INIParseError: <path>, line <n>: <what>` (Go's code and message; the cause names the line
//!     and never quotes the file);
//!   - a file that exists but cannot be read (permission denied, a directory, an I/O error):
//!     `SharedConfigLoadError: failed to load config file, <path>` caused by `unable to read
//!     file: <OS error>`. Go skips such files silently; only a file that does not exist (or whose
//!     parent is not a directory) is skipped here.
//! * **Invalid UTF-8** in a file is a parse error naming the line (Go reads it as U+FFFD).
//! * **Paths.** The default files are `$HOME/.aws/config` and `$HOME/.aws/credentials`, cleaned
//!   as Go's `filepath.Join` does (`//` and `.` removed, `..` resolved lexically); when `HOME` is
//!   empty the home directory comes from the password database, as Go's `os/user`. Paths from
//!   `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` are used verbatim, and the static
//!   credentials' `ProviderName` is `SharedConfigCredentials: <path>` with the path as used.
//!   A path that is not UTF-8 is shown with U+FFFD in texts (the file itself is read).
//! * **Debug output** of [`ProfileSource`] shows the static keys' id but neither secret nor token
//!   (as [`Credentials`]), and only the length of a `credential_process` command, which may carry
//!   a secret.
//! * **Scope.** Only profiles are resolved: credentials in the environment
//!   (`AWS_ACCESS_KEY_ID`, `AWS_WEB_IDENTITY_TOKEN_FILE`, …), which Go's session prefers when no
//!   profile is named in its options, are not consulted.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;

use crate::credentials::CredentialsSource;
use crate::error::{Status, CODE_SHARED_CONFIG};
use crate::ini::Ini;
use crate::{Credentials, Error, Result};
use zeroize::Zeroizing;

// Where the home directory comes from, how the default file paths are joined, and which read
// errors mean "no such file": the only parts of shared config that differ between platforms.
#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Go's `session.SharedConfigState`: whether the shared config file (`~/.aws/config`) is read
/// by [`ProcessProvider::from_profile`](crate::ProcessProvider::from_profile). The credentials
/// file is always read.
///
/// ```
/// use processcreds::{ProcessProvider, SharedConfig, Status};
///
/// let dir = std::env::temp_dir().join(format!("processcreds-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// std::fs::write(dir.join("config"), r#"
/// [profile prod]
/// credential_process = printf '{"Version":1,"AccessKeyId":"AKID-PROD","SecretAccessKey":"s"}'
/// "#).unwrap();
/// std::env::set_var("AWS_CONFIG_FILE", dir.join("config"));
/// std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials")); // no such file
///
/// // As aws-sdk-go v1 with AWS_SDK_LOAD_CONFIG=1: the config file's profiles count.
/// let p = ProcessProvider::from_profile(Some("prod"), SharedConfig::Enable)?;
/// assert_eq!(p.retrieve()?.access_key_id(), "AKID-PROD");
///
/// // Without it, only the credentials file is read.
/// let err = ProcessProvider::from_profile(Some("prod"), SharedConfig::Disable).unwrap_err();
/// assert_eq!(err.status(), Status::Config);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), processcreds::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SharedConfig {
    /// As `AWS_SDK_LOAD_CONFIG` says.
    Env,
    /// Never load the config file.
    Disable,
    /// Always load the config file.
    Enable,
}

/// Where a profile's credentials come from.
pub enum ProfileSource {
    /// static keys: never expiring, provider_name `SharedConfigCredentials: <file path>`
    Static(Credentials),
    /// the profile's credential_process value, verbatim (D9)
    Process {
        /// The command line, run as `sh -c <command>`.
        command: String,
    },
}

impl fmt::Debug for ProfileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileSource::Static(c) => f.debug_tuple("Static").field(c).finish(),
            // A command line may carry a secret: only its length is shown.
            ProfileSource::Process { command } => f
                .debug_struct("Process")
                .field("command_len", &command.len())
                .finish(),
        }
    }
}

/// Go's `session.ErrCodeSharedConfig` errors' companions.
const CODE_LOAD: &str = "SharedConfigLoadError";
const CODE_NOT_EXISTS: &str = "SharedConfigProfileNotExistsError";
const CODE_REQUIRES_ARN: &str = "CredentialRequiresARNError";
const MSG_COLLISION: &str = "only one credential type may be specified per profile: source \
                             profile, credential source, credential process, web identity token";
const UNSUPPORTED_TAIL: &str =
    "which is not supported: only static keys and credential_process are";

const SSO_KEYS: [&str; 5] = [
    "sso_session",
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// Resolves a profile as [`ProcessProvider::from_profile`](crate::ProcessProvider::from_profile)
/// does, without building a provider: the environment (`std::env::var_os`) and the files are
/// read at call time.
pub fn resolve(profile: Option<&str>, shared: SharedConfig) -> Result<ProfileSource> {
    resolve_with(profile, shared, &|k| std::env::var_os(k))
}

/// [`resolve`] with an explicit environment lookup instead of the process environment.
pub fn resolve_with(
    profile: Option<&str>,
    shared: SharedConfig,
    env: &dyn Fn(&str) -> Option<OsString>,
) -> Result<ProfileSource> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty());
    let load_config = var("AWS_SDK_LOAD_CONFIG").is_some_and(|v| parse_bool(&v));
    let enabled = match shared {
        SharedConfig::Env => load_config,
        SharedConfig::Disable => false,
        SharedConfig::Enable => true,
    };
    // Go reads AWS_DEFAULT_PROFILE when its environment loader ran with shared config on: under
    // a forced enable, or when AWS_SDK_LOAD_CONFIG is true (even under a forced disable).
    let default_profile_ok = load_config || shared == SharedConfig::Enable;

    let name: String = match profile.filter(|p| !p.is_empty()) {
        Some(p) => p.to_owned(),
        None => var("AWS_PROFILE")
            .or_else(|| {
                if default_profile_ok {
                    var("AWS_DEFAULT_PROFILE")
                } else {
                    None
                }
            })
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_else(|| "default".to_owned()),
    };

    let mut home: Option<OsString> = None;
    let mut home_file = |rel: &[&str]| -> OsString {
        let h = home.get_or_insert_with(|| sys::home_dir(&var));
        sys::home_file(h, rel)
    };
    let mut paths: Vec<OsString> = Vec::with_capacity(2);
    if enabled {
        paths.push(var("AWS_CONFIG_FILE").unwrap_or_else(|| home_file(&[".aws", "config"])));
    }
    paths.push(
        var("AWS_SHARED_CREDENTIALS_FILE").unwrap_or_else(|| home_file(&[".aws", "credentials"])),
    );

    let mut files: Vec<(String, Ini)> = Vec::with_capacity(paths.len());
    let mut missing: Vec<String> = Vec::new();
    for p in &paths {
        let shown = Path::new(p).display().to_string();
        // The file may hold secrets: its bytes are wiped once parsed.
        match std::fs::read(p).map(Zeroizing::new) {
            Ok(bytes) => match Ini::parse(&bytes) {
                Ok(ini) => files.push((shown, ini)),
                Err(e) => {
                    return Err(Error::new(
                        Status::Config,
                        CODE_LOAD,
                        format!("failed to load config file, {shown}"),
                        Some(format!("INIParseError: {shown}, {e}")),
                    ))
                }
            },
            Err(e) if sys::is_missing(&e) => missing.push(shown),
            Err(e) => {
                return Err(Error::new(
                    Status::Config,
                    CODE_LOAD,
                    format!("failed to load config file, {shown}"),
                    Some(format!("unable to read file: {e}")),
                ))
            }
        }
    }

    let cfg = Profile::merge(&name, &files, enabled);
    if !cfg.found {
        return Err(not_found(&name, &files, &missing));
    }
    cfg.into_source(&name, &files)
}

/// The credential keys of one profile merged over the files.
#[derive(Default)]
struct Profile {
    found: bool,
    credential_process: Option<String>,
    web_identity_token_file: Option<String>,
    role_arn: Option<String>,
    source_profile: Option<String>,
    credential_source: Option<String>,
    sso: [Option<String>; 5],
    /// access key id, secret, token, file path
    keys: Option<(String, Zeroizing<String>, Zeroizing<String>, String)>,
}

fn update(dst: &mut Option<String>, v: Option<&str>) {
    if let Some(v) = v {
        *dst = Some(v.to_owned());
    }
}

fn set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

impl Profile {
    fn merge(name: &str, files: &[(String, Ini)], enabled: bool) -> Profile {
        let mut cfg = Profile::default();
        let prefixed = format!("profile {name}");
        for (path, ini) in files {
            let Some(sec) = ini.section(name).or_else(|| ini.section(&prefixed)) else {
                continue;
            };
            cfg.found = true;
            if enabled {
                update(&mut cfg.role_arn, sec.get("role_arn"));
                update(&mut cfg.source_profile, sec.get("source_profile"));
                update(&mut cfg.credential_source, sec.get("credential_source"));
                for (dst, key) in cfg.sso.iter_mut().zip(SSO_KEYS) {
                    update(dst, sec.get(key));
                }
            }
            update(&mut cfg.credential_process, sec.get("credential_process"));
            update(
                &mut cfg.web_identity_token_file,
                sec.get("web_identity_token_file"),
            );
            let akid = sec.get("aws_access_key_id").unwrap_or_default();
            let secret = sec.get("aws_secret_access_key").unwrap_or_default();
            if !akid.is_empty() && !secret.is_empty() {
                let token = sec.get("aws_session_token").unwrap_or_default();
                cfg.keys = Some((
                    akid.to_owned(),
                    Zeroizing::new(secret.to_owned()),
                    Zeroizing::new(token.to_owned()),
                    path.clone(),
                ));
            }
        }
        cfg
    }

    fn into_source(self, name: &str, files: &[(String, Ini)]) -> Result<ProfileSource> {
        // Go: a credential source other than the process needs role_arn.
        let needs_arn = if set(&self.source_profile) {
            Some("source_profile")
        } else if set(&self.credential_source) {
            Some("credential_source")
        } else if set(&self.web_identity_token_file) {
            Some("web_identity_token_file")
        } else {
            None
        };
        if let (Some(kind), false) = (needs_arn, set(&self.role_arn)) {
            return Err(Error::config(
                CODE_REQUIRES_ARN,
                format!("credential type {kind} requires role_arn, profile {name}"),
            ));
        }
        let kinds = [
            &self.source_profile,
            &self.credential_source,
            &self.credential_process,
            &self.web_identity_token_file,
        ];
        if kinds.iter().filter(|v| set(v)).count() > 1 {
            return Err(Error::config(CODE_SHARED_CONFIG, MSG_COLLISION));
        }
        let sso_session = self.sso[0].as_deref().unwrap_or_default();
        if !sso_session.is_empty() {
            let section = format!("sso-session {}", sso_session.trim());
            if !files.iter().any(|(_, ini)| ini.section(&section).is_some()) {
                return Err(Error::config(
                    CODE_SHARED_CONFIG,
                    format!("failed to find SSO session section, {sso_session}"),
                ));
            }
        }
        if set(&self.role_arn) {
            let what = if set(&self.web_identity_token_file) && self.keys.is_none() {
                "web_identity_token_file with role_arn (assume role with web identity through STS)"
            } else {
                "role_arn (assume role through STS)"
            };
            return Err(Error::config(
                CODE_SHARED_CONFIG,
                format!("profile {name} uses {what}, {UNSUPPORTED_TAIL}"),
            ));
        }
        if let Some((akid, secret, token, path)) = self.keys {
            // A NUL byte cannot cross the C ABI (C would see a shortened key), as D8 says of the
            // helper's output; the error names the key, never its value.
            let fields = [
                ("aws_access_key_id", akid.as_str()),
                ("aws_secret_access_key", secret.as_str()),
                ("aws_session_token", token.as_str()),
            ];
            if let Some((key, _)) = fields.iter().find(|(_, v)| v.contains('\0')) {
                return Err(Error::config(
                    CODE_SHARED_CONFIG,
                    format!("profile {name}: {key} in {path} contains a NUL byte"),
                ));
            }
            return Ok(ProfileSource::Static(Credentials::new(
                &akid,
                &secret,
                &token,
                None,
                CredentialsSource::StaticProfile { file: path },
                None,
            )));
        }
        if let Some(i) = self.sso.iter().position(set) {
            return Err(Error::config(
                CODE_SHARED_CONFIG,
                format!(
                    "profile {name} uses {} (IAM Identity Center / SSO), {UNSUPPORTED_TAIL}",
                    SSO_KEYS[i]
                ),
            ));
        }
        match self.credential_process {
            Some(command) if !command.is_empty() => Ok(ProfileSource::Process { command }),
            _ => Err(Error::config(
                CODE_SHARED_CONFIG,
                format!(
                    "profile {name} has no credentials: neither aws_access_key_id with \
                     aws_secret_access_key nor credential_process is set in {}",
                    join(files.iter().map(|(p, _)| p.as_str()))
                ),
            )),
        }
    }
}

fn not_found(name: &str, files: &[(String, Ini)], missing: &[String]) -> Error {
    let message = if files.is_empty() {
        format!(
            "failed to get profile, {name}: no shared config or credentials file found: {}",
            join(missing.iter().map(String::as_str))
        )
    } else {
        let mut m = format!(
            "failed to get profile, {name}: no [{name}] or [profile {name}] section in {}",
            join(files.iter().map(|(p, _)| p.as_str()))
        );
        if !missing.is_empty() {
            m.push_str("; missing: ");
            m.push_str(&join(missing.iter().map(String::as_str)));
        }
        m
    };
    Error::config(CODE_NOT_EXISTS, message)
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

/// Go's `strconv.ParseBool`, true side (anything else, errors included, is false).
fn parse_bool(v: &OsStr) -> bool {
    matches!(v.to_str(), Some("1" | "t" | "T" | "TRUE" | "true" | "True"))
}

/// Every section of a parsed file with its keys and values, sorted by name.
#[doc(hidden)]
pub type IniDump = Vec<(String, Vec<(String, String)>)>;

/// Parses `bytes` as a shared config file: every section with its keys, sorted, or the error
/// text. An entry point for fuzzing and differential tests of the INI reader.
#[doc(hidden)]
pub fn parse_ini_for_fuzz(bytes: &[u8]) -> std::result::Result<IniDump, String> {
    Ini::parse(bytes)
        .map(|i| i.dump())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_bool_like_go() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(parse_bool(OsStr::new(t)), "{t}");
        }
        for f in ["0", "f", "yes", "tRUE", " true", "2", ""] {
            assert!(!parse_bool(OsStr::new(f)), "{f}");
        }
    }
}
