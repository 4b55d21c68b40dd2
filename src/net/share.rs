//! Model files shared between peers, as content-addressed blobs over iroh-blobs
//! ([`iroh_blobs::ALPN`]).
//!
//! Owns two blob stores in the data dir: `blobs/offered`, rebuilt at every start, which
//! references (never copies) the model files this node holds, and `blobs/fetching`, where a
//! file fetched from peers lands chunk by chunk, each verified against the file's BLAKE3 root
//! as it streams. The fetching store survives a restart: a fetch that was killed resumes with
//! the chunks it already has.
//!
//! Serving: only to peers that passed the handshake (they proved the network's secret) and
//! are not banned, only the hashes this node offers, one whole blob per request (no hash
//! sequences, no pushes, no observing), at most `share_rate` bytes a second in all.
//!
//! Fetching ([`Net::fetch_from_peers`]): the peers whose announcements offer the variant,
//! grouped by the hash they claim, most peers first. The chunks still missing are split into
//! one piece per peer (at most [`MAX_SOURCES`]) and fetched at once; a piece whose peer fails
//! is fetched from the others in the next round. A peer whose data does not match the hash it
//! offered is struck and dropped. The finished blob is copied to `FILE.part` in the models dir
//! and gets its final name only after the catalog's sha256 check
//! ([`crate::fetch::finish_part`]); the peers that offered a whole file that fails it are
//! struck, and the next hash is tried.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use iroh_blobs::api::blobs::{AddPathOptions, ImportMode};
use iroh_blobs::api::remote::GetProgressItem;
use iroh_blobs::get::GetError;
use iroh_blobs::get::fsm::DecodeError;
use iroh_blobs::protocol::{ChunkRanges, ChunkRangesExt, GetRequest};
use iroh_blobs::provider::events::{
    AbortReason, ConnectMode, EventMask, EventSender, ObserveMode, ProviderMessage, RequestMode,
    ThrottleMode,
};
use iroh_blobs::store::GcConfig;
use iroh_blobs::store::fs::FsStore;
use iroh_blobs::store::fs::options::Options;
use iroh_blobs::{BlobFormat, BlobsProtocol, Hash, HashAndFormat};
use serde::{Deserialize, Serialize};

use super::Net;
use super::wire::FileAd;
use crate::catalog::Choice;
use crate::ids::NodeId;

/// The most peers one fetch reads from at once.
pub const MAX_SOURCES: usize = 4;
/// Rounds of a fetch (a round gives each missing piece to a peer); a peer that fails is not
/// asked again, so this bounds only a run of peers that fail by turns.
const ROUNDS: usize = 8;
/// A peer that sends nothing for this long is dropped from the fetch.
const STALL: Duration = Duration::from_secs(20);
/// Past [`STALL`], a peer that sent less than this many bytes a second on average is dropped.
const MIN_RATE: f64 = 256e3;
/// The most blobs connections one peer holds to this node at once.
const MAX_CONNS_PER_PEER: usize = 4;
const CONNECT_WAIT: Duration = Duration::from_secs(10);
/// How long a fetched blob, no longer needed, stays in the fetching store.
const GC_INTERVAL: Duration = Duration::from_secs(60);

/// A fetch from peers, as status and the UI show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    /// `NAME:QUANT`.
    pub model: String,
    /// Bytes held (verified) and the file's size.
    pub done: u64,
    pub total: u64,
    /// Bytes this node already had when the fetch started (a resumed fetch).
    pub resumed: u64,
    /// Peers it reads from now.
    pub peers: usize,
    /// Bytes a second over the last moments.
    pub rate: f64,
}

/// The node's shared files (see the module's doc). Held by [`Net`].
pub(super) struct Shares {
    dir: PathBuf,
    offered: FsStore,
    fetching: tokio::sync::OnceCell<FsStore>,
    /// What this node announces, and the hashes it serves.
    offers: Mutex<Vec<FileAd>>,
    allowed: Mutex<HashSet<Hash>>,
    /// Fetches in progress, by model.
    transfers: Mutex<BTreeMap<String, Transfer>>,
    pacer: Pacer,
    /// Open blobs connections, by connection id, and their peer.
    serving: Mutex<HashMap<u64, NodeId>>,
}

