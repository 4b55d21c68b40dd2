//! The world the simulator puts its nodes in: where they are, what hardware they have, how long
//! they stay, and when their users send requests. Each table says where its numbers come from;
//! they are rounded, and meant to give the right shape (heavy tails, a daily cycle, a skewed
//! hardware mix), not a forecast.

/// A region: its share of the nodes and its offset from UTC (for the daily cycle).
pub struct Region {
    pub name: &'static str,
    pub share: f64,
    pub utc_offset_h: f64,
}

/// Shares roughly as the Steam Hardware & Software Survey's language and region split and the
/// ITU's internet-user counts by continent suggest.
pub const REGIONS: [Region; 6] = [
    Region {
        name: "north-america",
        share: 0.22,
        utc_offset_h: -6.0,
    },
    Region {
        name: "south-america",
        share: 0.08,
        utc_offset_h: -3.0,
    },
    Region {
        name: "europe",
        share: 0.30,
        utc_offset_h: 1.0,
    },
    Region {
        name: "east-asia",
        share: 0.25,
        utc_offset_h: 8.0,
    },
    Region {
        name: "south-asia",
        share: 0.10,
        utc_offset_h: 5.5,
    },
    Region {
        name: "oceania",
        share: 0.05,
        utc_offset_h: 10.0,
    },
];

/// Round trips between regions' main hubs (ms), rounded from WonderNetwork's public ping
/// statistics and AWS inter-region latency tables (e.g. New York–London ~75 ms, Frankfurt–Tokyo
/// ~230 ms, São Paulo–Tokyo ~260 ms). The diagonal is the round trip inside a region. Each node
/// adds its own last mile ([`last_mile_ms`]) at both ends.
pub const RTT_MS: [[u32; 6]; 6] = [
    [35, 130, 85, 160, 220, 170],
    [130, 30, 200, 260, 320, 300],
    [85, 200, 25, 230, 130, 280],
    [160, 260, 230, 40, 90, 130],
    [220, 320, 130, 90, 45, 150],
    [170, 300, 280, 130, 150, 25],
];

/// A node's last mile (ms, one way), drawn uniformly: fibre to busy Wi-Fi and DSL (Ookla's
/// Speedtest Global Index puts median fixed-line latency at ~10-30 ms).
pub fn last_mile_ms(u: f64) -> f64 {
    3.0 + 22.0 * u
}

/// A model of the catalog's three sizes: its parameters, share of requests and lengths.
pub struct Model {
    pub name: &'static str,
    pub quant: &'static str,
    pub parameters: u64,
    pub demand: f64,
}

/// Small models are asked for most (OpenRouter's public rankings are led by cheap fast models;
/// here, the catalog's default and its 8B and 32B classes).
pub const MODELS: [Model; 3] = [
    Model {
        name: "small-1.7b",
        quant: "Q4_K_M",
        parameters: 1_700_000_000,
        demand: 0.5,
    },
    Model {
        name: "mid-8b",
        quant: "Q4_K_M",
        parameters: 8_000_000_000,
        demand: 0.4,
    },
    Model {
        name: "large-32b",
        quant: "Q4_K_M",
        parameters: 32_000_000_000,
        demand: 0.1,
    },
];

/// A class of device: its share, and the model it serves with its slots and the generation
/// speed of one slot (tokens/s).
pub struct Class {
    pub name: &'static str,
    pub share: f64,
    /// (model index, slots, tokens/s per slot), one of which the node serves (the largest that
    /// fits first, the next when the dice say so: see [`Class::serves`]).
    pub options: &'static [(usize, u32, f64)],
}

/// Shares by graphics memory from the Steam Hardware & Software Survey (2025: 8 GB the most
/// common, ~35%; 12 GB ~20%; 6 GB and less ~25%; 16 GB ~10%; 24 GB and more ~5%), with machines
/// without a usable GPU folded into the smallest class. Speeds are llama.cpp's tg128 results
/// for Q4 models as published in its discussions and READMEs, rounded (an RTX 4090 generates
/// ~150 tokens/s on an 8B and ~40 on a 32B; an RTX 3060 ~60 on an 8B; a desktop CPU ~10-20 on a
/// 1-2B), and divided among slots.
pub const CLASSES: [Class; 5] = [
    Class {
        name: "cpu-or-4gb",
        share: 0.25,
        options: &[(0, 1, 18.0)],
    },
    Class {
        name: "8gb",
        share: 0.35,
        options: &[(1, 1, 45.0), (0, 4, 60.0)],
    },
    Class {
        name: "12gb",
        share: 0.22,
        options: &[(1, 2, 40.0)],
    },
    Class {
        name: "16gb",
        share: 0.12,
        options: &[(1, 2, 55.0)],
    },
    Class {
        name: "24gb+",
        share: 0.06,
        options: &[(2, 1, 38.0), (1, 4, 60.0)],
    },
];

