//! `warden trust`: create and evolve the threshold-signed trust-root chain.
//!
//! Every change appends a new version to the chain file, signed by the keys given
//! with `--sign-with`: a threshold of the current root keys and a threshold of the new
//! version's own. The file always holds every version so that endpoints several
//! versions behind can catch up.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::json;
use warden_trust::keyfile;
use warden_trust::keys::{KeyId, SigningKey, VerifyingKey};
use warden_trust::{MAX_TRUST_CHAIN_BYTES, RootError, Timestamp, TrustChain, TrustRoot};

use super::keygen::key_file_error;
use super::verify::{Format, parse_time, read_capped};
use crate::CliError;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum TrustCommand {
    /// Create a trust-root chain holding version 1
    Init(InitArgs),
    /// Sign the next version with a policy signer added (or its entry replaced)
    AddSigner(AddSignerArgs),
    /// Sign the next version with a policy signer removed and revoked
    Revoke(RevokeArgs),
    /// Sign the next version with a new set of root keys
    Rotate(RotateArgs),
    /// Sign the next version resetting the serial endpoints accepted for a profile
    /// (recovery after a stolen signing key signed a too-high serial)
    ResetSerial(ResetSerialArgs),
    /// Verify a trust-root chain and print every version
    Show(ShowArgs),
}

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Where to write the chain (`trust-root.json`)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// A root key (public or private PEM; only the public half is recorded); repeat
    #[arg(long = "root-key", value_name = "FILE", required = true)]
    root_keys: Vec<PathBuf>,
    /// How many distinct root keys must sign each version
    #[arg(long, value_name = "N")]
    root_threshold: u32,
    /// How many distinct policy signers must sign each bundle
    #[arg(long, value_name = "N", default_value_t = 1)]
    policy_threshold: u32,
    /// When version 1 expires (RFC 3339 UTC)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    expires: Timestamp,
    /// A root private key that signs version 1; repeat to reach the threshold
    #[arg(long = "sign-with", value_name = "FILE", required = true)]
    sign_with: Vec<PathBuf>,
    /// Replace an existing file
    #[arg(long)]
    force: bool,
}

