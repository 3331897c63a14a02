//! `processcreds`: a shared, cross-process cache in front of any `credential_process` helper,
//! usable as the `credential_process` of any SDK or tool, and tools for helper authors
//! (README.md, "Sharing credentials between processes").
//!
//! Exit status: 0 on success, 1 on a failed retrieve (Go's error text on stderr) or a check that
//! finds a problem, 2 on a usage error; `exec` exits with its command's status. Nothing secret is
//! written to stderr. `-v` writes the library's events at info and above on stderr, `-vv` at
//! debug too (`processcreds: <level> <event>: <fields>`); without them a success prints nothing
//! there (but one shared-cache warning, when the cache was bypassed).

// POSIX: the command's own entry point (`main` below, see start.rs).
#![cfg_attr(all(unix, not(test)), no_main)]

mod check;
mod clear;
mod duration;
mod print;
mod start;
mod supervise;

use start::ExitCode;
use std::ffi::OsString;
use std::time::Duration;

use clap::{Arg, ArgAction, ArgGroup, ArgMatches, Command};
use processcreds::config::SharedConfig;
use processcreds::observe::Level;
use processcreds::runner::Program;
use processcreds::shared_cache::{SharedCacheMode, Warning};
use processcreds::Fetched;
use processcreds::{Error, ProcessProvider, StdinMode};

const ABOUT: &str = "AWS credentials from a credential_process helper, shared between processes";

#[cfg(not(windows))]
const AFTER_HELP: &str = "\
Use it as the credential_process of any SDK or tool, in front of a slow helper:
    credential_process = processcreds cache -- granted credential-process --profile prod

The shared cache lives in $PROCESSCREDS_CACHE_DIR, else $XDG_RUNTIME_DIR/processcreds, else
${XDG_CACHE_HOME:-$HOME/.cache}/processcreds (created 0700, readable by this user only).
Durations: 90s, 15m, 1h, 1h30m, 250ms.";

#[cfg(windows)]
const AFTER_HELP: &str = "\
Use it as the credential_process of any SDK or tool, in front of a slow helper:
    credential_process = processcreds cache -- granted credential-process --profile prod

The shared cache lives in %PROCESSCREDS_CACHE_DIR%, else %LOCALAPPDATA%\\processcreds (created
with an access list for this user and SYSTEM only).
Durations: 90s, 15m, 1h, 1h30m, 250ms.";

fn duration_arg(name: &'static str, help: &'static str) -> Arg {
    Arg::new(name)
        .long(name)
        .value_name("DURATION")
        .value_parser(duration::parse)
        .help(help)
}

fn command_arg() -> Arg {
    Arg::new("command")
        .long("command")
        .value_name("STRING")
        .help(if cfg!(windows) {
            "Run the helper as `cmd.exe /d /s /c \"STRING\"`"
        } else {
            "Run the helper as `sh -c STRING`"
        })
}

fn program_arg() -> Arg {
    Arg::new("program")
        .value_name("PROGRAM")
        .num_args(1..)
        .last(true)
        .allow_hyphen_values(true)
        .value_parser(clap::value_parser!(OsString))
        .help("The helper and its arguments, run directly (after --)")
}

fn profile_arg() -> Arg {
    Arg::new("profile")
        .long("profile")
        .value_name("NAME")
        .help("The credential_process (or static keys) of this profile of the shared config files")
}

fn key_env_arg(help: &'static str) -> Arg {
    Arg::new("key-env")
        .long("key-env")
        .value_name("NAME")
        .action(ArgAction::Append)
        .help(help)
}

fn timeout_arg() -> Arg {
    duration_arg("timeout", "How long the helper may run [default: 1m]")
}

/// The options of `get` and `exec` after the helper's source.
fn retrieve_args() -> [Arg; 4] {
    [
        timeout_arg(),
        duration_arg(
            "expiry-window",
            "With --shared-cache: serve an entry only while it has this much time left \
             [default: 0s]",
        ),
        duration_arg(
            "duration",
            "Lifetime of credentials whose output has no Expiration",
        ),
        Arg::new("shared-cache")
            .long("shared-cache")
            .action(ArgAction::SetTrue)
            .help("Use the shared cache (as `cache` does)"),
    ]
}

/// The subcommands.
const SUBCOMMANDS: [&str; 5] = ["cache", "get", "exec", "check", "clear"];

