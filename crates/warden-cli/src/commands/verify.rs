//! `warden verify`: check a signed policy bundle against a trust-root chain exactly as
//! the endpoint agent does. Exit 0 valid, 1 refused (one reason), 2 usage or I/O.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};
use warden_trust::{
    MAX_BUNDLE_BYTES, MAX_TRUST_CHAIN_BYTES, Timestamp, TrustChain, VerifiedBundle, VerifyError,
    VerifyOptions, Warning, time, verify_bundle, verify_chain,
};

use crate::CliError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The signed bundle (a DSSE envelope)
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The trust-root chain (`trust-root.json`); its version 1 is the anchor
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Verify as of this RFC 3339 UTC time instead of the clock
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Refuse a bundle whose serial is not above N (the last serial accepted)
    #[arg(long, value_name = "N")]
    min_serial: Option<u64>,
    /// Require the bundle to be for this profile id
    #[arg(long, value_name = "ID")]
    profile: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn parse_time(text: &str) -> Result<Timestamp, String> {
    time::parse_utc(text).map_err(|e| e.to_string())
}

/// Read at most `max + 1` bytes so an oversized file is refused by the verifier's cap
/// without being read whole.
pub(crate) fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, CliError> {
    let file = std::fs::File::open(path).map_err(|e| CliError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::io(path, e))?;
    Ok(bytes)
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let chain_bytes = read_capped(&args.trust, MAX_TRUST_CHAIN_BYTES)?;
    let bundle_bytes = read_capped(&args.bundle, MAX_BUNDLE_BYTES)?;
    let now = args.now.unwrap_or_else(Timestamp::now);
    let options = VerifyOptions {
        min_serial: args.min_serial,
        profile_id: args.profile.clone(),
        ..VerifyOptions::at(now)
    };
    let verdict = TrustChain::from_json(&chain_bytes)
        .and_then(|chain| verify_chain(&chain, None, now))
        .and_then(|root| {
            verify_bundle::<Value>(&bundle_bytes, &root, &options).map(|b| (root.version(), b))
        });
    match verdict {
        Ok((root_version, bundle)) => {
            for warning in &bundle.warnings {
                eprintln!("warning: {warning}");
            }
            match args.format {
                Format::Text => print_valid_text(root_version, &bundle),
                Format::Json => print_json(&valid_json(root_version, &bundle)),
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            match args.format {
                Format::Text => outln!("refused [{}]: {refusal}", refusal.code()),
                Format::Json => print_json(&refused_json(&refusal)),
            }
            Ok(ExitCode::from(1))
        }
    }
}

fn print_valid_text(root_version: u64, bundle: &VerifiedBundle<Value>) {
    let s = &bundle.statement;
    outln!("valid: profile `{}`, serial {}", s.profile_id, s.serial);
    outln!("  not before: {}", s.not_before);
    outln!("  expires:    {}", s.expires);
    outln!(
        "  trust root: version {} (bundle signed under version {})",
        root_version,
        s.trust_root_version
    );
    for signer in &bundle.signers {
        outln!("  signed by:  {signer}");
    }
    for (name, digest) in &s.manifest {
        outln!(
            "  artifact:   {name} ({} bytes, sha256 {})",
            digest.size,
            digest.sha256
        );
    }
}

fn warning_json(warning: &Warning) -> Value {
    json!({"code": warning.code(), "message": warning.to_string()})
}

fn valid_json(root_version: u64, bundle: &VerifiedBundle<Value>) -> Value {
    let s = &bundle.statement;
    json!({
        "version": 1,
        "valid": true,
        "profile_id": s.profile_id,
        "serial": s.serial,
        "not_before": s.not_before.to_string(),
        "expires": s.expires.to_string(),
        "trust_root_version": root_version,
        "signed_under_trust_root_version": s.trust_root_version,
        "signers": bundle.signers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "artifacts": s.manifest,
        "warnings": bundle.warnings.iter().map(warning_json).collect::<Vec<_>>(),
    })
}

fn refused_json(refusal: &VerifyError) -> Value {
    json!({
        "version": 1,
        "valid": false,
        "reason": {"code": refusal.code(), "message": refusal.to_string()},
    })
}

fn print_json(value: &Value) {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}
