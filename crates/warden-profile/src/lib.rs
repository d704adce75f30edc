//! warden-profile