/// `-v`, `-vv`: the library's events on stderr.
fn verbose_arg() -> Arg {
    Arg::new("verbose")
        .short('v')
        .long("verbose")
        .action(ArgAction::Count)
        .global(true)
        .help("Show what the library does on stderr: -v each helper run, cache write, bypass and refresh; -vv every cache lookup too")
}

/// The whole command line's definition.
fn cli() -> Command {
    cli_for(None)
}

/// The command line's definition with every subcommand, or only `only` (all that a command line
/// naming it needs: building the others would add to a warm `cache`'s start-up).
fn cli_for(only: Option<&str>) -> Command {
    let wanted = |name: &str| only.is_none_or(|o| o == name);
    Command::new("processcreds")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(AFTER_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(verbose_arg())
        .subcommands(wanted("cache").then(|| {
            Command::new("cache")
                .about(
                    "Print credentials from the shared cache, or from one run of the helper, \
                     which are then cached",
                )
                .arg(command_arg())
                .arg(duration_arg(
                    "expiry-window",
                    "Serve a cached entry only while it has this much time left [default: 15m]",
                ))
                .arg(duration_arg(
                    "duration",
                    "Lifetime of credentials whose output has no Expiration (default: they \
                     never expire, and are not cached)",
                ))
                .arg(timeout_arg())
                .arg(
                    Arg::new("cache-key")
                        .long("cache-key")
                        .value_name("TEXT")
                        .help("Extra text for the cache key (separate entries for one helper)"),
                )
                .arg(key_env_arg(
                    "A variable the helper reads that its command line does not show: its \
                     value goes into the cache key (repeatable)",
                ))
                .arg(program_arg())
                .group(
                    ArgGroup::new("source")
                        .args(["command", "program"])
                        .required(true),
                )
        }))
        .subcommands(wanted("get").then(|| {
            Command::new("get")
                .about("Retrieve credentials once and print them")
                .arg(profile_arg())
                .arg(command_arg())
                .arg(program_arg())
                .group(ArgGroup::new("source").args(["profile", "command", "program"]))
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_parser(["process", "env"])
                        .default_value("process")
                        .help(
                            "process: one credential_process JSON object; env: `export` lines \
                             for a POSIX shell",
                        ),
                )
                .args(retrieve_args())
        }))
        .subcommands(wanted("exec").then(|| {
            Command::new("exec")
                .about(
                    "Run a command with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
                     AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION set",
                )
                .arg(profile_arg())
                .arg(command_arg())
                .group(ArgGroup::new("source").args(["profile", "command"]))
                .args(retrieve_args())
                .arg(
                    Arg::new("cmd")
                        .value_name("CMD")
                        .num_args(1..)
                        .last(true)
                        .required(true)
                        .allow_hyphen_values(true)
                        .value_parser(clap::value_parser!(OsString))
                        .help("The command to run and its arguments (after --)"),
                )
        }))
        .subcommands(wanted("check").then(|| {
            Command::new("check")
                .about(
                    "Run a helper once, uncached, and report what aws-sdk-go v1 says of its \
                     output and where other SDKs disagree (exit 0 only if every SDK accepts it)",
                )
                .arg(command_arg())
                .arg(program_arg())
                .group(
                    ArgGroup::new("source")
                        .args(["command", "program"])
                        .required(true),
                )
                .arg(timeout_arg())
        }))
        .subcommands(wanted("clear").then(|| {
            Command::new("clear")
                .about("Remove entries from the shared cache")
                .arg(
                    Arg::new("all")
                        .long("all")
                        .action(ArgAction::SetTrue)
                        .help("Every entry (and lock file) of the cache directory"),
                )
                .arg(profile_arg())
                .arg(command_arg())
                .arg(program_arg())
                .arg(
                    Arg::new("cache-key")
                        .long("cache-key")
                        .value_name("TEXT")
                        .help("The --cache-key the entry was made with"),
                )
                .arg(key_env_arg(
                    "A --key-env the entry was made with (repeatable)",
                ))
                .arg(duration_arg(
                    "duration",
                    "The --duration the entry was made with",
                ))
                .group(
                    ArgGroup::new("what")
                        .args(["all", "profile", "command", "program"])
                        .required(true),
                )
        }))
}

/// A usage error: message on stderr, exit 2.
fn usage(message: String) -> ExitCode {
    let _ = cli()
        .error(clap::error::ErrorKind::ValueValidation, message)
        .print();
    ExitCode::from(2)
}

/// A failed retrieve: Go's text on stderr, exit 1.
fn failed(e: &Error) -> ExitCode {
    eprintln!("{e}");
    ExitCode::from(1)
}

