//! warden-registry
