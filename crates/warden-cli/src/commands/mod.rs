//! One module per `warden` subcommand.

pub(crate) mod compile;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod init;
pub(crate) mod keygen;
pub(crate) mod schema;
pub(crate) mod test;
pub(crate) mod trust;
pub(crate) mod validate;
pub(crate) mod verify;