/// The helper named by `--command` or after `--` (argv elements must be UTF-8).
fn program(m: &ArgMatches) -> Result<Option<Program>, String> {
    if let Some(c) = m.get_one::<String>("command") {
        return Ok(Some(Program::Shell(c.clone())));
    }
    match m.get_many::<OsString>("program") {
        Some(args) => args
            .map(|a| {
                a.to_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("the argument {a:?} is not valid UTF-8"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|v| Some(Program::Argv(v))),
        None => Ok(None),
    }
}

fn provider_for(p: Program) -> Result<ProcessProvider, Error> {
    match p {
        Program::Shell(c) => Ok(ProcessProvider::new(c)),
        Program::Argv(v) => ProcessProvider::from_argv(v),
    }
}

/// The provider of `get`/`exec`: a helper, or a profile (the config file is always read, as
/// the AWS CLI reads it).
fn source_provider(m: &ArgMatches) -> Result<Result<ProcessProvider, Error>, String> {
    Ok(match program(m)? {
        Some(p) => provider_for(p),
        None => ProcessProvider::from_profile(
            m.get_one::<String>("profile").map(String::as_str),
            SharedConfig::Enable,
        ),
    })
}

/// How many `-v` were given (0, 1 or more).
static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

fn verbosity() -> u8 {
    VERBOSITY.load(std::sync::atomic::Ordering::Relaxed)
}

/// With `-v` (info) or `-vv` (debug), the provider's events go to stderr, one line each. A worker
/// (supervise.rs) inherits the logger with the provider, and stderr with the process.
fn observe(p: &ProcessProvider) {
    let level = match verbosity() {
        0 => return,
        1 => Level::Info,
        _ => Level::Debug,
    };
    p.set_logger(level, |level, event, message| {
        eprintln!("processcreds: {level} {event}: {message}");
    });
}

fn apply_options(p: &ProcessProvider, m: &ArgMatches, default_window: Duration) {
    observe(p);
    let timeout = m.get_one::<Duration>("timeout").copied();
    let window = m
        .get_one::<Duration>("expiry-window")
        .copied()
        .unwrap_or(default_window);
    let duration = m
        .get_one::<Duration>("duration")
        .copied()
        .filter(|d| !d.is_zero());
    p.update_options(|o| {
        if let Some(t) = timeout {
            o.timeout = t;
        }
        o.expiry_window = window;
        o.duration = duration;
        o.stdin = StdinMode::Inherit;
    });
}

/// The helper `cache` and `check` require; a usage error when there is none.
fn required_program(m: &ArgMatches) -> Result<Program, ExitCode> {
    match program(m) {
        Ok(Some(p)) => Ok(p),
        Ok(None) => Err(usage(
            "a helper is required: --command STRING or -- PROGRAM".into(),
        )),
        Err(e) => Err(usage(e)),
    }
}

/// The credentials of `get` and `exec`: the helper or profile, the options, one fetch.
fn fetch_source(m: &ArgMatches) -> Result<(ProcessProvider, Fetched), ExitCode> {
    let p = match source_provider(m) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(failed(&e)),
        Err(e) => return Err(usage(e)),
    };
    apply_options(&p, m, Duration::ZERO);
    if m.get_flag("shared-cache") {
        p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    }
    match fetch(&p) {
        Ok(f) => Ok((p, f)),
        Err(e) => Err(failed(&e)),
    }
}

/// Whether a warning was printed (one per run; a worker inherits the flag with its memory).
static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Prints the first shared-cache warning of the run on stderr (with `-v`, the logger shows every
/// one as a `shared_cache.bypass` event instead).
fn warn(w: Warning) {
    if verbosity() == 0 && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!("processcreds: warning: {w}");
    }
}

/// Fetches once, printing the first shared-cache warning on stderr.
fn fetch(p: &ProcessProvider) -> Result<Fetched, Error> {
    p.fetch_observed(Duration::ZERO, None, &mut warn)
}

fn cmd_cache(m: &ArgMatches) -> ExitCode {
    let prog = match required_program(m) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let p = match provider_for(prog) {
        Ok(p) => p,
        Err(e) => return failed(&e),
    };
    apply_options(&p, m, Duration::from_secs(15 * 60));
    p.update_options(|o| o.shared_cache = SharedCacheMode::User);
    p.set_shared_cache_key(m.get_one::<String>("cache-key").map(String::as_str));
    let names: Vec<&String> = m
        .get_many::<String>("key-env")
        .into_iter()
        .flatten()
        .collect();
    if let Err(e) = p.set_shared_cache_env(&names) {
        return usage(e.to_string());
    }
    // A valid entry: served at once (no lock, no worker).
    if let Some(f) = p.peek_shared(&mut warn) {
        println!("{}", print::process_json(&f.credentials));
        return ExitCode::SUCCESS;
    }
    supervise::run(|| match fetch(&p) {
        Ok(f) => {
            println!("{}", print::process_json(&f.credentials));
            ExitCode::SUCCESS
        }
        Err(e) => failed(&e),
    })
}

fn cmd_get(m: &ArgMatches) -> ExitCode {
    supervise::run(|| {
        let (_p, f) = match fetch_source(m) {
            Ok(pf) => pf,
            Err(code) => return code,
        };
        match m.get_one::<String>("format").map(String::as_str) {
            Some("env") => print!("{}", print::env_lines(&f.credentials)),
            _ => println!("{}", print::process_json(&f.credentials)),
        }
        ExitCode::SUCCESS
    })
}

fn cmd_exec(m: &ArgMatches) -> ExitCode {
    let (p, f) = match fetch_source(m) {
        Ok(pf) => pf,
        Err(code) => return code,
    };
    let mut args = m.get_many::<OsString>("cmd").into_iter().flatten();
    let Some(prog) = args.next() else {
        return usage("a command is required after --".into());
    };
    let mut cmd = std::process::Command::new(prog);
    cmd.args(args);
    for (name, value) in print::variables(&f.credentials) {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    drop(f);
    drop(p);
    run_command(cmd, prog)
}

/// The command could not be run: 127 when it was not found, else 126 (as a shell does).
fn cannot_run(prog: &std::ffi::OsStr, err: &std::io::Error) -> ExitCode {
    eprintln!("processcreds: cannot run {}: {err}", prog.to_string_lossy());
    ExitCode::from(if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    })
}

/// Replaces this process with the command (POSIX): its exit status (or signal) is ours.
#[cfg(unix)]
fn run_command(mut cmd: std::process::Command, prog: &std::ffi::OsStr) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    cannot_run(prog, &err)
}

