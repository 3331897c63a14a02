//! botocore 1.44.18: `credentials.ProcessProvider` (the provider of a profile's
//! `credential_process`), then what a client does before each request: `get_frozen_credentials()`
//! (which refreshes credentials that expire within 15 minutes, runs the helper again, and raises
//! when the refreshed credentials are still expired) and SigV4 signing (`auth.SigV4Auth`).
//! "Accepts" means all of that works. Line numbers are those of botocore 1.44.18.

use processcreds::time::UnixTime;

use super::dateutil::{self, Local, Parsed};
use super::pyjson::{self, Py};
use super::Rule;

/// What botocore makes of the output, step by step (a step is `None` when an earlier one failed).
pub struct View {
    decoded: Result<String, String>,
    parsed: Option<Result<Py, String>>,
    expiry: Option<Result<Parsed, String>>,
    now: UnixTime,
}

impl View {
    pub fn new(raw: &[u8], now: UnixTime) -> View {
        let decoded = std::str::from_utf8(raw).map(str::to_owned).map_err(|e| {
            format!(
                "UnicodeDecodeError: invalid UTF-8 at byte {}",
                e.valid_up_to()
            )
        });
        let parsed = decoded.as_ref().ok().map(|t| pyjson::loads(t));
        let expiry = match &parsed {
            Some(Ok(p)) => match p.get("Expiration") {
                None | Some(Py::None) => None,
                Some(Py::Str(s)) => Some(dateutil::parse(&s.0, &Local::at(now))),
                Some(other) => Some(Err(format!(
                    "TypeError: Parser must be a string or character stream, not {}",
                    other.type_name()
                ))),
            },
            _ => None,
        };
        View {
            decoded,
            parsed,
            expiry,
            now,
        }
    }

    /// The parsed output, when it is a JSON object.
    pub fn object(&self) -> Option<&Py> {
        match &self.parsed {
            Some(Ok(p @ Py::Dict(_))) => Some(p),
            _ => None,
        }
    }

    /// The Expiration as botocore reads it: `None` without one; `Err` when it fails.
    pub fn expiration(&self) -> Option<&Result<Parsed, String>> {
        self.expiry.as_ref()
    }

    fn field(&self, k: &str) -> Option<&Py> {
        self.object().and_then(|o| o.get(k))
    }
}

fn decoded(v: &View) -> Result<(), String> {
    v.decoded.as_ref().map(|_| ()).map_err(Clone::clone)
}

fn json(v: &View) -> Result<(), String> {
    match &v.parsed {
        Some(Err(e)) => Err(e.clone()),
        _ => Ok(()),
    }
}

fn object(v: &View) -> Result<(), String> {
    match &v.parsed {
        Some(Ok(Py::Dict(_))) | None => Ok(()),
        Some(Ok(p)) => Err(format!(
            "AttributeError: '{}' object has no attribute 'get' (the output is not a JSON object)",
            p.type_name()
        )),
        Some(Err(_)) => Ok(()),
    }
}

fn version(v: &View) -> Result<(), String> {
    match v.field("Version") {
        Some(p) if p.equals_one() => Ok(()),
        Some(_) => Err(
            "CredentialRetrievalError: Unsupported version (it compares Version == 1; \
                        1, 1.0 and true pass)"
                .into(),
        ),
        None => Err(
            "CredentialRetrievalError: Unsupported version: no \"Version\" key \
                     (the exact spelling)"
                .into(),
        ),
    }
}

fn required(v: &View) -> Result<(), String> {
    for k in ["AccessKeyId", "SecretAccessKey"] {
        if v.field(k).is_none() {
            return Err(format!(
                "CredentialRetrievalError: Missing required key in response: '{k}' (the exact \
                 spelling)"
            ));
        }
    }
    Ok(())
}

fn expiration_read(v: &View) -> Result<(), String> {
    match &v.expiry {
        Some(Err(e)) => Err(format!("the Expiration: {e}")),
        _ => Ok(()),
    }
}

fn expiration_zone(v: &View) -> Result<(), String> {
    match &v.expiry {
        Some(Ok(Parsed::Naive)) => Err("the Expiration has no time zone dateutil knows: \
                                        TypeError: can't subtract offset-naive and \
                                        offset-aware datetimes"
            .into()),
        Some(Ok(Parsed::Aware { offset, .. })) if offset.abs() >= 86_400 => Err(
            "the Expiration's UTC offset is not strictly within ±24 hours: ValueError: offset \
             must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24)"
                .into(),
        ),
        _ => Ok(()),
    }
}

