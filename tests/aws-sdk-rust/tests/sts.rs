//! `processcreds::aws_sdk::Provider` with the real AWS SDK for Rust: STS GetCallerIdentity
//! against a moto server that checks every request's SigV4 signature (see src/lib.rs).
//!
//! The runtime is tokio's single-threaded one (`#[tokio::test]`): a provider that blocked the
//! executor while its helper runs would also stall the SDK's own timers.

use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_sts::error::DisplayErrorContext;
use aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityOutput;
use processcreds::aws_sdk::Provider;
use processcreds::ProcessProvider;
use processcreds_aws_sdk_tests::{moto, TempDir, ACCOUNT, REGION};

type StsError = aws_sdk_sts::error::SdkError<
    aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError,
>;

/// GetCallerIdentity with the SDK's credentials from `provider`; `load_timeout` replaces the
/// identity cache's default load timeout.
async fn who_am_i(
    provider: Provider,
    load_timeout: Option<Duration>,
) -> Result<GetCallerIdentityOutput, StsError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&moto().endpoint)
        .credentials_provider(provider);
    if let Some(t) = load_timeout {
        loader = loader.identity_cache(IdentityCache::lazy().load_timeout(t).build());
    }
    let config = loader.load().await;
    aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
}

fn arn(r: Result<GetCallerIdentityOutput, StsError>) -> String {
    match r {
        Ok(out) => {
            assert_eq!(out.account(), Some(ACCOUNT));
            out.arn().unwrap_or_default().to_owned()
        }
        Err(e) => panic!("GetCallerIdentity failed: {}", DisplayErrorContext(&e)),
    }
}

/// The error code of moto's 403 answer. (moto wraps STS errors in an `<Errors>` element that
/// the SDK's parser does not look into, so the code is read from the raw response.)
fn refused(r: Result<GetCallerIdentityOutput, StsError>) -> String {
    let e = match r {
        Ok(out) => panic!("accepted: {:?}", out.arn()),
        Err(e) => e,
    };
    let raw = e
        .raw_response()
        .unwrap_or_else(|| panic!("no answer from moto: {}", DisplayErrorContext(&e)));
    assert_eq!(raw.status().as_u16(), 403, "{}", DisplayErrorContext(&e));
    let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
    body.split("<Code>")
        .nth(1)
        .and_then(|rest| rest.split("</Code>").next())
        .unwrap_or_else(|| panic!("no <Code> in {body}"))
        .to_owned()
}

#[tokio::test]
async fn an_iam_users_key_signs_requests() {
    let m = moto();
    let dir = TempDir::new("user");
    let p = Provider::new(ProcessProvider::new(m.user.helper(&dir.count_run())));
    assert_eq!(arn(who_am_i(p.clone(), None).await), m.user.arn);
    // The SDK's credentials came from the helper, with its AccountId.
    let cached = p.process_provider().cached().expect("cached");
    assert_eq!(cached.access_key_id(), m.user.access_key_id);
    assert_eq!(cached.account_id(), Some(ACCOUNT));
    // A second client on the same provider: the cached credentials, no second run.
    assert_eq!(arn(who_am_i(p, None).await), m.user.arn);
    assert_eq!(dir.runs(), 1);
}

#[tokio::test]
async fn temporary_credentials_carry_their_session_token() {
    let m = moto();
    let p = Provider::new(ProcessProvider::new(m.role.helper("")));
    assert_eq!(arn(who_am_i(p, None).await), m.role.arn);

    // Without the token moto cannot tell the credentials apart from a user's, and refuses them.
    let mut no_token = m.role.clone();
    no_token.session_token = None;
    let p = Provider::new(ProcessProvider::new(no_token.helper("")));
    assert_eq!(refused(who_am_i(p, None).await), "InvalidClientTokenId");
}

