//! Physically impossible speeds, as AI Horde's "unreasonably fast": an answer streamed faster
//! than any device can run its model is not the model's work.
//!
//! One answer's tokens come one forward pass at a time (a few per pass at most, with
//! speculative decoding or multi-token prediction), and each pass reads every weight once. So
//! one stream cannot pass `memory bandwidth × tokens per pass / bytes of weights`, whatever the
//! device. The bound takes the fastest memory of any device with room to spare, the fewest bits
//! a GGUF weight takes, and 8 tokens a pass: loose enough that no honest worker comes near it
//! (a 70B model: about 6,000 tokens/s of one answer, where the fastest GPUs stream 30–100), and
//! tight enough to catch a worker that streams a big model's answer without running it.

/// The fastest memory a device reads weights from, bytes a second, with room to spare (HBM3e
/// is about 8 TB/s).
pub const FASTEST_MEMORY: f64 = 10e12;
/// The fewest bits a weight takes in any GGUF quantization (IQ1_S: 1.56).
pub const FEWEST_BITS: f64 = 1.5;
/// The most tokens one forward pass yields for one answer.
pub const TOKENS_PER_PASS: f64 = 8.0;

/// The most tokens a second that one answer of a model of `parameters` weights can stream,
/// on any device.
pub fn fastest_tps(parameters: u64) -> f64 {
    let bytes = parameters.max(1) as f64 * FEWEST_BITS / 8.0;
    FASTEST_MEMORY * TOKENS_PER_PASS / bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_falls_with_the_model_and_leaves_honest_speeds_far_below() {
        // SmolLM2 135M: millions of tokens a second; no measurement reaches it.
        assert!(fastest_tps(134_515_008) > 1e6);
        // A 70B model: about 6,000 tokens/s, against 30-100 on the fastest GPUs.
        let big = fastest_tps(70_000_000_000);
        assert!((5_000.0..7_000.0).contains(&big), "{big}");
        // A 405B model: about a thousand.
        assert!(fastest_tps(405_000_000_000) < 1_100.0);
        assert!(fastest_tps(0).is_finite());
    }
}
