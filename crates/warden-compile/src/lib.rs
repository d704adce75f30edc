//! warden-compile
