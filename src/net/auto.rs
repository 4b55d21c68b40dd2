//! `--auto-models`: serving what the network lacks.
//!
//! Owns the wants (models that jobs here wait for and no node serves, announced so that nodes
//! with `--auto-models` hear of them) and, on such a node, the loop that answers them: it picks
//! a want it can meet, the best variant whose memory fits (after unloading the least used
//! models it loaded itself, if they are idle) and whose file is on disk or offered by a peer
//! (else its hub), within the disk budget; fetches it (peers first), loads it and announces it.
//! The models the operator named (`--model`) are never unloaded.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Net;
use crate::catalog::{Catalog, Choice, Variant};
use crate::ids::ModelRef;

/// The most wants an announcement carries.
pub(super) const MAX_WANTS: usize = 8;
/// How long a want the node could not meet is left before it tries again.
const RETRY: Duration = Duration::from_secs(60);
/// How long a fetch waits for a peer's offer.
const OFFER_WAIT: Duration = Duration::from_secs(3);

/// Wants as a peer announced them, made safe to count: only models the catalog lists, spelled
/// as the catalog does (a want spelled three ways counts once), each once, at most
/// [`MAX_WANTS`].
pub(super) fn normalize_wants(catalog: Option<&Catalog>, wants: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in wants.iter().filter(|w| w.len() <= 160) {
        let r = ModelRef::parse(w);
        let Some(m) = catalog.and_then(|c| c.model(&r.name)) else {
            continue;
        };
        let canonical = ModelRef {
            name: m.name.clone(),
            quant: r.quant.map(|q| q.to_ascii_lowercase()),
            min: r.min.map(|q| q.to_ascii_lowercase()),
        }
        .to_string();
        if !out.contains(&canonical) {
            out.push(canonical);
        }
        if out.len() == MAX_WANTS {
            break;
        }
    }
    out
}

/// The wants and what the loop did.
#[derive(Default)]
pub(super) struct Auto {
    /// Models jobs here wait for, with how many jobs.
    wants: Mutex<HashMap<String, usize>>,
    /// Models this node loaded itself (`NAME:QUANT`), and when: the only ones it unloads.
    loaded: Mutex<HashMap<String, Instant>>,
    /// Wants it could not meet, and when.
    failed: Mutex<HashMap<String, Instant>>,
}

/// A job's want, withdrawn when dropped.
pub struct Want {
    net: Net,
    key: String,
}

impl Drop for Want {
    fn drop(&mut self) {
        let mut wants = self.net.inner.auto.wants.lock().expect("wants");
        if let Some(n) = wants.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                wants.remove(&self.key);
            }
        }
    }
}

impl Net {
    /// Registers that a job waits for `model`, which no node serves; announced at once the
    /// first time.
    pub fn want(&self, model: &ModelRef) -> Want {
        let key = model.to_string();
        let first = {
            let mut wants = self.inner.auto.wants.lock().expect("wants");
            let n = wants.entry(key.clone()).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            self.announce_soon();
        }
        Want {
            net: self.clone(),
            key,
        }
    }

    /// The wants to announce.
    pub(super) fn wants(&self) -> Vec<String> {
        let wants = self.inner.auto.wants.lock().expect("wants");
        wants.keys().take(MAX_WANTS).cloned().collect()
    }

    /// Whether a node could load `model` for a job that no node serves: the catalog lists it,
    /// and this node or a routable peer loads the models the network lacks.
    pub fn may_load(&self, model: &ModelRef) -> bool {
        let listed = self
            .inner
            .catalog
            .as_ref()
            .and_then(|c| c.model(&model.name))
            .is_some_and(|m| m.variants.iter().any(|v| model.matches(&m.name, &v.quant)));
        listed
            && (self.node().settings().engine.auto_models
                || self.with_table(|t| {
                    t.peers().any(|p| {
                        p.health == super::table::Health::Ok
                            && p.announcement.as_ref().is_some_and(|a| a.auto_models)
                    })
                }))
    }

