//! The INI reader for the shared config and credentials files, following aws-sdk-go v1's
//! `internal/ini` rules, with quotes never special. (Being written.)