impl Shares {
    /// Opens the stores under `data_dir/blobs` (the offered one afresh) and the provider's
    /// event channel (the caller answers its messages: [`Net::serve_share_events`]).
    pub(super) async fn open(
        data_dir: &Path,
        rate: Option<u64>,
    ) -> anyhow::Result<(
        Shares,
        BlobsProtocol,
        tokio::sync::mpsc::Receiver<ProviderMessage>,
    )> {
        let dir = data_dir.join("blobs");
        let offered_dir = dir.join("offered");
        // References to files that may have changed since: rebuilt from the files themselves.
        let _ = std::fs::remove_dir_all(&offered_dir);
        std::fs::create_dir_all(&offered_dir)?;
        let offered = FsStore::load(&offered_dir)
            .await
            .map_err(|e| anyhow::anyhow!("opening {}: {e}", offered_dir.display()))?;
        let mask = EventMask {
            connected: ConnectMode::Intercept,
            get: RequestMode::Intercept,
            get_many: RequestMode::Disabled,
            push: RequestMode::Disabled,
            observe: ObserveMode::Intercept,
            throttle: ThrottleMode::Intercept,
        };
        let (events, rx) = EventSender::channel(64, mask);
        let protocol = BlobsProtocol::new(&offered, Some(events));
        let shares = Shares {
            dir,
            offered,
            fetching: tokio::sync::OnceCell::new(),
            offers: Mutex::default(),
            allowed: Mutex::default(),
            transfers: Mutex::default(),
            pacer: Pacer::new(rate),
            serving: Mutex::default(),
        };
        Ok((shares, protocol, rx))
    }

    /// The files this node offers, as announced.
    pub(super) fn offers(&self) -> Vec<FileAd> {
        self.offers.lock().expect("offers").clone()
    }

    fn serves(&self, hash: &Hash) -> bool {
        self.allowed.lock().expect("allowed").contains(hash)
    }

    /// Fetches in progress.
    pub(super) fn transfers(&self) -> Vec<Transfer> {
        self.transfers
            .lock()
            .expect("transfers")
            .values()
            .cloned()
            .collect()
    }

    /// The store fetches land in, opened at the first fetch. Blobs no tag protects (fetches
    /// that finished) are collected.
    async fn fetching(&self) -> anyhow::Result<&FsStore> {
        self.fetching
            .get_or_try_init(|| async {
                let root = self.dir.join("fetching");
                std::fs::create_dir_all(&root)?;
                let mut options = Options::new(&root);
                options.gc = Some(GcConfig {
                    interval: GC_INTERVAL,
                    add_protected: None,
                });
                FsStore::load_with_opts(root.join("blobs.db"), options)
                    .await
                    .map_err(|e| anyhow::anyhow!("opening {}: {e}", root.display()))
            })
            .await
    }

    /// Offers `path` as the file of `model` (`NAME:QUANT`): hashes it (by reference, no copy).
    async fn offer(&self, model: &str, path: &Path) -> anyhow::Result<FileAd> {
        let size = std::fs::metadata(path)?.len();
        let tag = self
            .offered
            .add_path_with_opts(AddPathOptions {
                path: std::path::absolute(path)?,
                format: BlobFormat::Raw,
                mode: ImportMode::TryReference,
            })
            .with_named_tag(format!("offer/{model}"))
            .await
            .map_err(|e| anyhow::anyhow!("hashing {}: {e}", path.display()))?;
        let ad = FileAd {
            model: model.to_string(),
            blake3: tag.hash.to_hex(),
            size,
        };
        self.allowed.lock().expect("allowed").insert(tag.hash);
        let mut offers = self.offers.lock().expect("offers");
        offers.retain(|o| o.model != ad.model);
        if offers.len() < super::wire::MAX_FILE_ADS {
            offers.push(ad.clone());
        }
        Ok(ad)
    }

    pub(super) async fn shutdown(&self) {
        let _ = self.offered.shutdown().await;
        if let Some(f) = self.fetching.get() {
            let _ = f.shutdown().await;
        }
    }
}

/// Paces what the node sends to peers to a rate: each piece of data waits for its turn.
struct Pacer {
    rate: Option<u64>,
    next: Mutex<Instant>,
}

impl Pacer {
    fn new(rate: Option<u64>) -> Pacer {
        Pacer {
            rate,
            next: Mutex::new(Instant::now()),
        }
    }

    /// How long a piece of `bytes` waits before it goes out.
    fn delay(&self, bytes: u64) -> Duration {
        let Some(rate) = self.rate else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let mut next = self.next.lock().expect("pacer");
        let start = (*next).max(now);
        *next = start + Duration::from_secs_f64(bytes as f64 / rate as f64);
        start - now
    }
}

/// Why a peer's piece of a fetch failed.
enum PieceError {
    /// Its data does not match the hash it offered: it is struck.
    BadData(String),
    /// It could not be reached, stalled, or does not have the file: not asked again now.
    Failed(String),
}

