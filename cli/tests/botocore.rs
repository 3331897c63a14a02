//! The `processcreds` command with real botocore (from PyPI; `make test-shared` runs it with
//! the Python of build/venv-python, or set PC_PYTHON to a Python with botocore):
//! - 20 separate Python processes, each with a botocore Session whose profile has
//!   `credential_process = processcreds cache -- <helper>`, run the helper once;
//! - what `check` says botocore makes of each pitfall's output is what botocore does with it.

#[path = "../../tests/shared_support/mod.rs"]
mod shared_support;

mod check_fixtures;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use check_fixtures::check_fixtures;
use shared_support::*;

const BIN: &str = env!("CARGO_BIN_EXE_processcreds");

fn python() -> String {
    let py = std::env::var("PC_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import botocore"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{py} cannot import botocore: run `make test-shared` (it makes a virtualenv with \
         botocore) or set PC_PYTHON to a Python that has it"
    );
    py
}

/// A Python process for the world: no AWS variables from this environment.
fn py(w: &World, script: &str) -> Command {
    let mut c = Command::new(python());
    c.args(["-c", script])
        .env("PROCESSCREDS_CACHE_DIR", &w.cache)
        .env("PCT_COUNT", &w.count)
        .env("PCT_EXP", in_an_hour());
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            c.env_remove(k);
        }
    }
    c
}

const SESSION: &str = r#"
import os, sys
import botocore.session
# Ready, then wait for the start signal (one byte each).
with open(os.environ["PCT_READY"], "wb") as f:
    f.write(b"r")
assert os.read(0, 1) == b"g"
s = botocore.session.Session(profile="shared")
c = s.get_credentials().get_frozen_credentials()
print(c.access_key + "|" + c.secret_key + "|" + (c.token or ""))
"#;

#[test]
fn twenty_botocore_processes_run_the_helper_once() {
    let w = World::new("boto20");
    let config = w.root.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile shared]\ncredential_process = {BIN} cache -- {}\n",
            w.helper.display()
        ),
    )
    .unwrap();
    let ready = w.root.join("ready");
    let c = std::ffi::CString::new(ready.to_str().unwrap()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // Opened read-write, so that it never reports end of file while the clients start.
    let mut ready_r = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&ready)
        .unwrap();
    let (reader, mut writer) = pipe();
    let children: Vec<_> = (0..20)
        .map(|_| {
            py(&w, SESSION)
                .env("PCT_SLEEP", "0.3")
                .env("PCT_READY", &ready)
                .env("AWS_CONFIG_FILE", &config)
                .env("AWS_SHARED_CREDENTIALS_FILE", w.root.join("no-credentials"))
                .stdin(Stdio::from(reader.try_clone().unwrap()))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    drop(reader);
    // Every process has imported botocore: release them at once.
    let mut got = [0u8; 20];
    ready_r.read_exact(&mut got).unwrap();
    writer.write_all(&[b'g'; 20]).unwrap();
    drop(writer);
    let outs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8(o.stdout).unwrap()
        })
        .collect();
    assert_eq!(w.runs(), 1, "20 botocore processes ran the helper once");
    let first = &outs[0];
    assert!(first.starts_with("AKIDRUN1|s3cr3t-"), "{first}");
    assert!(first.trim_end().ends_with("|tok-1"));
    for o in &outs {
        assert_eq!(o, first);
    }
}

/// Loads each helper's credentials with botocore's own ProcessProvider, freezes them and signs
/// a request with them: "accepts" when all of that works.
const VERDICTS: &str = r#"
import json, sys
import botocore.credentials as bc
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
out = []
for cmd in json.loads(sys.argv[1]):
    try:
        p = bc.ProcessProvider("p", lambda cmd=cmd: {"profiles": {"p": {"credential_process": cmd}}})
        f = p.load().get_frozen_credentials()
        req = AWSRequest(method="GET", url="https://sts.amazonaws.com/", headers={})
        SigV4Auth(f, "sts", "us-east-1").add_auth(req)
        out.append("accepts")
    except Exception as e:
        out.append("rejects: " + type(e).__name__ + ": " + str(e)[:200])
print(json.dumps(out))
"#;

#[test]
fn check_tells_what_botocore_does() {
    let w = World::new("boto-check");
    let fixtures = check_fixtures();
    let helpers: Vec<PathBuf> = fixtures
        .iter()
        .map(|(name, body, ..)| {
            let data = w.root.join(format!("{name}.out"));
            std::fs::write(&data, body).unwrap();
            let helper = w.root.join(format!("{name}.sh"));
            write_executable(&helper, format!("#!/bin/sh\ncat '{}'\n", data.display()));
            helper
        })
        .collect();
    let list: Vec<String> = helpers.iter().map(|h| h.display().to_string()).collect();
    let out = py(&w, VERDICTS)
        .arg(serde_json::to_string(&list).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let real: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    for (((name, ..), helper), real) in fixtures.iter().zip(&helpers).zip(&real) {
        let report = Command::new(BIN)
            .args(["check", "--"])
            .arg(helper)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&report.stdout).into_owned();
        let said = report
            .lines()
            .find_map(|l| l.strip_prefix("botocore: "))
            .unwrap_or_else(|| panic!("{name}: no botocore line:\n{report}"));
        assert_eq!(
            said.starts_with("accepts"),
            real.starts_with("accepts"),
            "{name}: check says botocore {said:?}, botocore says {real:?}"
        );
    }
}