fn not_expired(v: &View) -> Result<(), String> {
    match &v.expiry {
        Some(Ok(Parsed::Aware { at, .. })) if *at < v.now => Err(
            "the credentials are expired: RuntimeError: Credentials were refreshed, but the \
             refreshed credentials are still expired."
                .into(),
        ),
        _ => Ok(()),
    }
}

fn access_key_str(v: &View) -> Result<(), String> {
    match v.field("AccessKeyId") {
        Some(Py::Str(_)) | None => Ok(()),
        Some(p) => Err(format!(
            "AccessKeyId is {}, not a string: signing raises TypeError: sequence item 0: \
             expected str instance, {} found",
            p.kind(),
            p.type_name()
        )),
    }
}

fn token_header(v: &View) -> Result<(), String> {
    match v.field("SessionToken") {
        Some(Py::Str(s)) if s.has_surrogate() => Err(
            "SessionToken holds a lone surrogate escape: signing raises AttributeError (the \
             header value cannot be encoded)"
                .into(),
        ),
        Some(p @ (Py::Bool(_) | Py::Int(_) | Py::Float(_) | Py::List(_) | Py::Dict(_)))
            if p.truthy() =>
        {
            Err(format!(
                "SessionToken is {}, not a string: signing raises AttributeError: '{}' object \
                 has no attribute 'split'",
                p.kind(),
                p.type_name()
            ))
        }
        _ => Ok(()),
    }
}

fn secret_encodable(v: &View) -> Result<(), String> {
    match v.field("SecretAccessKey") {
        Some(Py::Str(s)) if s.has_surrogate() => Err(
            "SecretAccessKey holds a lone surrogate escape: signing raises UnicodeEncodeError"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// botocore's steps, in the order it takes them.
pub const RULES: [Rule<View>; 11] = [
    Rule {
        models: "the output is decoded as strict UTF-8",
        source: "botocore/credentials.py:1124 (ProcessProvider._retrieve_credentials_using: \
                 stdout.decode('utf-8'))",
        check: decoded,
    },
    Rule {
        models: "json.loads: NaN/Infinity taken, lone surrogate escapes kept, a BOM refused, \
                 the last of duplicate keys wins",
        source: "botocore/credentials.py:1124 (botocore.compat.json.loads)",
        check: json,
    },
    Rule {
        models: "the value must be a JSON object",
        source: "botocore/credentials.py:1125 (parsed.get)",
        check: object,
    },
    Rule {
        models: "Version == 1 in Python (1, 1.0, 1e0 and true pass), key spelled exactly",
        source: "botocore/credentials.py:1125-1133",
        check: version,
    },
    Rule {
        models: "AccessKeyId and SecretAccessKey present, spelled exactly, any value",
        source: "botocore/credentials.py:1134-1146",
        check: required,
    },
    Rule {
        models: "a non-null Expiration makes refreshable credentials, read by \
                 dateutil.parser.parse",
        source: "botocore/credentials.py:1097-1102 and 637-639 \
                 (RefreshableCredentials._expiry_datetime)",
        check: expiration_read,
    },
    Rule {
        models: "the Expiration is compared with the aware current time: a naive time or an \
                 offset of 24 hours or more raises",
        source: "botocore/credentials.py:525-527 (_seconds_remaining)",
        check: expiration_zone,
    },
    Rule {
        models: "within 15 minutes of expiry the helper runs again (blocking within 10); \
                 still expired credentials raise",
        source: "botocore/credentials.py:567-635 (_refresh, _protected_refresh)",
        check: not_expired,
    },
    Rule {
        models: "SigV4 joins the AccessKeyId into the credential scope: it must be a string",
        source: "botocore/auth.py:393-399 (SigV4Auth.scope)",
        check: access_key_str,
    },
    Rule {
        models: "a truthy SessionToken becomes X-Amz-Security-Token, whose value is split: a \
                 string (without a lone surrogate); a falsy one ({} [] 0 false \"\") is no token",
        source: "botocore/auth.py:463-466 and 305-327 (_modify_request_before_signing, \
                 canonical_headers)",
        check: token_header,
    },
    Rule {
        models: "the signing key is f\"AWS4{SecretAccessKey}\".encode(): any value Python can \
                 print, but no lone surrogate",
        source: "botocore/auth.py:421-424 (SigV4Auth.signature)",
        check: secret_encodable,
    },
];

pub fn verdict(v: &View) -> Result<(), String> {
    super::first_failure(&RULES, v)
}
