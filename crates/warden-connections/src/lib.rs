//! warden-connections
