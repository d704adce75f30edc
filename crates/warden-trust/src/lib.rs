//! warden-trust