/// A fetch's outcome, for the caller.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fetched {
    pub path: PathBuf,
    /// Bytes this node already had (a resumed fetch).
    pub resumed: u64,
    pub size: u64,
    /// The peers that sent data.
    pub peers: Vec<String>,
    pub seconds: f64,
}

impl Net {
    pub(super) fn shares(&self) -> &Shares {
        &self.inner.shares
    }

    /// Fetches in progress from peers.
    pub fn transfers(&self) -> Vec<Transfer> {
        self.shares().transfers()
    }

    /// The model files this node offers to its peers.
    pub fn offers(&self) -> Vec<FileAd> {
        self.shares().offers()
    }

    /// Answers the provider's questions: who may connect (verified peers, not banned), what
    /// they may get (the hashes offered, one blob at a time), and when the next piece may go
    /// (the share rate).
    pub(super) async fn serve_share_events(
        self,
        mut rx: tokio::sync::mpsc::Receiver<ProviderMessage>,
    ) {
        while let Some(msg) = rx.recv().await {
            match msg {
                ProviderMessage::ClientConnected(m) => {
                    let peer = m
                        .endpoint_id
                        .map(|e| NodeId::from_bytes(*e.as_bytes()))
                        .filter(|id| self.inner.conns.verified(id) && !self.banned(id));
                    let ok = peer.is_some_and(|peer| {
                        let mut serving = self.shares().serving.lock().expect("serving");
                        let open = serving.values().filter(|p| **p == peer).count();
                        if open >= MAX_CONNS_PER_PEER {
                            return false;
                        }
                        serving.insert(m.connection_id, peer);
                        true
                    });
                    m.tx.send(allow(ok)).await.ok();
                }
                ProviderMessage::GetRequestReceived(m) => {
                    let ok = m.request.ranges.is_blob() && self.shares().serves(&m.request.hash);
                    m.tx.send(allow(ok)).await.ok();
                }
                ProviderMessage::ConnectionClosed(m) => {
                    let mut serving = self.shares().serving.lock().expect("serving");
                    serving.remove(&m.connection_id);
                }
                ProviderMessage::ObserveRequestReceived(m) => {
                    m.tx.send(Err(AbortReason::Permission)).await.ok();
                }
                ProviderMessage::Throttle(m) => {
                    let wait = self.shares().pacer.delay(m.size);
                    if wait.is_zero() {
                        m.tx.send(Ok(())).await.ok();
                    } else {
                        self.tasks().spawn(async move {
                            tokio::time::sleep(wait).await;
                            m.tx.send(Ok(())).await.ok();
                        });
                    }
                }
                _ => {}
            }
        }
    }

    /// Offers every model file in the models dir whose checksum holds (hashed off the async
    /// threads, in the background), then announces them.
    pub(super) async fn offer_models_dir(self) {
        let dir = self.node().settings().models_dir.clone();
        let net = self.clone();
        let found = self
            .tasks()
            .spawn_blocking(move || {
                let catalog = net.inner.catalog.as_ref()?;
                let dir = &dir;
                let mut files = Vec::new();
                for c in catalog.present(dir) {
                    match crate::fetch::verify(dir, &c) {
                        Ok(_) => files.push((c.id().to_string(), dir.join(&c.variant.file))),
                        Err(e) => tracing::warn!("not offering {} to peers: {e}", c.id()),
                    }
                }
                Some(files)
            })
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        for (model, path) in found {
            let t = Instant::now();
            if let Err(e) = self.shares().offer(&model, &path).await {
                tracing::warn!("not offering {model} to peers: {e}");
            }
            tracing::debug!("offered {model} in {:.2}s", t.elapsed().as_secs_f64());
        }
        self.announce_soon();
    }

    /// Whether a peer offers the file of `model` (`NAME:QUANT`).
    pub fn offered(&self, model: &str) -> bool {
        !self.offers_of(model).is_empty()
    }

