//! Admission: the cost a new identity pays before its chain holds any credits. The starter
//! grant (seq 0) carries the solution of a memory-hard puzzle over the owner's key and the
//! network's name: a nonce for which Argon2id (8 MiB, one pass) of
//! `"LLPA" 02 | owner[32] | network str | nonce u64` starts with `bits` zero bits. Solving takes
//! about `2^bits` evaluations; checking takes one (a few milliseconds). Memory-hard, so a GPU or
//! an ASIC gains far less over a CPU than it would on a plain hash, and bound to the key and the
//! network, so one solution admits one identity on one network.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};

use crate::ids::NodeId;

/// Memory of one evaluation, in KiB.
pub const MEMORY_KIB: u32 = 8 * 1024;
const MAGIC: &[u8; 4] = b"LLPA";
const SALT: &[u8] = b"llp-admission-v2";
/// The most difficulty a network may ask (about 2^32 evaluations already takes years).
pub const MAX_BITS: u8 = 32;

/// A solved admission puzzle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Admission {
    pub network: String,
    /// The difficulty it was solved at.
    pub bits: u8,
    pub nonce: u64,
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, 1, 1, Some(32)).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The memory of one evaluation, reused across a solver's evaluations.
fn memory() -> Vec<argon2::Block> {
    vec![argon2::Block::default(); MEMORY_KIB as usize]
}

/// The puzzle's work for one nonce.
fn work(
    a: &Argon2<'_>,
    mem: &mut [argon2::Block],
    owner: &NodeId,
    network: &str,
    nonce: u64,
) -> [u8; 32] {
    let mut input = Vec::with_capacity(4 + 1 + 32 + 1 + network.len() + 8);
    input.extend_from_slice(MAGIC);
    input.push(super::FORMAT);
    input.extend_from_slice(owner.as_bytes());
    super::put_str(&mut input, network);
    input.extend_from_slice(&nonce.to_be_bytes());
    let mut out = [0u8; 32];
    a.hash_password_into_with_memory(&input, SALT, &mut out, mem)
        .expect("Argon2 with fixed parameters");
    out
}

fn leading_zero_bits(h: &[u8; 32]) -> u32 {
    let mut n = 0;
    for b in h {
        if *b == 0 {
            n += 8;
        } else {
            return n + b.leading_zeros();
        }
    }
    n
}

impl Admission {
    /// Solves the puzzle for `owner` on `network` at `bits`, on `threads` threads, calling
    /// `progress(evaluations)` now and then. Blocking: about `2^bits` evaluations.
    pub fn solve(
        owner: &NodeId,
        network: &str,
        bits: u8,
        threads: usize,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Admission {
        let found = AtomicU64::new(u64::MAX);
        let done = AtomicBool::new(false);
        let tried = AtomicU64::new(0);
        let threads = threads.max(1) as u64;
        std::thread::scope(|s| {
            for start in 0..threads {
                let (found, done, tried) = (&found, &done, &tried);
                s.spawn(move || {
                    let a = hasher();
                    let mut mem = memory();
                    let mut nonce = start;
                    while !done.load(Ordering::Relaxed) {
                        let h = work(&a, &mut mem, owner, network, nonce);
                        if leading_zero_bits(&h) >= bits as u32 {
                            found.fetch_min(nonce, Ordering::SeqCst);
                            done.store(true, Ordering::SeqCst);
                            return;
                        }
                        let n = tried.fetch_add(1, Ordering::Relaxed) + 1;
                        if n.is_multiple_of(1024) {
                            progress(n);
                        }
                        nonce += threads;
                    }
                });
            }
        });
        Admission {
            network: network.to_string(),
            bits,
            nonce: found.load(Ordering::SeqCst),
        }
    }

    /// Checks the solution for `owner` (one evaluation): it must meet the difficulty it states.
    pub fn check(&self, owner: &NodeId) -> Result<(), String> {
        if self.bits > MAX_BITS {
            return Err(format!("claims {} bits of admission work", self.bits));
        }
        let h = work(&hasher(), &mut memory(), owner, &self.network, self.nonce);
        if leading_zero_bits(&h) < self.bits as u32 {
            return Err(format!(
                "its admission puzzle is not solved (nonce {} does not give {} zero bits on network \
                 `{}`)",
                self.nonce, self.bits, self.network
            ));
        }
        Ok(())
    }

    /// Evaluations per second on `threads` threads, measured over about `n` evaluations (for
    /// the benchmark). Blocking.
    pub fn rate(threads: usize, n: u64) -> f64 {
        let owner = NodeId::from(&iroh::SecretKey::generate());
        let tried = AtomicU64::new(0);
        let started = std::time::Instant::now();
        std::thread::scope(|s| {
            for t in 0..threads.max(1) as u64 {
                let (tried, owner) = (&tried, &owner);
                s.spawn(move || {
                    let a = hasher();
                    let mut mem = memory();
                    let mut nonce = t << 32;
                    while tried.fetch_add(1, Ordering::Relaxed) < n {
                        std::hint::black_box(work(&a, &mut mem, owner, "rate", nonce));
                        nonce += 1;
                    }
                });
            }
        });
        n as f64 / started.elapsed().as_secs_f64()
    }

    /// Expected evaluations to solve at `bits`.
    pub fn expected_work(bits: u8) -> f64 {
        2f64.powi(bits as i32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solution_checks_for_its_key_and_network_only() {
        let owner = NodeId::from(&iroh::SecretKey::generate());
        let a = Admission::solve(&owner, "net", 6, 2, &|_| {});
        a.check(&owner).unwrap();
        // Another key or network: a 1-in-64 chance of passing by luck, so try a few.
        let fails = (0..4)
            .filter(|i| {
                let mut b = a.clone();
                b.network = format!("net{i}");
                b.check(&owner).is_err()
            })
            .count();
        assert!(fails >= 3, "a solution moved to another network");
        let others = (0..4)
            .filter(|_| {
                a.check(&NodeId::from(&iroh::SecretKey::generate()))
                    .is_err()
            })
            .count();
        assert!(others >= 3, "a solution admitted another key");
        let mut harder = a.clone();
        harder.bits = 40;
        assert!(harder.check(&owner).unwrap_err().contains("40 bits"));
    }
}