impl Class {
    /// The option a node of this class takes for the draw `u` in [0, 1): the first when there
    /// is one, else half and half.
    pub fn serves(&self, u: f64) -> (usize, u32, f64) {
        let i = ((u * self.options.len() as f64) as usize).min(self.options.len() - 1);
        self.options[i]
    }
}

/// Prompt-processing speed as a multiple of generation (llama.cpp's pp512 against tg128 on
/// GPUs is 10-50x; the low end, since prompts come one at a time).
pub const PREFILL_SPEEDUP: f64 = 10.0;

/// Online sessions and the gaps between them are Weibull with this shape: heavy-tailed, as
/// Stutzbach and Rejaie measured in Gnutella, Kad and BitTorrent ("Understanding Churn in
/// Peer-to-Peer Networks", IMC 2006: shapes 0.34-0.59) and Steiner et al. in Kad (IMC 2007).
pub const CHURN_SHAPE: f64 = 0.5;
/// The median session (and median gap): an hour, within those measurements' range (medians of
/// minutes to hours). Equal medians keep half the nodes online.
pub const MEDIAN_SESSION_S: f64 = 3600.0;
/// Share of departures that say goodbye (a shutdown, a pause); the rest vanish (sleep, Wi-Fi,
/// a crash), and are found out by silence or a failed job.
pub const GRACEFUL: f64 = 0.6;

/// A Weibull draw with [`CHURN_SHAPE`] and median `median` for the uniform `u` in (0, 1).
pub fn session_s(u: f64, median: f64) -> f64 {
    let scale = median / std::f64::consts::LN_2.powf(1.0 / CHURN_SHAPE);
    scale * (-(1.0 - u).max(1e-12).ln()).powf(1.0 / CHURN_SHAPE)
}

/// Requests through a region's day as a multiple of the daily mean: low before dawn, highest
/// in the evening (the shape of Sandvine's Global Internet Phenomena curves; peak/trough ~3).
pub fn daily(local_hour: f64) -> f64 {
    1.0 + 0.5 * (std::f64::consts::TAU * (local_hour - 15.0) / 24.0).sin()
}

/// Output tokens of a request: log-normal with a median of 250 and a long tail (chat answers;
/// the LMSYS-Chat-1M statistics put the mean answer at ~215 tokens), capped at 2,048.
pub fn output_tokens(normal: f64) -> u64 {
    (250.0 * (0.8 * normal).exp()).clamp(8.0, 2048.0) as u64
}

/// Prompt tokens of a request (the same source: the mean prompt is ~70 tokens, longer with a
/// conversation's history; taken as 400).
pub const PROMPT_TOKENS: u64 = 400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_world_tables_are_consistent() {
        let sum = |x: &mut dyn Iterator<Item = f64>| x.sum::<f64>();
        assert!((sum(&mut REGIONS.iter().map(|r| r.share)) - 1.0).abs() < 1e-9);
        assert!((sum(&mut CLASSES.iter().map(|c| c.share)) - 1.0).abs() < 1e-9);
        assert!((sum(&mut MODELS.iter().map(|m| m.demand)) - 1.0).abs() < 1e-9);
        for (i, row) in RTT_MS.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert_eq!(*v, RTT_MS[j][i], "symmetric");
            }
        }
        assert!((session_s(0.5, 3600.0) - 3600.0).abs() < 1.0, "the median");
        assert!(session_s(0.99, 3600.0) > 20.0 * 3600.0, "a heavy tail");
        let mean: f64 = (0..24).map(|h| daily(h as f64)).sum::<f64>() / 24.0;
        assert!((mean - 1.0).abs() < 1e-9);
    }
}
