//! Shared config: resolves a profile's `credential_process` (or static keys) as aws-sdk-go v1's
//! `aws/session` does. (Being written.)