/// Runs the command and exits with its status (where a process cannot be replaced).
#[cfg(not(unix))]
fn run_command(mut cmd: std::process::Command, prog: &std::ffi::OsStr) -> ExitCode {
    match cmd.status() {
        Ok(st) => ExitCode::from(st.code().unwrap_or(1) as u8),
        Err(err) => cannot_run(prog, &err),
    }
}

fn cmd_check(m: &ArgMatches) -> ExitCode {
    let prog = match required_program(m) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let timeout = m
        .get_one::<Duration>("timeout")
        .copied()
        .unwrap_or(processcreds::DEFAULT_TIMEOUT);
    ExitCode::from(check::run(&prog, timeout) as u8)
}

/// The command's entry point on POSIX systems, called by the C runtime (see start.rs).
#[cfg(all(unix, not(test)))]
#[no_mangle]
// The C runtime's entry point: its pointers are the runtime's argv, trusted as C trusts them.
#[allow(clippy::not_unsafe_ptr_arg_deref)]
pub extern "C" fn main(argc: libc::c_int, argv: *const *const libc::c_char) -> libc::c_int {
    start::prepare();
    // SAFETY: the C runtime's argc and argv: argc NUL-terminated strings.
    let args = unsafe { start::args(argc, argv) };
    std::process::exit(i32::from(run(args).0))
}

#[cfg(any(not(unix), test))]
#[allow(dead_code)]
fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(run(std::env::args_os().collect()).0)
}

/// Runs the command line `args` (the program's name first).
fn run(args: Vec<OsString>) -> ExitCode {
    let first = args.get(1).and_then(|a| a.to_str());
    let m = match cli_for(first.filter(|f| SUBCOMMANDS.contains(f))).try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            // --help and --version exit 0 on stdout; usage errors exit 2 on stderr.
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let v = m.subcommand().map_or(0, |(_, s)| s.get_count("verbose"));
    VERBOSITY.store(v, std::sync::atomic::Ordering::Relaxed);
    match m.subcommand() {
        Some(("cache", s)) => cmd_cache(s),
        Some(("get", s)) => cmd_get(s),
        Some(("exec", s)) => cmd_exec(s),
        Some(("check", s)) => cmd_check(s),
        Some(("clear", s)) => clear::run(s),
        _ => usage("unknown command".into()),
    }
}
