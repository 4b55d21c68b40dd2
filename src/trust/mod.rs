//! Verified work: whether a worker ran the model it named, at the settings asked for, on the
//! prompt it was sent.
//!
//! Owns: judging a claimed answer from the model's own view of it ([`check`]). Must not touch:
//! the engine's scheduling (a check scores on a context of its own), the network, the ledger.

#[cfg(feature = "fault-injection")]
pub mod cheat;
pub mod check;
pub mod proof;
pub mod speed;
pub mod spot;
