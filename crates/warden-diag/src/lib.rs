//! warden-diag
