//! Benchmarks only; see `benches/pipeline.rs` and `BENCHMARKS.md`.