#[tokio::test]
async fn a_wrong_secret_is_refused() {
    let m = moto();
    let mut wrong = m.user.clone();
    // One character changed (a secret moto made may start with "x" itself).
    let first = if wrong.secret_access_key.starts_with('x') {
        'y'
    } else {
        'x'
    };
    wrong.secret_access_key = format!("{first}{}", &wrong.secret_access_key[1..]);
    let p = Provider::new(ProcessProvider::new(wrong.helper("")));
    assert_eq!(refused(who_am_i(p, None).await), "SignatureDoesNotMatch");

    let mut unknown = m.user.clone();
    unknown.access_key_id = "AKIAUNKNOWNKEY000000".into();
    let p = Provider::new(ProcessProvider::new(unknown.helper("")));
    assert_eq!(refused(who_am_i(p, None).await), "InvalidClientTokenId");
}

#[tokio::test]
async fn a_failing_helper_reaches_the_caller_with_gos_text() {
    let p = Provider::new(ProcessProvider::new(
        "echo 'MFA device not found' >&2; exit 3",
    ));
    p.process_provider()
        .update_options(|o| o.stderr = processcreds::StderrMode::Capture);
    let e = who_am_i(p, None).await.expect_err("no credentials");
    let text = DisplayErrorContext(&e).to_string();
    assert!(
        text.contains(
            "ProcessProviderExecutionError: error in credential_process\ncaused by: exit status 3\nstderr: MFA device not found"
        ),
        "{text}"
    );
}

/// smithy-rs#2086: the SDK bounds how long a credentials provider may take, whatever the
/// provider's own timeout: 5 s up to aws-smithy-runtime 1.12, and since 1.13 a bound derived from
/// the retry and connect-timeout settings (about 21.6 s with the defaults). A helper taking 8 s
/// fails under the old 5 s and succeeds once the identity cache's load timeout is raised, as the
/// README says.
#[tokio::test]
async fn a_slow_helper_succeeds_with_a_raised_load_timeout() {
    let m = moto();
    let dir = TempDir::new("raised");
    let slow = format!("{}sleep 8; ", dir.count_run());

    let p = Provider::new(ProcessProvider::new(m.user.helper(&slow)));
    assert_eq!(
        arn(who_am_i(p, Some(Duration::from_secs(60))).await),
        m.user.arn
    );
    assert_eq!(dir.runs(), 1);
}

#[tokio::test]
async fn a_slow_helper_fails_under_a_5s_load_timeout() {
    let m = moto();
    let dir = TempDir::new("five");
    let slow = format!("{}sleep 8; ", dir.count_run());

    let p = Provider::new(ProcessProvider::new(m.user.helper(&slow)));
    let e = who_am_i(p.clone(), Some(Duration::from_secs(5)))
        .await
        .expect_err("5 s < 8 s");
    let text = DisplayErrorContext(&e).to_string();
    assert!(
        text.contains("identity resolver timed out after 5s"),
        "{text}"
    );

    // The run went on: its credentials are cached when it ends, and the next request uses them.
    p.process_provider()
        .retrieve()
        .expect("the run's credentials");
    assert_eq!(arn(who_am_i(p, None).await), m.user.arn);
    assert_eq!(dir.runs(), 1);
}

/// The SDK version this crate is tested with waits longer than 8 s by default (see above).
#[tokio::test]
async fn a_slow_helper_fits_the_current_default_load_timeout() {
    let m = moto();
    let dir = TempDir::new("default");
    let slow = format!("{}sleep 8; ", dir.count_run());

    let p = Provider::new(ProcessProvider::new(m.user.helper(&slow)));
    assert_eq!(arn(who_am_i(p, None).await), m.user.arn);
    assert_eq!(dir.runs(), 1);
}

/// examples/rust_sdk.rs, as built by `cargo test`, run against moto.
#[test]
fn the_example_runs() {
    let m = moto();
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .join("examples/rust_sdk");
    let out = std::process::Command::new(&example)
        .arg(m.user.helper(""))
        .env("AWS_ENDPOINT_URL", &m.endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), format!("{} (account {ACCOUNT})", m.user.arn));
}
