//! Runs each helper named on stdin (one `name<TAB>command` a line) through aws-config's
//! `CredentialProcessProvider` (the provider of a profile's `credential_process`), then signs a
//! request with the credentials as aws-runtime's SigV4 signer does (`aws_sigv4::http_request::
//! sign`, then the signing instructions applied to the request, whose header values the SDK
//! unwraps). Prints one `aws-sdk-rust<TAB>name<TAB>accepts` or `…<TAB>rejects: why` line a helper.
//!
//! The SDK's identity cache (aws-smithy-runtime 1.16.2 `LazyCache`, `lazy.rs:459-500`) hands out
//! what the provider returned even when its expiry has passed, so an expired Expiration is not a
//! rejection here either.

use std::io::BufRead;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::SystemTime;

use aws_config::credential_process::CredentialProcessProvider;
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

fn signs(creds: Credentials) -> Result<(), String> {
    let identity: Identity = creds.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("sts")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("signing parameters: {e}"))?;
    let mut request = http::Request::builder()
        .method("POST")
        .uri("https://sts.us-east-1.amazonaws.com/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"Action=GetCallerIdentity&Version=2011-06-15".to_vec())
        .map_err(|e| e.to_string())?;
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let signable = SignableRequest::new(
        "POST",
        request.uri().to_string(),
        headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(request.body()),
    )
    .map_err(|e| format!("signing: {e}"))?;
    let (instructions, _) = sign(signable, &params.into())
        .map_err(|e| format!("signing: {e}"))?
        .into_parts();
    // aws-runtime's apply_signing_instructions unwraps each header value, as this does.
    catch_unwind(AssertUnwindSafe(|| {
        instructions.apply_to_request_http1x(&mut request)
    }))
    .map_err(|_| "signing panics (a header value the SDK unwraps is invalid)".to_string())
}

fn main() {
    // The panic of a case is its verdict: no message on stderr.
    std::panic::set_hook(Box::new(|_| {}));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    for line in std::io::stdin().lock().lines() {
        let line = line.expect("stdin");
        let Some((name, command)) = line.split_once('\t') else {
            continue;
        };
        let provider = CredentialProcessProvider::new(command.to_owned());
        let verdict = match rt.block_on(provider.provide_credentials()) {
            Ok(creds) => signs(creds),
            Err(e) => Err(chain(&e)),
        };
        match verdict {
            Ok(()) => println!("aws-sdk-rust\t{name}\taccepts"),
            Err(why) => println!(
                "aws-sdk-rust\t{name}\trejects: {}",
                why.replace(['\n', '\t'], " ")
            ),
        }
    }
}

/// The error and its sources in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}