/// What every command that signs a next version takes.
#[derive(Debug, clap::Args)]
pub(crate) struct NextArgs {
    /// The chain file to extend in place
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// A root private key that signs the new version; repeat to reach the thresholds
    #[arg(long = "sign-with", value_name = "FILE", required = true)]
    sign_with: Vec<PathBuf>,
    /// When the new version expires (default: the current version's expiry)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    expires: Option<Timestamp>,
    /// Change how many distinct policy signers must sign each bundle
    #[arg(long, value_name = "N")]
    policy_threshold: Option<u32>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct AddSignerArgs {
    #[command(flatten)]
    next: NextArgs,
    /// The signer's key (public or private PEM)
    #[arg(long, value_name = "FILE")]
    signer: PathBuf,
    /// When the signer's authorization ends (RFC 3339 UTC)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    signer_expires: Timestamp,
    /// A profile id the signer may sign; repeat for several (default: every profile)
    #[arg(long = "profile", value_name = "ID")]
    profiles: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RevokeArgs {
    #[command(flatten)]
    next: NextArgs,
    /// The key id of the signer to revoke
    #[arg(long, value_name = "ID")]
    key_id: String,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RotateArgs {
    #[command(flatten)]
    next: NextArgs,
    /// A root key of the new version (public or private PEM); repeat
    #[arg(long = "root-key", value_name = "FILE", required = true)]
    root_keys: Vec<PathBuf>,
    /// How many distinct new root keys must sign each version
    #[arg(long, value_name = "N")]
    root_threshold: u32,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ResetSerialArgs {
    #[command(flatten)]
    next: NextArgs,
    /// The profile whose accepted serial endpoints replace
    #[arg(long, value_name = "ID")]
    profile: String,
    /// The serial that replaces it: the next bundle must be above it (at most
    /// 4294967295, what every delivery channel carries)
    #[arg(long, value_name = "N")]
    serial: u32,
    /// Also revoke this policy signer in the same version (the stolen key); repeat
    #[arg(long = "revoke", value_name = "ID")]
    revoke: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    /// The chain file
    #[arg(long, value_name = "FILE")]
    trust: PathBuf,
    /// Judge expiry as of this RFC 3339 UTC time instead of the clock
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Timestamp>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(crate) fn run(cmd: &TrustCommand) -> Result<ExitCode, CliError> {
    match cmd {
        TrustCommand::Init(args) => init(args),
        TrustCommand::AddSigner(args) => add_signer(args),
        TrustCommand::Revoke(args) => revoke(args),
        TrustCommand::Rotate(args) => rotate(args),
        TrustCommand::ResetSerial(args) => reset_serial(args),
        TrustCommand::Show(args) => show(args),
    }
}

fn public_keys(paths: &[PathBuf]) -> Result<Vec<VerifyingKey>, CliError> {
    let keys = paths
        .iter()
        .map(|p| keyfile::read_public_key(p).map_err(key_file_error))
        .collect::<Result<Vec<_>, _>>()?;
    let distinct: BTreeSet<KeyId> = keys.iter().map(KeyId::of).collect();
    if distinct.len() != keys.len() {
        return Err(CliError::usage("the same root key is given more than once"));
    }
    Ok(keys)
}

fn signing_keys(paths: &[PathBuf]) -> Result<Vec<SigningKey>, CliError> {
    paths
        .iter()
        .map(|p| keyfile::read_signing_key(p).map_err(key_file_error))
        .collect()
}

fn root_error(err: RootError) -> CliError {
    CliError::failed("cannot sign the trust root", err)
}

fn write_chain(path: &Path, chain: &TrustChain, overwrite: bool) -> Result<(), CliError> {
    keyfile::write_file(path, &chain.to_json(), 0o644, overwrite).map_err(key_file_error)
}

fn init(args: &InitArgs) -> Result<ExitCode, CliError> {
    let roots = public_keys(&args.root_keys)?;
    let signers = signing_keys(&args.sign_with)?;
    let refs: Vec<&SigningKey> = signers.iter().collect();
    let root = TrustRoot::initial(
        &roots,
        args.root_threshold,
        args.policy_threshold,
        args.expires,
    )
    .map_err(root_error)?;
    let chain = TrustChain::create(&root, &refs, Timestamp::now()).map_err(root_error)?;
    write_chain(&args.out, &chain, args.force)?;
    outln!(
        "wrote trust root version 1 to {} ({} of {} root keys must sign)",
        args.out.display(),
        args.root_threshold,
        roots.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// Load the chain, let `edit` change the next version, sign it and write the file.
fn extend(
    next: &NextArgs,
    edit: impl FnOnce(&mut TrustRoot) -> Result<(), CliError>,
) -> Result<u64, CliError> {
    let bytes = read_capped(&next.trust, MAX_TRUST_CHAIN_BYTES)?;
    let mut chain = TrustChain::from_json(&bytes)
        .map_err(|e| CliError::failed("cannot read the trust chain", e))?;
    let versions = chain
        .versions()
        .map_err(|e| CliError::failed("the trust chain does not verify", e))?;
    let Some(latest) = versions.last() else {
        return Err(CliError::usage("the trust chain is empty"));
    };
    let mut root = latest.next_version();
    if let Some(expires) = next.expires {
        root.expires = expires;
    }
    if let Some(threshold) = next.policy_threshold {
        root.policy_threshold = threshold;
    }
    edit(&mut root)?;
    let signers = signing_keys(&next.sign_with)?;
    let refs: Vec<&SigningKey> = signers.iter().collect();
    chain
        .extend(&root, &refs, Timestamp::now())
        .map_err(root_error)?;
    write_chain(&next.trust, &chain, true)?;
    Ok(root.version)
}

fn add_signer(args: &AddSignerArgs) -> Result<ExitCode, CliError> {
    let key = keyfile::read_public_key(&args.signer).map_err(key_file_error)?;
    let profiles = (!args.profiles.is_empty()).then(|| args.profiles.iter().cloned().collect());
    let mut id = None;
    let version = extend(&args.next, |root| {
        id = Some(
            root.add_signer(key, args.signer_expires, profiles)
                .map_err(root_error)?,
        );
        Ok(())
    })?;
    if let Some(id) = id {
        outln!("added policy signer {id}");
    }
    outln!(
        "wrote trust root version {version} to {}",
        args.next.trust.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn revoke(args: &RevokeArgs) -> Result<ExitCode, CliError> {
    let id = KeyId::parse(&args.key_id).map_err(|e| CliError::usage(e.to_string()))?;
    let version = extend(&args.next, |root| root.revoke(&id).map_err(root_error))?;
    outln!("revoked {id}");
    outln!(
        "wrote trust root version {version} to {}",
        args.next.trust.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn rotate(args: &RotateArgs) -> Result<ExitCode, CliError> {
    let keys = public_keys(&args.root_keys)?;
    let version = extend(&args.next, |root| {
        root.set_root_keys(&keys, args.root_threshold);
        Ok(())
    })?;
    outln!(
        "wrote trust root version {version} to {} ({} of {} new root keys must sign)",
        args.next.trust.display(),
        args.root_threshold,
        keys.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn reset_serial(args: &ResetSerialArgs) -> Result<ExitCode, CliError> {
    let revoked = args
        .revoke
        .iter()
        .map(|id| KeyId::parse(id).map_err(|e| CliError::usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    if args.profile.is_empty() {
        return Err(CliError::usage("--profile must name a profile id"));
    }
    let version = extend(&args.next, |root| {
        for id in &revoked {
            root.revoke(id).map_err(root_error)?;
        }
        root.serial_resets
            .insert(args.profile.clone(), u64::from(args.serial));
        Ok(())
    })?;
    for id in &revoked {
        outln!("revoked {id}");
    }
    outln!(
        "endpoints of profile `{}` that accept version {version} replace their accepted serial with {}; sign the next bundle with a serial above it",
        args.profile,
        args.serial
    );
    outln!(
        "wrote trust root version {version} to {}",
        args.next.trust.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show(args: &ShowArgs) -> Result<ExitCode, CliError> {
    let bytes = read_capped(&args.trust, MAX_TRUST_CHAIN_BYTES)?;
    let now = args.now.unwrap_or_else(Timestamp::now);
    let versions = match TrustChain::from_json(&bytes).and_then(|chain| chain.versions()) {
        Ok(versions) => versions,
        Err(refusal) => {
            match args.format {
                Format::Text => outln!("refused [{}]: {refusal}", refusal.code()),
                Format::Json => outln!(
                    "{:#}",
                    json!({"version": 1, "valid": false,
                           "reason": {"code": refusal.code(), "message": refusal.to_string()}})
                ),
            }
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(newest) = versions.last() {
        if newest.expires <= now {
            eprintln!(
                "warning: trust root version {} expired at {}; endpoints refuse every bundle until a new version is signed",
                newest.version, newest.expires
            );
        } else if let Some(warning) =
            warden_trust::verify::trust_root_warning(newest.version, newest.expires, now)
        {
            eprintln!("warning: {warning}");
        }
    }
    match args.format {
        Format::Text => print_text(&args.trust, &versions),
        Format::Json => outln!(
            "{:#}",
            json!({"version": 1, "valid": true, "trust_roots": versions})
        ),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_text(path: &Path, versions: &[TrustRoot]) {
    outln!(
        "trust chain {}: {} version(s), newest {}",
        path.display(),
        versions.len(),
        versions.last().map_or(0, |r| r.version)
    );
    for root in versions {
        outln!();
        outln!("version {}", root.version);
        outln!("  expires: {}", root.expires);
        outln!(
            "  root keys ({} of {} must sign):",
            root.root_threshold,
            root.root_keys.len()
        );
        for id in root.root_keys.keys() {
            outln!("    {id}");
        }
        outln!(
            "  policy signers ({} must sign each bundle):",
            root.policy_threshold
        );
        if root.signers.is_empty() {
            outln!("    none");
        }
        for (id, signer) in &root.signers {
            let profiles = signer.profiles.as_ref().map_or_else(
                || "every profile".to_owned(),
                |p| p.iter().cloned().collect::<Vec<_>>().join(", "),
            );
            outln!("    {id}  expires {}  profiles: {profiles}", signer.expires);
        }
        for (profile, serial) in &root.serial_resets {
            outln!("  serial reset: profile {profile} to {serial}");
        }
        if root.revoked.is_empty() {
            outln!("  revoked: none");
        } else {
            outln!("  revoked:");
            for id in &root.revoked {
                outln!("    {id}");
            }
        }
    }
}
