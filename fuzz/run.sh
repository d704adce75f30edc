#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a fixed time from its committed seeds
# (plus the vendored real-world connection files, tests/fixtures/connections/corpus/).
# Fails on any crash; libFuzzer leaves the input in fuzz/artifacts/<target>/, which
# becomes a regression seed in fuzz/seeds/<target>/.
#   fuzz/run.sh [SECONDS_PER_TARGET]   (default 30)
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP=1 enables them on the pinned
# stable toolchain, which is the only one our machines have.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-30}"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
cargo fuzz build -O
for target in $(cargo fuzz list); do
    corpus="corpus/$target"
    mkdir -p "$corpus"
    cp -n seeds/"$target"/* "$corpus"/ 2>/dev/null || true
    if [ "$target" = connection_files ]; then
        cp -n ../tests/fixtures/connections/corpus/*.toml "$corpus"/ 2>/dev/null || true
    fi
    echo "=== fuzz $target for ${secs}s"
    cargo fuzz run -O "$target" "$corpus" -- -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 2>&1 \
        | grep -E '^(#[0-9]+ +DONE|Done|==[0-9]+==|SUMMARY|INFO: Running with|artifact_prefix|Test unit written)' || true
    if [ -n "$(ls -A artifacts/"$target" 2>/dev/null)" ]; then
        echo "fuzz: $target crashed; inputs in fuzz/artifacts/$target/" >&2
        exit 1
    fi
done
