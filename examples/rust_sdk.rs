//! The AWS SDK for Rust with its credentials from a `credential_process` helper run by
//! processcreds: prints the caller's identity (STS GetCallerIdentity).
//!
//! ```sh
//! cargo run --manifest-path tests/aws-sdk-rust/Cargo.toml --example rust_sdk -- \
//!     'my-credential-helper --profile prod'
//! ```
//!
//! Needs `processcreds` with the feature `aws-sdk`, `aws-config`, `aws-sdk-sts` and `tokio`
//! (built by `make test-rust-sdk`). The region and the endpoint come from the SDK's usual
//! settings (`AWS_REGION`, `AWS_ENDPOINT_URL`, the config file).

use std::time::Duration;

use aws_config::identity::IdentityCache;
use aws_config::BehaviorVersion;
use aws_sdk_sts::error::DisplayErrorContext;
use processcreds::aws_sdk::Provider;
use processcreds::ProcessProvider;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let command = std::env::args()
        .nth(1)
        .ok_or("usage: rust_sdk '<credential_process command>'")?;

    let helper = ProcessProvider::new(command);
    // The helper may take up to a minute (an MFA prompt, a browser login)...
    helper.update_options(|o| o.timeout = Duration::from_secs(60));

    let config = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Provider::new(helper))
        // ...so the SDK must wait that long too: by default it gives up after 5 s (up to
        // aws-smithy-runtime 1.12) or about 21.6 s (since 1.13; smithy-rs#2086).
        .identity_cache(
            IdentityCache::lazy()
                .load_timeout(Duration::from_secs(65))
                .build(),
        )
        .load()
        .await;

    let sts = aws_sdk_sts::Client::new(&config);
    let me = match sts.get_caller_identity().send().await {
        Ok(me) => me,
        Err(e) => {
            // The whole chain: a helper's failure shows its Go error text.
            eprintln!("rust_sdk: {}", DisplayErrorContext(&e));
            std::process::exit(1);
        }
    };
    println!(
        "{} (account {})",
        me.arn().unwrap_or("?"),
        me.account().unwrap_or("?")
    );
    Ok(())
}
