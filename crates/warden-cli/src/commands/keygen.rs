//! `warden keygen`: create an Ed25519 signing key as PKCS#8 PEM that OpenSSL reads.

use std::path::PathBuf;
use std::process::ExitCode;

use warden_trust::keyfile::{self, KeyFileError};
use warden_trust::keys::{self, KeyId};

use crate::CliError;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Where to write the private key (created with mode 0600)
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Also write the public key (SPKI PEM) here
    #[arg(long, value_name = "FILE")]
    public: Option<PathBuf>,
    /// Replace existing files
    #[arg(long)]
    force: bool,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    if args.public.as_ref() == Some(&args.out) {
        return Err(CliError::usage(
            "--out and --public must name different files",
        ));
    }
    let key = keys::generate_signing_key();
    keyfile::write_signing_key(&args.out, &key, args.force).map_err(key_file_error)?;
    if let Some(public) = &args.public {
        keyfile::write_public_key(public, &key.verifying_key(), args.force)
            .map_err(key_file_error)?;
    }
    outln!("key id: {}", KeyId::of(&key.verifying_key()));
    outln!("private key: {}", args.out.display());
    if let Some(public) = &args.public {
        outln!("public key: {}", public.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Key-file failures: I/O stays an I/O error, the rest are usage errors (exit 2 either
/// way) with the library's message.
pub(crate) fn key_file_error(err: KeyFileError) -> CliError {
    match err {
        KeyFileError::Io { path, source } => CliError::io(&path, source),
        KeyFileError::Exists { .. } => CliError::usage(err.to_string()),
        other => CliError::failed("cannot use key file", other),
    }
}
