//! `power_limit_w`: each NVIDIA GPU's power limit lowered while the node contributes and
//! restored while it is paused and when it stops. Setting it needs root; where NVML refuses,
//! the engines keep the same share of their time for peers instead (the limit over the card's
//! enforced limit), and status says which.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Power {
    watts: u32,
    nvml: Option<nvml_wrapper::Nvml>,
    /// Each card's limit before this node set it, mW: restored when paused and on drop.
    before: Vec<(u32, u32)>,
    applied: bool,
    /// Why the limit is kept as a share of time instead (once known).
    pub refused: Option<String>,
    share: Arc<AtomicU32>,
}

impl Power {
    pub fn new(watts: u32, share: Arc<AtomicU32>) -> Power {
        let nvml = nvml_wrapper::Nvml::init().ok();
        let mut p = Power {
            watts,
            refused: nvml
                .is_none()
                .then(|| "no NVIDIA GPU (NVML is not there)".to_string()),
            nvml,
            before: Vec::new(),
            applied: false,
            share,
        };
        if p.nvml.is_none() {
            tracing::warn!("power_limit_w = {watts}: no NVIDIA GPU here; nothing to limit");
        }
        p.before = p.limits();
        p
    }

    fn limits(&self) -> Vec<(u32, u32)> {
        let Some(nvml) = &self.nvml else {
            return Vec::new();
        };
        (0..nvml.device_count().unwrap_or(0))
            .filter_map(|i| {
                let d = nvml.device_by_index(i).ok()?;
                Some((i, d.power_management_limit().ok()?))
            })
            .collect()
    }

    /// Applies the limit while contributing, restores the cards' own while paused.
    pub fn follow(&mut self, contributing: bool) {
        if contributing == self.applied || self.refused.is_some() {
            return;
        }
        let Some(nvml) = &self.nvml else {
            return;
        };
        for &(i, own) in &self.before {
            let Ok(mut d) = nvml.device_by_index(i) else {
                continue;
            };
            let want = if contributing {
                own.min(self.watts.saturating_mul(1000))
            } else {
                own
            };
            if let Err(e) = d.set_power_management_limit(want) {
                // Kept as a share of time: the limit over what the card may draw now.
                let share = (u64::from(self.watts) * 100_000 / u64::from(own.max(1))).clamp(1, 100);
                self.share.fetch_min(share as u32, Ordering::Relaxed);
                let why = format!(
                    "NVML refused GPU {i}'s power limit ({e}): peers get {share} % of the engine's \
                     time instead"
                );
                tracing::warn!("power_limit_w = {}: {why}", self.watts);
                self.refused = Some(why);
                return;
            }
        }
        self.applied = contributing;
    }
}

impl Drop for Power {
    fn drop(&mut self) {
        self.follow(false);
    }
}
