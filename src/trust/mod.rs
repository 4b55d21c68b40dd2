//! Verified work: whether a worker ran the model it named, at the settings asked for, on the
//! prompt it was sent.
//!
//! Owns: judging a claimed answer from the model's own view of it ([`check`]), the proofs it
//! makes ([`proof`]), workers' records ([`spot`]) and known answers for challenges
//! ([`challenge`]). Must not touch: the engine's scheduling (a check scores on a context of its
//! own), the network, the ledger.

pub mod challenge;
#[cfg(feature = "fault-injection")]
pub mod cheat;
pub mod check;
pub mod proof;
pub mod speed;
pub mod spot;
#[cfg(feature = "fault-injection")]
pub mod stand_in;
