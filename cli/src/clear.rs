//! `processcreds clear`: removes exactly what the readers of a source use, and says what it did.
//!
//! The key of a source is computed under the same rule as the readers' (the working directory,
//! `PATH`, `HOME`, `AWS_*` … of this process, and `--cache-key`, `--key-env`, `--duration` as the
//! entry was made with). For `--profile NAME`, the readers are a provider of the library reading
//! the profile (keyed on its `credential_process` string), and, when that line is itself
//! `processcreds cache …` (the README's recipe), the inner `cache` command (keyed on its own
//! source and options). An SDK reading the profile may run that line with `AWS_PROFILE=NAME`
//! (`AWS_PROFILE=prod aws …`) or without it (`aws --profile prod …`): both keys are cleared, with
//! the one of this process's own `AWS_PROFILE`.

use crate::start::ExitCode;
use std::ffi::OsString;
use std::time::Duration;

use clap::ArgMatches;
use processcreds::config::{self, ProfileSource, SharedConfig};
use processcreds::runner::Program;
use processcreds::shared_cache::{self, Cleared, Key, KeyInput, Warning};

/// The key parts a `cache` command line names.
struct KeyParts {
    text: Option<String>,
    env: Vec<String>,
    duration: Option<Duration>,
}

impl KeyParts {
    fn of(m: &ArgMatches) -> Result<KeyParts, String> {
        let env: Vec<String> = m
            .get_many::<String>("key-env")
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        shared_cache::check_env_names(&env).map_err(|e| e.to_string())?;
        Ok(KeyParts {
            text: m.get_one::<String>("cache-key").cloned(),
            env,
            duration: m
                .get_one::<Duration>("duration")
                .copied()
                .filter(|d| !d.is_zero()),
        })
    }

    /// The key of `program` with these parts; `profile`: `AWS_PROFILE` as another process
    /// would have it (`None`: as this process has it).
    fn key(&self, program: &Program, profile: Option<Option<&str>>) -> Key {
        let input = KeyInput {
            text: self.text.as_deref(),
            env: &self.env,
            duration: self.duration,
            ..KeyInput::new(program)
        };
        match profile {
            None => Key::new(&input),
            Some(p) => Key::with_vars(&input, &[("AWS_PROFILE", p.map(OsString::from))]),
        }
    }

    /// The keys of `program` with `AWS_PROFILE` as this process has it, set to `profile`, and
    /// unset.
    fn keys_for_profile(&self, program: &Program, profile: &str, out: &mut Vec<Key>) {
        for p in [None, Some(Some(profile)), Some(None)] {
            let k = self.key(program, p);
            if !out.contains(&k) {
                out.push(k);
            }
        }
    }
}

/// The source and key parts of a `processcreds cache …` command line, if `command` is one.
fn inner_cache(command: &str) -> Option<Result<(Program, KeyParts), String>> {
    let words = shared_cache::simple_command_words(command)?;
    let first = std::path::Path::new(words.first()?).file_name()?.to_str()?;
    if !(first == "processcreds" || first == "processcreds.exe") || words.get(1)? != "cache" {
        return None;
    }
    let parsed = super::cli_for(Some("cache"))
        .try_get_matches_from(&words)
        .map_err(|e| format!("its `processcreds cache` line does not parse: {}", e.kind()));
    Some(parsed.and_then(|m| {
        let (_, sub) = m.subcommand().ok_or("no subcommand")?;
        let program = super::program(sub)?.ok_or("no helper")?;
        Ok((program, KeyParts::of(sub)?))
    }))
}

pub(crate) fn run(m: &ArgMatches) -> ExitCode {
    if m.get_flag("all") {
        return report(shared_cache::clear_all(), "");
    }
    let parts = match KeyParts::of(m) {
        Ok(p) => p,
        Err(e) => return super::usage(e),
    };
    let mut keys: Vec<Key> = Vec::new();
    let what = match super::program(m) {
        Err(e) => return super::usage(e),
        Ok(Some(program)) => {
            keys.push(parts.key(&program, None));
            " of this helper".to_string()
        }
        Ok(None) => {
            let Some(profile) = m.get_one::<String>("profile") else {
                return super::usage(
                    "a source is required: --all, --profile, --command or --".into(),
                );
            };
            let command = match config::resolve(Some(profile), SharedConfig::Enable) {
                Ok(ProfileSource::Process { command }) => command,
                Ok(ProfileSource::Static(_)) => {
                    println!(
                        "nothing removed: the profile {profile} has static keys, which are never cached"
                    );
                    return ExitCode::SUCCESS;
                }
                Err(e) => return super::failed(&e),
            };
            parts.keys_for_profile(&Program::Shell(command.clone()), profile, &mut keys);
            match inner_cache(&command) {
                Some(Ok((program, inner))) => {
                    inner.keys_for_profile(&program, profile, &mut keys);
                }
                Some(Err(why)) => {
                    println!("note: the profile's credential_process: {why}");
                }
                None => {}
            }
            format!(" of the profile {profile}")
        }
    };
    report(shared_cache::clear_keys(&keys), &what)
}

/// "1 entry", "2 lock files".
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn report(result: Result<Cleared, Warning>, what: &str) -> ExitCode {
    let c = match result {
        Ok(c) => c,
        Err(w) => {
            eprintln!("processcreds: {w}");
            return ExitCode::from(1);
        }
    };
    let dir = c.directory.display();
    if c.removed.is_empty() {
        if std::fs::symlink_metadata(&c.directory).is_err() {
            println!("nothing removed: the cache directory {dir} does not exist");
        } else {
            println!("nothing removed: no entry{what} in {dir}");
        }
    } else {
        let n = |suffix: &str| c.removed.iter().filter(|f| f.ends_with(suffix)).count();
        let mut parts = vec![count(n(".entry"), "entry", "entries")];
        if n(".tmp") > 0 {
            parts.push(count(n(".tmp"), "temporary file", "temporary files"));
        }
        parts.push(count(n(".lock"), "lock file", "lock files"));
        let last = parts.pop().unwrap_or_default();
        let list = if parts.is_empty() {
            last
        } else {
            format!("{} and {last}", parts.join(", "))
        };
        println!("removed {list} from {dir}:");
        for f in &c.removed {
            println!("  {f}");
        }
    }
    for h in &c.held {
        println!("kept {h}: a running helper holds it");
    }
    ExitCode::SUCCESS
}