    /// The loop of a node with `--auto-models`: once a second, the first want it can meet.
    pub(super) async fn auto_models(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let Some(want) = self.next_want() else {
                continue;
            };
            // Every node with --auto-models hears the same want: a moment's random wait, and
            // a second look, so that the first to load it is usually the only one.
            let mut b = [0u8; 2];
            let _ = getrandom::fill(&mut b);
            let jitter = u64::from(u16::from_le_bytes(b)) % 2000;
            tokio::time::sleep(Duration::from_millis(jitter)).await;
            if self.with_table(|t| t.any_capable(&want)) {
                continue;
            }
            let started = Instant::now();
            match self.auto_load(&want).await {
                Ok(id) => tracing::info!(
                    "auto-models: serving {id} for a job that waited for {want} ({:.1}s)",
                    started.elapsed().as_secs_f64()
                ),
                Err(e) => {
                    tracing::warn!("auto-models: cannot serve {want}: {e}");
                    let mut failed = self.inner.auto.failed.lock().expect("failed");
                    // Wants are peers' words: entries past their retry time are dropped, so
                    // this holds only the last few minutes' failures.
                    failed.retain(|_, at| at.elapsed() < RETRY);
                    failed.insert(want.to_string(), Instant::now());
                }
            }
        }
    }

    /// A want (this node's or a routable peer's) that no node serves and that was not tried
    /// lately, the most wanted first.
    fn next_want(&self) -> Option<ModelRef> {
        let mut count: HashMap<String, usize> = HashMap::new();
        for w in self.wants() {
            *count.entry(w).or_default() += 1;
        }
        self.with_table(|t| {
            for p in t.peers().filter(|p| p.health == super::table::Health::Ok) {
                for w in p.announcement.iter().flat_map(|a| &a.wants) {
                    *count.entry(w.clone()).or_default() += 1;
                }
            }
        });
        let failed = self.inner.auto.failed.lock().expect("failed").clone();
        let mut wants: Vec<(String, usize)> = count
            .into_iter()
            .filter(|(w, _)| failed.get(w).is_none_or(|at| at.elapsed() >= RETRY))
            .collect();
        wants.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        wants
            .into_iter()
            .map(|(w, _)| ModelRef::parse(&w))
            .find(|m| {
                self.node().engine_for(Some(m)).is_none()
                    && !self.with_table(|t| t.any_capable(m))
                    && self.may_load(m)
            })
    }

    /// Meets a want: picks, fetches, makes room, loads. The variant's id.
    async fn auto_load(&self, want: &ModelRef) -> anyhow::Result<String> {
        let catalog = self
            .inner
            .catalog
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no catalog"))?;
        let (choice, why) = self.pick(catalog, want)?;
        let id = choice.id().to_string();
        let dir = self.node().settings().models_dir.clone();
        if !dir.join(&choice.variant.file).is_file() {
            let (progress, _) = tokio::sync::watch::channel(Default::default());
            let from_peers = self.fetch_from_peers(&choice, OFFER_WAIT, progress).await;
            if let Err(e) = from_peers {
                tracing::info!("auto-models: {e}; trying {id}'s own source");
                let opts = crate::fetch::FetchOptions {
                    progress: false,
                    ..Default::default()
                };
                crate::fetch::fetch(&dir, &choice, &opts).await?;
            }
        }
        self.make_room(choice.variant.memory_needed()).await?;
        let settings = self.node().settings().clone();
        let engine =
            crate::engine::load_variant(&settings, &choice, choice.model.name.clone(), why).await?;
        self.inner
            .auto
            .loaded
            .lock()
            .expect("loaded")
            .insert(id.clone(), Instant::now());
        self.node().add_engine(engine);
        Ok(id)
    }

    /// The memory the models may use, and what the loaded ones take; what the node's
    /// own models (never unloaded) take.
    fn memory(&self, catalog: &Catalog) -> (u64, u64, u64) {
        let node = self.node();
        let loaded = self.inner.auto.loaded.lock().expect("loaded").clone();
        let (mut used, mut fixed) = (0, 0);
        for e in node.engines().iter() {
            let i = e.info();
            let need = catalog
                .resolve(&i.id().to_string())
                .map_or(0, |c| c.variant.memory_needed());
            used += need;
            if !loaded.contains_key(&i.id().to_string()) {
                fixed += need;
            }
        }
        let total = match node.settings().engine.memory_limit {
            Some(l) => l,
            None => node.devices().cpu.ram_free_bytes + used,
        };
        (total, used, fixed)
    }

    /// The variant to load for `want`: the best quality whose memory fits (counting what
    /// unloading this node's own loaded models would free) and whose file is on disk or
    /// offered by a peer; else one from its hub that fits the disk budget.
    fn pick<'c>(
        &self,
        catalog: &'c Catalog,
        want: &ModelRef,
    ) -> anyhow::Result<(Choice<'c>, String)> {
        let model = catalog
            .model(&want.name)
            .ok_or_else(|| anyhow::anyhow!("the catalog does not list {}", want.name))?;
        let (total, _, fixed) = self.memory(catalog);
        let room = total.saturating_sub(fixed);
        let dir = &self.node().settings().models_dir;
        let on_disk: u64 = catalog.present(dir).iter().map(|c| c.variant.size).sum();
        let disk_left = self
            .node()
            .settings()
            .engine
            .auto_models_disk
            .saturating_sub(on_disk);
        let mut fits: Vec<&Variant> = model
            .variants
            .iter()
            .filter(|v| want.matches(&model.name, &v.quant) && v.memory_needed() <= room)
            .collect();
        fits.sort_by_key(|v| std::cmp::Reverse((crate::ids::quality(&v.quant), v.size)));
        let within = bytesize::ByteSize(room).display().iec();
        let here = |v: &Variant| {
            dir.join(&v.file).is_file()
                || (v.size <= disk_left
                    && self.offered(&crate::ids::ModelId::new(&model.name, &v.quant).to_string()))
        };
        if let Some(v) = fits.iter().find(|v| here(v)) {
            let why = format!(
                "loaded for a job that waited for {want} (--auto-models): the best variant on \
                 disk or offered by a peer within {within}"
            );
            return Ok((Choice { model, variant: v }, why));
        }
        if let Some(v) = fits.iter().find(|v| v.size <= disk_left) {
            let why = format!(
                "loaded for a job that waited for {want} (--auto-models): the best variant \
                 within {within}, from its source"
            );
            return Ok((Choice { model, variant: v }, why));
        }
        anyhow::bail!(
            "no variant of {} fits {within} of memory and {} of disk",
            model.name,
            bytesize::ByteSize(disk_left).display().iec()
        )
    }

    /// Unloads the least used models this node loaded itself, idle ones only, until `need`
    /// bytes fit.
    async fn make_room(&self, need: u64) -> anyhow::Result<()> {
        let catalog = self
            .inner
            .catalog
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("no catalog"))?;
        // A model loaded here stays at least this long: wants that come and go (or a peer that
        // announces wants to make nodes thrash) cannot make it load and unload without end.
        let keep = self.node().settings().engine.auto_models_keep;
        loop {
            let (total, used, _) = self.memory(catalog);
            if used + need <= total {
                return Ok(());
            }
            let loaded = self.inner.auto.loaded.lock().expect("loaded").clone();
            let node = self.node();
            let victim = node
                .engines()
                .iter()
                .filter(|e| {
                    let s = e.stats();
                    loaded
                        .get(&e.info().id().to_string())
                        .is_some_and(|at| at.elapsed() >= keep)
                        && s.busy_slots.load(std::sync::atomic::Ordering::Relaxed) == 0
                        && s.queued.load(std::sync::atomic::Ordering::Relaxed) == 0
                })
                .min_by_key(|e| node.last_used(&e.info().id().to_string()))
                .map(|e| e.info().id().to_string());
            let Some(victim) = victim else {
                anyhow::bail!(
                    "{} more memory is needed and no model this node loaded is idle and was \
                     loaded at least {}s ago",
                    bytesize::ByteSize(used + need - total).display().iec(),
                    keep.as_secs()
                );
            };
            tracing::info!("auto-models: unloading {victim} (the least used) to make room");
            self.inner
                .auto
                .loaded
                .lock()
                .expect("loaded")
                .remove(&victim);
            if let Some(e) = node.remove_engine(&victim) {
                let _ = self.tasks().spawn_blocking(move || e.shutdown()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_count_once_whatever_their_spelling_and_only_listed_models() {
        let c = Catalog::load(None).unwrap();
        let many: Vec<String> = (0..20)
            .map(|i| format!("SmolLM2-135M-Instruct:Q4_{i}"))
            .collect();
        let w = |v: &[&str]| {
            normalize_wants(
                Some(&c),
                &v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            w(&[
                "SMOLLM2-135M-INSTRUCT",
                "smollm2-135m-instruct",
                "no-such-model",
                &"x".repeat(200)
            ]),
            ["smollm2-135m-instruct"]
        );
        assert_eq!(
            w(&["smollm2-135m-instruct@Q8"]),
            ["smollm2-135m-instruct@q8"]
        );
        assert_eq!(normalize_wants(Some(&c), &many).len(), MAX_WANTS);
        assert!(normalize_wants(None, &many).is_empty());
    }
}