    /// The peers that offer `model` (`NAME:QUANT`), by the hash they offer it under, most
    /// peers first.
    fn offers_of(&self, model: &str) -> Vec<(Hash, u64, Vec<NodeId>)> {
        let mut by_hash: BTreeMap<String, (u64, Vec<NodeId>)> = BTreeMap::new();
        self.with_table(|t| {
            for p in t.peers() {
                let Some(a) = &p.announcement else { continue };
                for f in a.files.iter().filter(|f| f.model == model) {
                    let e = by_hash.entry(f.blake3.to_ascii_lowercase()).or_default();
                    // A peer counts once however often it lists the file.
                    if !e.1.contains(&p.id) {
                        e.0 = e.0.max(f.size);
                        e.1.push(p.id);
                    }
                }
            }
        });
        let mut groups: Vec<(Hash, u64, Vec<NodeId>)> = by_hash
            .into_iter()
            .filter_map(|(h, (size, mut peers))| {
                peers.retain(|p| !self.banned(p));
                Some((h.parse().ok()?, size, peers)).filter(|g| !g.2.is_empty())
            })
            .collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.2.len()));
        groups
    }

    /// Fetches the file of `choice` from the peers that offer it into the models dir, waiting
    /// up to `wait` for a peer to announce it. `progress` hears how far it got.
    pub async fn fetch_from_peers(
        &self,
        choice: &Choice<'_>,
        wait: Duration,
        progress: tokio::sync::watch::Sender<Transfer>,
    ) -> anyhow::Result<Fetched> {
        let settings = self.node().settings();
        let dir = std::path::absolute(&settings.models_dir)?;
        std::fs::create_dir_all(&dir)?;
        let model = choice.id().to_string();
        self.hash_known(&dir, choice).await?;
        let started = Instant::now();
        let mut groups = self.offers_of(&model);
        while groups.is_empty() && started.elapsed() < wait {
            tokio::time::sleep(Duration::from_millis(200)).await;
            groups = self.offers_of(&model);
        }
        if groups.is_empty() {
            let known = self.with_table(|t| t.len());
            anyhow::bail!(
                "no peer offers {model} (this node knows {known} peer{}; join a network whose \
                 nodes hold it with --join TICKET)",
                if known == 1 { "" } else { "s" }
            );
        }
        // One fetch of a model at a time: two would write the same file.
        let guard = TransferGuard::new(self, &model)
            .ok_or_else(|| anyhow::anyhow!("{model} is being fetched already"))?;
        let mut last = String::new();
        for (hash, claimed, peers) in groups {
            let Some(size) = bounded_size(choice, claimed) else {
                last = format!(
                    "{} peer(s) offer {model} with {claimed} bytes, the catalog says {}",
                    peers.len(),
                    choice.variant.size
                );
                continue;
            };
            let got = self
                .fetch_group(choice, &dir, (hash, size, peers), &progress, &guard)
                .await;
            match got {
                Ok(mut f) => {
                    f.seconds = started.elapsed().as_secs_f64();
                    return Ok(f);
                }
                Err(e) => last = e.to_string(),
            }
        }
        anyhow::bail!("fetching {model} from peers failed: {last}")
    }

    /// The hash and size under which `peer` offers the file of `model` (`NAME:QUANT`).
    pub(super) fn offer_of(&self, peer: &NodeId, model: &str) -> Option<(Hash, u64)> {
        self.with_table(|t| {
            let a = t.get(peer)?.announcement.as_ref()?;
            let f = a.files.iter().find(|f| f.model == model)?;
            Some((f.blake3.to_ascii_lowercase().parse().ok()?, f.size))
        })
    }

    /// Fetches the bytes `ranges` of the file of `model` offered as `hash` (`size` bytes) from
    /// the peers that offer it under that hash, into the fetching store (kept there under the
    /// tag `slice/LABEL`), each chunk checked against the hash as it streams. `label` names the
    /// transfer in status too; a second fetch of one label waits for the first, up to a minute.
    /// A slice already held costs nothing. Boxed: a stage's request awaits it, and it connects to peers,
    /// whose streams are served by the same code (a future cannot hold itself).
    pub(super) fn fetch_ranges<'a>(
        &'a self,
        label: &'a str,
        (model, hash, size): (&'a str, Hash, u64),
        ranges: &'a [std::ops::Range<u64>],
    ) -> futures_util::future::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(self.fetch_ranges_unboxed(label, (model, hash, size), ranges))
    }

    async fn fetch_ranges_unboxed(
        &self,
        label: &str,
        (model, hash, size): (&str, Hash, u64),
        ranges: &[std::ops::Range<u64>],
    ) -> anyhow::Result<()> {
        let peers = self
            .offers_of(model)
            .into_iter()
            .find(|g| g.0 == hash)
            .map(|g| g.2)
            .unwrap_or_default();
        let wanted = union(ranges);
        let since = Instant::now();
        let guard = loop {
            // One fetch of a label at a time: a second waits for the first's chunks.
            match TransferGuard::new(self, label) {
                Some(g) => break g,
                None if since.elapsed() > Duration::from_secs(60) => {
                    anyhow::bail!("another fetch of {label} has run for over a minute")
                }
                None => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        let (progress, _) = tokio::sync::watch::channel(Transfer::default());
        let tag = format!("slice/{label}");
        self.fetch_blob(
            (model, Some(&tag)),
            (hash, &wanted),
            size,
            peers,
            &progress,
            &guard,
        )
        .await
        .map(|_| ())
    }

    /// The bytes `range` of the fetched blob `hash`, which holds them: all of them, or an error.
    pub(super) async fn fetched_bytes(
        &self,
        hash: Hash,
        range: std::ops::Range<u64>,
    ) -> anyhow::Result<Vec<u8>> {
        let store = self.shares().fetching().await?;
        let want = range.end - range.start;
        let data = store
            .blobs()
            .export_ranges(hash, range.clone())
            .concatenate()
            .await
            .map_err(|e| anyhow::anyhow!("reading the fetching store: {e}"))?;
        // The store clips a range to the blob's size as it knows it: short data is no slice.
        anyhow::ensure!(
            data.len() as u64 == want,
            "the fetching store holds {} of the {want} bytes at {}",
            data.len(),
            range.start
        );
        Ok(data)
    }

    /// A peer's file is checked against a hash this node already trusts: the catalog's, or the
    /// one recorded at its first download here. With neither, the first copy would be whatever
    /// a peer sends: refused.
    async fn hash_known(&self, dir: &Path, choice: &Choice<'_>) -> anyhow::Result<()> {
        let (d, v) = (dir.to_path_buf(), choice.variant.clone());
        let known = self
            .tasks()
            .spawn_blocking(move || crate::fetch::expected_sha256(&d, &v))
            .await
            .map_err(|_| anyhow::anyhow!("stopping"))??;
        if known.is_none() {
            let model = choice.id();
            anyhow::bail!(
                "{model} has no published sha256 and none recorded here: its first copy comes \
                 from its source (`llp models fetch {model}`), never from peers"
            );
        }
        Ok(())
    }

    /// The file of one hash, from the peers that offer it: fetched, checked, named, offered.
    async fn fetch_group(
        &self,
        choice: &Choice<'_>,
        dir: &Path,
        (hash, size, peers): (Hash, u64, Vec<NodeId>),
        progress: &tokio::sync::watch::Sender<Transfer>,
        guard: &TransferGuard,
    ) -> anyhow::Result<Fetched> {
        let model = choice.id().to_string();
        let (resumed, senders) = self
            .fetch_blob(
                (&model, None),
                (hash, &ChunkRanges::all()),
                size,
                peers.clone(),
                progress,
                guard,
            )
            .await?;
        let path = dir.join(&choice.variant.file);
        if let Err(e) = self.finish_fetch(hash, dir, choice).await {
            // Only a file that is not the model is the peers' fault; a full disk or a damaged
            // records file here is not.
            let theirs = e
                .downcast_ref::<crate::fetch::FetchError>()
                .is_some_and(|e| {
                    matches!(
                        e,
                        crate::fetch::FetchError::ChecksumMismatch { .. }
                            | crate::fetch::FetchError::SizeMismatch { .. }
                    )
                });
            if theirs {
                let why = format!("it offered a file for {model} that fails its sha256");
                for p in &peers {
                    self.strike(p, &why);
                }
            }
            return Err(e);
        }
        if let Err(e) = self.shares().offer(&model, &path).await {
            tracing::warn!("not offering {model} to peers: {e}");
        }
        self.announce_soon();
        Ok(Fetched {
            path,
            resumed,
            size,
            peers: senders.iter().map(|p| p.to_string()).collect(),
            seconds: 0.0,
        })
    }

    /// Copies a fetched blob to `FILE.part` in the models dir, checks it, gives it its name,
    /// and lets the fetching store forget it. A file that fails the check is deleted.
    async fn finish_fetch(
        &self,
        hash: Hash,
        dir: &Path,
        choice: &Choice<'_>,
    ) -> anyhow::Result<()> {
        let store = self.shares().fetching().await?;
        // Its own part name: a download from the hub may be resuming `FILE.part` meanwhile.
        let part = dir.join(format!("{}.peers.part", choice.variant.file));
        let _ = std::fs::remove_file(&part);
        store
            .blobs()
            .export(hash, &part)
            .finish()
            .await
            .map_err(|e| anyhow::anyhow!("copying the fetched file to {}: {e}", part.display()))?;
        let (d, v, p, path) = (
            dir.to_path_buf(),
            choice.variant.clone(),
            part.clone(),
            dir.join(&choice.variant.file),
        );
        let checked = self
            .tasks()
            .spawn_blocking(move || crate::fetch::finish_part(&d, &v, &p, &path))
            .await
            .map_err(|_| anyhow::anyhow!("stopping"))?;
        let _ = store
            .tags()
            .delete(fetch_tag(&choice.id().to_string(), &hash))
            .await;
        checked?;
        Ok(())
    }

    /// Gets the chunks `wanted` of the blob `hash` (all of them, or a slice) into the fetching
    /// store from `peers`, in rounds (see the module's doc); the bytes it had before, and the
    /// peers that sent data.
    async fn fetch_blob(
        &self,
        (model, tag): (&str, Option<&str>),
        (hash, wanted): (Hash, &ChunkRanges),
        size: u64,
        mut peers: Vec<NodeId>,
        progress: &tokio::sync::watch::Sender<Transfer>,
        guard: &TransferGuard,
    ) -> anyhow::Result<(u64, Vec<NodeId>)> {
        let store = self.shares().fetching().await?;
        let tag = match tag {
            None => protect(store, model, &hash).await?,
            Some(t) => {
                store
                    .tags()
                    .set(t, HashAndFormat::raw(hash))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                t.to_string()
            }
        };
        let local = |r: GetRequest| async move {
            store
                .remote()
                .local_for_request(r)
                .await
                .map_err(|e| anyhow::anyhow!("reading the fetching store: {e}"))
        };
        let resumed = local(GetRequest::builder().root(wanted.clone()).build(hash))
            .await?
            .local_bytes();
        let mut senders = Vec::new();
        let mut why = String::from("no peer left to ask");
        for _ in 0..ROUNDS {
            let have = local(GetRequest::builder().root(wanted.clone()).build(hash)).await?;
            if have.is_complete() {
                return Ok((resumed, senders));
            }
            if peers.is_empty() {
                break;
            }
            let base = have.local_bytes();
            let k = peers.len().min(MAX_SOURCES);
            let counters: Vec<AtomicU64> = (0..k).map(|_| AtomicU64::new(0)).collect();
            let pieces = split(size, k).into_iter().enumerate().map(|(i, ranges)| {
                self.fetch_piece(store, hash, peers[i], ranges & wanted, &counters[i])
            });
            let all = futures_util::future::join_all(pieces);
            tokio::pin!(all);
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            let results = loop {
                tokio::select! {
                    r = &mut all => break r,
                    _ = tick.tick() => {
                        let got: u64 = counters.iter().map(|c| c.load(Ordering::Relaxed)).sum();
                        guard.update(progress, base + got, size, resumed, k);
                    }
                }
            };
            for (i, c) in counters.iter().enumerate() {
                if c.load(Ordering::Relaxed) > 0 && !senders.contains(&peers[i]) {
                    senders.push(peers[i]);
                }
            }
            let failed = self.judge(model, &peers, results, &mut why);
            let all_sent = failed.is_empty();
            peers.retain(|p| !failed.contains(p));
            let now = local(GetRequest::builder().root(wanted.clone()).build(hash)).await?;
            guard.update(progress, now.local_bytes(), size, resumed, peers.len());
            if all_sent && !now.is_complete() && *wanted == ChunkRanges::all() {
                // Every chunk up to the size offered came, and the file goes on: they lied
                // about its size.
                for p in &peers {
                    self.strike(p, &format!("it offered {model} as smaller than it is"));
                }
                let _ = store.tags().delete(&tag).await;
                anyhow::bail!("{model} is larger than the {size} bytes its peers offered");
            }
        }
        if local(GetRequest::builder().root(wanted.clone()).build(hash))
            .await?
            .is_complete()
        {
            return Ok((resumed, senders));
        }
        anyhow::bail!("{why} (the chunks fetched so far are kept: the same command resumes)")
    }

    /// The peers whose piece failed (struck where their data failed the hash), and why the
    /// last failed.
    fn judge(
        &self,
        model: &str,
        peers: &[NodeId],
        results: Vec<Result<(), PieceError>>,
        why: &mut String,
    ) -> Vec<NodeId> {
        let mut failed = Vec::new();
        for (peer, r) in peers.iter().zip(results) {
            match r {
                Ok(()) => {}
                Err(PieceError::BadData(e)) => {
                    self.strike(
                        peer,
                        &format!("it sent data for {model} that does not match its hash ({e})"),
                    );
                    *why = format!("peer {} sent bad data: {e}", peer.short());
                    failed.push(*peer);
                }
                Err(PieceError::Failed(e)) => {
                    tracing::info!("fetching {model} from {}: {e}", peer.short());
                    *why = format!("peer {}: {e}", peer.short());
                    failed.push(*peer);
                }
            }
        }
        failed
    }

    /// Fetches the chunks of `ranges` this node lacks from `peer`, verified as they stream.
    async fn fetch_piece(
        &self,
        store: &FsStore,
        hash: Hash,
        peer: NodeId,
        ranges: ChunkRanges,
        counter: &AtomicU64,
    ) -> Result<(), PieceError> {
        let request = GetRequest::builder().root(ranges).build(hash);
        let local = store
            .remote()
            .local_for_request(request)
            .await
            .map_err(|e| PieceError::Failed(e.to_string()))?;
        if local.is_complete() {
            return Ok(());
        }
        // Our own handshake first: the peer serves only peers that proved the network secret.
        self.connect(&peer)
            .await
            .map_err(|e| PieceError::Failed(e.to_string()))?;
        let pk = peer
            .public_key()
            .ok_or_else(|| PieceError::Failed("its id is not a key".into()))?;
        let conn = tokio::time::timeout(
            CONNECT_WAIT,
            self.inner.endpoint.connect(pk, iroh_blobs::ALPN),
        )
        .await
        .map_err(|_| PieceError::Failed("no answer on the blobs protocol".into()))?
        .map_err(|e| PieceError::Failed(format!("cannot connect: {e}")))?;
        let mut stream = std::pin::pin!(
            store
                .remote()
                .execute_get(conn.clone(), local.missing())
                .stream()
        );
        let started = Instant::now();
        let result = loop {
            // A peer that trickles (a chunk now and then, under the stall limit) holds a round
            // open no longer than one that stops.
            let sent = counter.load(Ordering::Relaxed);
            let elapsed = started.elapsed();
            if elapsed > STALL && (sent as f64) < MIN_RATE * elapsed.as_secs_f64() {
                break Err(PieceError::Failed(format!(
                    "sent {sent} bytes in {}s, under {} KB/s",
                    elapsed.as_secs(),
                    MIN_RATE / 1e3
                )));
            }
            match tokio::time::timeout(STALL, stream.next()).await {
                Err(_) => {
                    break Err(PieceError::Failed(format!(
                        "sent nothing for {}s",
                        STALL.as_secs()
                    )));
                }
                Ok(None) => break Err(PieceError::Failed("the transfer ended early".into())),
                Ok(Some(GetProgressItem::Progress(n))) => counter.store(n, Ordering::Relaxed),
                Ok(Some(GetProgressItem::Done(_))) => break Ok(()),
                Ok(Some(GetProgressItem::Error(e))) => break Err(classify(e)),
            }
        };
        conn.close(0u32.into(), b"done");
        result
    }
}

/// The size to fetch of a file offered with `claimed` bytes: the catalog's where it is exact
/// (whatever a peer claims), else the claim, up to twice the catalog's estimate; `None` for an
/// offer no honest peer makes. Nothing past it is fetched.
pub(super) fn bounded_size(choice: &Choice<'_>, claimed: u64) -> Option<u64> {
    let v = choice.variant;
    if v.size_exact {
        return Some(v.size);
    }
    Some(claimed).filter(|c| *c <= v.size.saturating_mul(2).max(1 << 20))
}

/// The chunks of a file of `size` bytes in `k` runs, one a peer. Nothing past `size` is asked
/// for: a file larger than its peers claimed stays incomplete, and is refused.
fn split(size: u64, k: usize) -> Vec<ChunkRanges> {
    let chunks = size.div_ceil(1024).max(1);
    let k = k.max(1) as u64;
    (0..k)
        .map(|i| ChunkRanges::chunks(chunks * i / k..chunks * (i + 1) / k))
        .collect()
}

/// The chunks that hold the bytes `ranges`, put together pairwise (linear in the ranges at each
/// of log n levels, where one by one would be quadratic).
fn union(ranges: &[std::ops::Range<u64>]) -> ChunkRanges {
    match ranges {
        [] => ChunkRanges::empty(),
        [r] => ChunkRanges::bytes(r.clone()),
        _ => {
            let (a, b) = ranges.split_at(ranges.len() / 2);
            union(a) | union(b)
        }
    }
}

/// The provider's answer to a question it asked: go on, or refuse.
fn allow(ok: bool) -> Result<(), AbortReason> {
    if ok {
        Ok(())
    } else {
        Err(AbortReason::Permission)
    }
}

/// Data that fails the hash is the peer's fault; anything else may be the network's.
fn classify(e: GetError) -> PieceError {
    let text = e.to_string();
    match e {
        GetError::Decode {
            source: DecodeError::LeafHashMismatch { .. } | DecodeError::ParentHashMismatch { .. },
            ..
        } => PieceError::BadData(text),
        _ => PieceError::Failed(text),
    }
}

/// Protects the partial blob of `hash` from the collector, across restarts too; a partial
/// blob of another hash for this model (offered by others before) is let go: one per model.
async fn protect(store: &FsStore, model: &str, hash: &Hash) -> anyhow::Result<String> {
    let tag = fetch_tag(model, hash);
    if let Ok(old) = store.tags().list_prefix(format!("fetch/{model}/")).await {
        let old: Vec<_> = old.collect().await;
        for t in old.into_iter().flatten() {
            if t.name.as_ref() != tag.as_bytes() {
                let _ = store.tags().delete(t.name).await;
            }
        }
    }
    store
        .tags()
        .set(&tag, HashAndFormat::raw(*hash))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(tag)
}

fn fetch_tag(model: &str, hash: &Hash) -> String {
    format!("fetch/{model}/{}", hash.to_hex())
}

/// A fetch's entry in the node's transfers, removed when the fetch ends.
struct TransferGuard {
    shares: Arc<Shares>,
    model: String,
    last: Mutex<(Instant, u64, f64)>,
}

impl TransferGuard {
    /// The fetch of `model`, registered; `None` while another fetch of it runs.
    fn new(net: &Net, model: &str) -> Option<TransferGuard> {
        let mut running = net.inner.shares.transfers.lock().expect("transfers");
        if running.contains_key(model) {
            return None;
        }
        running.insert(
            model.to_string(),
            Transfer {
                model: model.to_string(),
                ..Transfer::default()
            },
        );
        Some(TransferGuard {
            shares: net.inner.shares.clone(),
            model: model.to_string(),
            last: Mutex::new((Instant::now(), 0, 0.0)),
        })
    }

    fn update(
        &self,
        progress: &tokio::sync::watch::Sender<Transfer>,
        done: u64,
        total: u64,
        resumed: u64,
        peers: usize,
    ) {
        let rate = {
            let mut last = self.last.lock().expect("last");
            let dt = last.0.elapsed().as_secs_f64();
            if dt >= 0.5 {
                let r = done.saturating_sub(last.1) as f64 / dt;
                *last = (Instant::now(), done, r);
            }
            last.2
        };
        let t = Transfer {
            model: self.model.clone(),
            done: done.min(total.max(done)),
            total,
            resumed,
            peers,
            rate,
        };
        self.shares
            .transfers
            .lock()
            .expect("transfers")
            .insert(self.model.clone(), t.clone());
        progress.send_replace(t);
    }
}

impl Drop for TransferGuard {
    fn drop(&mut self) {
        self.shares
            .transfers
            .lock()
            .expect("transfers")
            .remove(&self.model);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_become_the_chunks_that_hold_them() {
        let r = union(&[0..10, 5000..6000, 2048..3072, 9000..9001]);
        let want = ChunkRanges::chunks(0..1)
            | ChunkRanges::chunks(2..3)
            | ChunkRanges::chunks(4..6)
            | ChunkRanges::chunks(8..9);
        assert_eq!(r, want);
        assert_eq!(union(&[]), ChunkRanges::empty());
    }

    #[test]
    fn a_file_splits_into_runs_that_cover_it_once() {
        let runs = split(10 * 1024 + 1, 3);
        assert_eq!(runs.len(), 3);
        assert_eq!(runs[0], ChunkRanges::chunks(0..3));
        assert_eq!(runs[1], ChunkRanges::chunks(3..7));
        assert_eq!(runs[2], ChunkRanges::chunks(7..11));
        assert_eq!(split(0, 4).len(), 4);
    }

    #[test]
    fn the_pacer_spaces_pieces_to_the_rate_and_no_limit_never_waits() {
        let free = Pacer::new(None);
        assert_eq!(free.delay(1 << 30), Duration::ZERO);
        let p = Pacer::new(Some(1_000_000));
        assert!(p.delay(500_000) < Duration::from_millis(50));
        // The second half-megabyte waits for the first to have gone: about half a second.
        let d = p.delay(500_000);
        assert!(
            d > Duration::from_millis(400) && d <= Duration::from_millis(500),
            "{d:?}"
        );
    }
}
