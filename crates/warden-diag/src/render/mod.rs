//! Renderers: one finding model, four output formats.

mod github;
mod human;
mod json;
mod sarif;

pub use github::github;
pub use human::{HumanOptions, human};
pub use json::{JSON_SCHEMA_ID, json};
pub use sarif::{ToolInfo, sarif};
