//! The one place where `warden` turns failures into messages and exit codes.
//!
//! Exit codes (published in `docs/exit-codes.md`):
//! - 0: success, no error-level finding
//! - 1: error-level findings, failed tests, a refused bundle, or `--fail-on-loosen` tripped
//! - 2: usage error, unreadable input, or an internal error

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// A failure that stops a command before it can produce its normal report.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The command line or its inputs do not make sense.
    Usage(String),
    /// Reading or writing a file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A library reported an error that ends the command.
    Failed {
        context: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl CliError {
    pub(crate) fn usage(msg: impl Into<String>) -> Self {
        Self::Usage(msg.into())
    }

    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn failed(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Failed {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Print the error to stderr and return the exit code for it.
    pub(crate) fn report(&self) -> ExitCode {
        eprintln!("error: {self}");
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            eprintln!("  caused by: {cause}");
            source = cause.source();
        }
        ExitCode::from(2)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(msg) => f.write_str(msg),
            Self::Io { path, .. } => write!(f, "cannot access `{}`", path.display()),
            Self::Failed { context, .. } => f.write_str(context),
        }
    }
}

impl std::error::Error for CliError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Usage(_) => None,
            Self::Io { source, .. } => Some(source),
            Self::Failed { source, .. } => Some(source.as_ref()),
        }
    }
}
