//! The network's credit policy: the starter grant, the price of work, and whether requesters
//! without credits are served on idle capacity.
//!
//! `credits = ceil(2 × parameters × tokens × size_factor × quant_factor / (gflops_per_credit × 10⁹))`
//! where `tokens` counts the prompt and the generated tokens. Every node of a network must use
//! the same policy: the handshake compares [`Policy::id`] and refuses a node whose policy differs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Set in the config file's `[credits]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Credits a new node starts with, once it has paid its admission.
    pub starter_grant: u64,
    /// The admission puzzle's difficulty: a new identity does about `2^admission_bits`
    /// evaluations of Argon2id (8 MiB) before its grant counts (see `chain::admission`).
    pub admission_bits: u8,
    /// Billions of (difficulty-weighted) floating-point operations one credit buys.
    pub gflops_per_credit: f64,
    /// Serve requesters who cannot pay when a slot is idle (they pay nothing, and the worker
    /// earns nothing).
    pub free_when_idle: bool,
    /// Difficulty by model size: the first tier whose `up_to_billion` covers the model.
    pub size: Vec<SizeTier>,
    /// Difficulty by quantization (lower-case name); a name not listed counts 1.0.
    pub quant: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizeTier {
    pub up_to_billion: f64,
    pub factor: f64,
}

impl Default for Policy {
    fn default() -> Self {
        let quant = [
            ("f32", 1.0),
            ("f16", 1.0),
            ("bf16", 1.0),
            ("q8_0", 0.9),
            ("q6_k", 0.85),
            ("q5_k_m", 0.8),
            ("q5_k_s", 0.8),
            ("q5_0", 0.8),
            ("q5_1", 0.8),
            ("q4_k_m", 0.75),
            ("q4_k_s", 0.75),
            ("q4_0", 0.75),
            ("q4_1", 0.75),
            ("q3_k_m", 0.7),
            ("q3_k_s", 0.7),
            ("q3_k_l", 0.7),
            ("q2_k", 0.65),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Policy {
            // Against this machine's earning rate: see the README's Credits section.
            starter_grant: 1_000,
            admission_bits: 15,
            gflops_per_credit: 1.0,
            free_when_idle: true,
            size: vec![
                SizeTier {
                    up_to_billion: 3.0,
                    factor: 1.0,
                },
                SizeTier {
                    up_to_billion: 15.0,
                    factor: 1.25,
                },
                SizeTier {
                    up_to_billion: f64::MAX,
                    factor: 1.5,
                },
            ],
            quant,
        }
    }
}

impl Policy {
    /// Checks the numbers; the message names the bad key.
    pub fn check(&self) -> Result<(), String> {
        let ok = |x: f64| x.is_finite() && x > 0.0;
        if self.admission_bits > super::chain::admission::MAX_BITS {
            return Err(format!(
                "credits.admission_bits must be at most {}",
                super::chain::admission::MAX_BITS
            ));
        }
        if !ok(self.gflops_per_credit) {
            return Err("credits.gflops_per_credit must be a positive number".into());
        }
        if self.size.is_empty()
            || self
                .size
                .iter()
                .any(|t| !ok(t.factor) || t.up_to_billion.is_nan() || t.up_to_billion <= 0.0)
        {
            return Err(
                "credits.size must list tiers with positive `up_to_billion` and `factor`".into(),
            );
        }
        if let Some((k, _)) = self.quant.iter().find(|(_, v)| !ok(**v)) {
            return Err(format!("credits.quant.{k} must be a positive number"));
        }
        Ok(())
    }

    /// The difficulty factor of a model of `parameters` in quantization `quant`.
    pub fn difficulty(&self, parameters: u64, quant: &str) -> f64 {
        let b = parameters as f64 / 1e9;
        let size = self
            .size
            .iter()
            .find(|t| b <= t.up_to_billion)
            .or(self.size.last())
            .map_or(1.0, |t| t.factor);
        size * self
            .quant
            .get(&quant.to_ascii_lowercase())
            .copied()
            .unwrap_or(1.0)
    }

    /// The price of `tokens` tokens (prompt and generated) on a model.
    pub fn price(&self, parameters: u64, quant: &str, tokens: u64) -> u64 {
        let flops = 2.0 * parameters as f64 * tokens as f64 * self.difficulty(parameters, quant);
        let c = (flops / (self.gflops_per_credit * 1e9)).ceil();
        if c >= u64::MAX as f64 {
            u64::MAX
        } else {
            c as u64
        }
    }

