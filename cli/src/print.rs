//! How credentials are printed: a `credential_process` JSON object, shell `export` lines, and
//! the environment of `exec`.

use processcreds::time::format_rfc3339;
use processcreds::Credentials;

/// One `credential_process` JSON object (`Version` first), with `SessionToken`, `Expiration`
/// (RFC 3339, UTC, whole seconds rounded down) and `AccountId` when present.
pub fn process_json(c: &Credentials) -> String {
    let s = |v: &str| serde_json::to_string(v).unwrap_or_default();
    let mut out = format!(
        "{{\"Version\":1,\"AccessKeyId\":{},\"SecretAccessKey\":{}",
        s(c.access_key_id()),
        s(c.secret_access_key())
    );
    if !c.session_token().is_empty() {
        out.push_str(&format!(",\"SessionToken\":{}", s(c.session_token())));
    }
    if let Some(t) = c.expiration() {
        out.push_str(&format!(",\"Expiration\":{}", s(&format_rfc3339(t))));
    }
    if let Some(a) = c.account_id() {
        out.push_str(&format!(",\"AccountId\":{}", s(a)));
    }
    out.push('}');
    out
}

/// The variables `exec` sets (`None`: removed).
pub fn variables(c: &Credentials) -> [(&'static str, Option<String>); 4] {
    let non_empty = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    [
        ("AWS_ACCESS_KEY_ID", Some(c.access_key_id().to_owned())),
        (
            "AWS_SECRET_ACCESS_KEY",
            Some(c.secret_access_key().to_owned()),
        ),
        ("AWS_SESSION_TOKEN", non_empty(c.session_token())),
        (
            "AWS_CREDENTIAL_EXPIRATION",
            c.expiration().map(format_rfc3339),
        ),
    ]
}

/// `export NAME='value'` lines (and `unset NAME` for an absent value), safe to `eval` in a
/// POSIX shell whatever the values hold.
pub fn env_lines(c: &Credentials) -> String {
    let mut out = String::new();
    for (name, value) in variables(c) {
        match value {
            Some(v) => out.push_str(&format!("export {name}={}\n", shell_quote(&v))),
            None => out.push_str(&format!("unset {name}\n")),
        }
    }
    out
}

/// Single-quoted for a POSIX shell: `'` becomes `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("a'b$c\"d"), "'a'\\''b$c\"d'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn json_object() {
        let c = Credentials::new(
            "AK",
            "s\"e\\c",
            "",
            None,
            processcreds::CredentialsSource::Process,
            None,
        );
        assert_eq!(
            process_json(&c),
            r#"{"Version":1,"AccessKeyId":"AK","SecretAccessKey":"s\"e\\c"}"#
        );
    }
}
