#![no_main]
//! The profile loader on arbitrary TOML bytes: findings, never a panic.

#[path = "profile_common.rs"]
mod profile_common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    profile_common::run("fuzz-profile.toml", data);
});