    /// The most generated tokens `budget` pays for after `prompt` tokens (0 if not even one).
    pub fn affordable(&self, parameters: u64, quant: &str, prompt: u64, budget: u64) -> u64 {
        if self.price(parameters, quant, prompt + 1) > budget {
            return 0;
        }
        // The price grows with tokens: binary search the last affordable count.
        let (mut lo, mut hi) = (1u64, 1u64 << 32);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if self.price(parameters, quant, prompt + mid) <= budget {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }

    /// The prompt tokens a job is billed for, by a rule both sides compute from the request
    /// alone (a requester has no tokenizer for a model it does not run, and a worker's own count
    /// could be padded): a token per 4 bytes of content, 8 per message for the chat template,
    /// 32 for the model's own preamble, and the continuation's tokens after a failover; never
    /// more than the model's context.
    pub fn billed_prompt(bytes: usize, messages: usize, continuation: usize, context: u32) -> u32 {
        let n = bytes.div_ceil(4) as u64 + 8 * messages as u64 + 32 + continuation as u64;
        n.min(context as u64) as u32
    }

    /// [`Policy::billed_prompt`] of a job's prompt. An embedding job's inputs are billed each on
    /// its own (each within the context, as each is read alone), their sum uncapped: a
    /// thousand inputs are a thousand prompts' work.
    pub fn billed(prompt: &crate::job::Prompt, continuation: usize, context: u32) -> u32 {
        match prompt {
            crate::job::Prompt::Embed(inputs) => inputs
                .iter()
                .map(|t| u64::from(Self::billed_prompt(t.len(), 1, 0, context)))
                .sum::<u64>()
                .min(u64::from(u32::MAX)) as u32,
            p => {
                let (bytes, messages) = p.size();
                Self::billed_prompt(bytes, messages, continuation, context)
            }
        }
    }

    /// A short fingerprint of the policy: nodes of one network must agree on it.
    pub fn id(&self) -> String {
        let json = serde_json::to_vec(self).expect("policy serializes");
        blake3::hash(&json).to_hex()[..16].to_string()
    }

    /// A short fingerprint of the policy and of the catalog's pricing facts (each model's
    /// parameters and context): what the handshake compares, so that every node of a network
    /// prices a receipt alike and no honest node records a spend an honest auditor rejects.
    pub fn pricing_id(
        &self,
        models: &std::collections::HashMap<String, super::ModelFacts>,
    ) -> String {
        let mut h = blake3::Hasher::new();
        h.update(&serde_json::to_vec(self).expect("policy serializes"));
        let mut names: Vec<_> = models.iter().collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        for (name, f) in names {
            h.update(name.as_bytes());
            h.update(&[0]);
            h.update(&f.parameters.to_be_bytes());
            h.update(&f.context.to_be_bytes());
        }
        h.finalize().to_hex()[..16].to_string()
    }
}

/// A pipeline stage's receipt names its slice in its quantization: `q4_1@0-15/30` is layers
/// 0 to 15 of a model of 30, in `q4_1`. Returns the quantization and the slice, if it names
/// one that is well formed.
pub fn stage_slice(quant: &str) -> Option<(&str, u32, u32, u32)> {
    let (q, slice) = quant.split_once('@')?;
    let (range, n) = slice.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, n): (u32, u32, u32) = (a.parse().ok()?, b.parse().ok()?, n.parse().ok()?);
    (a < b && b <= n && n <= MAX_LAYERS).then_some((q, a, b, n))
}

/// The most layers a stage's slice may say its model has.
pub const MAX_LAYERS: u32 = 4096;

/// The quantization a stage's receipt carries ([`stage_slice`]).
pub fn stage_quant(quant: &str, layers: std::ops::Range<u32>, of: u32) -> String {
    format!("{quant}@{}-{}/{of}", layers.start, layers.end)
}

/// A stage's share of `price`: layers `a..b` of `n`. The shares of stages that cover the
/// model's layers add up to `price` exactly (each is the difference of two rounded cuts), so a
/// pipelined job costs what the same job costs on one node.
pub fn stage_share(price: u64, a: u32, b: u32, n: u32) -> u64 {
    let cut = |k: u32| (u128::from(price) * u128::from(k) / u128::from(n.max(1))) as u64;
    cut(b).saturating_sub(cut(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_follow_the_formula() {
        let p = Policy::default();
        // SmolLM2 135M, q4_1: 2 × 134.5M × 100 × 0.75 / 1e9 = 20.18 → 21.
        assert_eq!(p.price(134_515_008, "q4_1", 100), 21);
        assert_eq!(p.price(134_515_008, "Q4_1", 0), 0);
        // 7B q4_k_m: size factor 1.25.
        assert_eq!(p.price(7_000_000_000, "q4_k_m", 10), 132);
        assert!(p.price(70_000_000_000, "f16", 10) > p.price(7_000_000_000, "f16", 10) * 10);
        let n = p.affordable(134_515_008, "q4_1", 50, 30);
        assert!(p.price(134_515_008, "q4_1", 50 + n) <= 30);
        assert!(p.price(134_515_008, "q4_1", 51 + n) > 30);
        assert_eq!(p.affordable(134_515_008, "q4_1", 5000, 3), 0);
    }

    #[test]
    fn bad_policies_are_named() {
        let p = Policy {
            gflops_per_credit: 0.0,
            ..Policy::default()
        };
        assert!(p.check().unwrap_err().contains("gflops_per_credit"));
        assert_ne!(Policy::default().id(), p.id());
    }

    #[test]
    fn stage_shares_add_up_to_the_whole_price() {
        for price in [0u64, 1, 7, 10, 1_000_003] {
            for cuts in [
                vec![0, 30],
                vec![0, 15, 30],
                vec![0, 7, 19, 30],
                vec![0, 1, 2, 30],
            ] {
                let sum: u64 = cuts
                    .windows(2)
                    .map(|w| stage_share(price, w[0], w[1], 30))
                    .sum();
                assert_eq!(sum, price, "{price} over {cuts:?}");
            }
        }
        assert_eq!(stage_slice("q4_1@0-15/30"), Some(("q4_1", 0, 15, 30)));
        assert_eq!(
            stage_slice(&stage_quant("q8_0", 3..9, 12)),
            Some(("q8_0", 3, 9, 12))
        );
        for bad in [
            "q4_1",
            "q4_1@15-15/30",
            "q4_1@0-31/30",
            "q4_1@a-2/3",
            "q4_1@0-2",
            "q@1-2/9999",
        ] {
            assert_eq!(stage_slice(bad), None, "{bad}");
        }
    }
}
