//! `warden explain PROFILE --enforcement`: the enforcement map of a profile (text, JSON
//! `warden.enforcement/v1`, or Markdown for a pull-request comment).

use std::io::Write as _;
use std::process::ExitCode;

use warden_profile::ResolvedProfile;

use super::explain::ExplainFormat;
use crate::CliError;

pub(crate) fn run(profile: &ResolvedProfile, format: ExplainFormat) -> Result<ExitCode, CliError> {
    let cx = warden_compile::Context::new(profile)
        .map_err(|e| CliError::failed("cannot compile the profile", e))?;
    let map = warden_compile::enforcement::map(&cx)
        .map_err(|e| CliError::failed("cannot build the enforcement map", e))?;
    let text = match format {
        ExplainFormat::Text => map.text(),
        ExplainFormat::Markdown => map.markdown(),
        ExplainFormat::Json => {
            let mut s = serde_json::to_string_pretty(&map).expect("the map serializes");
            s.push('\n');
            s
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    Ok(ExitCode::SUCCESS)
}
