//! Test support: a local moto server (an AWS API emulator) that checks SigV4 signatures, with an
//! IAM user's access key and an assumed role's temporary credentials made in it.
//!
//! `MOTO_SERVER` names moto's `moto_server` program (`make test-rust-sdk` installs it into a
//! virtualenv under build/). The server is started once per test binary and stops when the binary
//! exits, however it exits (a shell holding the server's pid kills it when the pipe from this
//! process closes).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Credentials made in moto.
#[derive(Clone)]
pub struct Keys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// What GetCallerIdentity must answer for these credentials.
    pub arn: String,
}

impl Keys {
    /// A `credential_process` command printing these credentials (with `AccountId`), after
    /// `before` (shell commands, e.g. a sleep) when given.
    pub fn helper(&self, before: &str) -> String {
        let mut json = format!(
            r#"{{"Version":1,"AccessKeyId":"{}","SecretAccessKey":"{}","AccountId":"{ACCOUNT}""#,
            self.access_key_id, self.secret_access_key
        );
        if let Some(t) = &self.session_token {
            json.push_str(&format!(r#","SessionToken":"{t}""#));
        }
        json.push('}');
        format!("{before}printf '%s' '{json}'")
    }
}

/// moto's default account.
pub const ACCOUNT: &str = "123456789012";
/// The region every request names.
pub const REGION: &str = "us-east-1";

pub struct Moto {
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
    /// An IAM user's long-term access key (no session token).
    pub user: Keys,
    /// Temporary credentials of an assumed role (with a session token).
    pub role: Keys,
    port: u16,
    _keeper: Mutex<Child>,
}

/// The server shared by the tests of this binary, started at the first call.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

impl Moto {
    fn start() -> Moto {
        let server = std::env::var_os("MOTO_SERVER").expect(
            "MOTO_SERVER must name moto's moto_server program (`make test-rust-sdk` installs it)",
        );
        // The shell starts the server, then waits for its stdin to close (this process exits)
        // and kills it.
        let mut keeper = Command::new("sh")
            .arg("-c")
            .arg(r#""$0" -H 127.0.0.1 -p 0 </dev/null & pid=$!; read _ignored; kill $pid"#)
            .arg(server)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start moto_server");
        // werkzeug prints ` * Running on http://127.0.0.1:<port>` once it listens, then a line per
        // request: read until the port shows, then keep draining in the background.
        let mut stderr = BufReader::new(keeper.stderr.take().unwrap());
        let mut seen = String::new();
        let port = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("moto_server exited before listening; its output:\n{seen}");
            }
            if let Some(rest) = line.split("Running on http://127.0.0.1:").nth(1) {
                break rest
                    .trim()
                    .parse::<u16>()
                    .unwrap_or_else(|_| panic!("no port in {line:?}"));
            }
            seen.push_str(&line);
        };
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));

        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            user: Keys {
                access_key_id: String::new(),
                secret_access_key: String::new(),
                session_token: None,
                arn: String::new(),
            },
            role: Keys {
                access_key_id: String::new(),
                secret_access_key: String::new(),
                session_token: None,
                arn: String::new(),
            },
            port,
            _keeper: Mutex::new(keeper),
        };

        // Made while moto does not yet check requests (these are not signed).
        moto.call("iam", &[("Action", "CreateUser"), ("UserName", "pc-user")]);
        let key = moto.call(
            "iam",
            &[("Action", "CreateAccessKey"), ("UserName", "pc-user")],
        );
        moto.user = Keys {
            access_key_id: xml(&key, "AccessKeyId"),
            secret_access_key: xml(&key, "SecretAccessKey"),
            session_token: None,
            arn: format!("arn:aws:iam::{ACCOUNT}:user/pc-user"),
        };
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        moto.call(
            "iam",
            &[
                ("Action", "CreateRole"),
                ("RoleName", "pc-role"),
                ("AssumeRolePolicyDocument", &trust),
            ],
        );
        let assumed = moto.call(
            "sts",
            &[
                ("Action", "AssumeRole"),
                ("RoleArn", &format!("arn:aws:iam::{ACCOUNT}:role/pc-role")),
                ("RoleSessionName", "pc-session"),
            ],
        );
        moto.role = Keys {
            access_key_id: xml(&assumed, "AccessKeyId"),
            secret_access_key: xml(&assumed, "SecretAccessKey"),
            session_token: Some(xml(&assumed, "SessionToken")),
            arn: format!("arn:aws:sts::{ACCOUNT}:assumed-role/pc-role/pc-session"),
        };

        // From now on every request must be signed with a key moto knows, and the signature
        // must match (INITIAL_NO_AUTH_ACTION_COUNT = 0).
        let (status, body) = moto.http("/moto-api/reset-auth", "text/plain", "", "0");
        assert_eq!(status, 200, "reset-auth: {body}");
        moto
    }

    /// An unsigned AWS Query API call (accepted only before authentication is enforced); returns
    /// the response body.
    fn call(&self, service: &str, params: &[(&str, &str)]) -> String {
        let version = if service == "iam" {
            "2010-05-08"
        } else {
            "2011-06-15"
        };
        let mut body = format!("Version={version}");
        for (k, v) in params {
            body.push_str(&format!("&{k}={}", form_encode(v)));
        }
        // moto picks the service from the credential scope of the Authorization header.
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/{REGION}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let (status, response) = self.http(
            "/",
            "application/x-www-form-urlencoded; charset=utf-8",
            &auth,
            &body,
        );
        assert_eq!(status, 200, "{service} {params:?}: {response}");
        response
    }

    /// A POST over HTTP/1.1; returns the status and the body.
    fn http(&self, path: &str, content_type: &str, auth: &str, body: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let auth = if auth.is_empty() {
            String::new()
        } else {
            format!("Authorization: {auth}\r\n")
        };
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n{auth}Connection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).expect("read moto's answer");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"));
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        (status, body)
    }
}

/// The text of the first `<tag>` element.
fn xml(doc: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = doc
        .find(&open)
        .unwrap_or_else(|| panic!("no <{tag}> in moto's answer"))
        + open.len();
    let end = doc[start..].find('<').unwrap() + start;
    doc[start..end].to_owned()
}

/// `application/x-www-form-urlencoded` value encoding.
fn form_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A temporary directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("pc-sdk-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// A shell command that appends a line to this directory's `runs` file, followed by `; `.
    pub fn count_run(&self) -> String {
        format!("echo run >> '{}/runs'; ", self.0.display())
    }

    /// How many times the helper ran.
    pub fn runs(&self) -> usize {
        std::fs::read_to_string(self.0.join("runs"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
