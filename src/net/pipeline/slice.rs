//! Slices: a stage on a node without the model's file. A node that fetches models for the
//! network (`--auto-models`) hosts a range of layers by fetching only what that range reads:
//! the file's header, then its layers' tensors, as byte ranges of the file's blob from the
//! peers that offer it (iroh-blobs), each 1 KiB chunk checked against the file's BLAKE3 root
//! as it streams ([`Net::fetch_ranges`]). The bytes land at their own offsets in a sparse file,
//! `blobs/slices/HASH.gguf` in the data dir, which [`Layers::load`](crate::engine::stage::Layers)
//! reads as it reads a whole file: the holes are never read.
//!
//! Bounds: a slice counts twice (the store's copy and the sparse file's) against
//! `--auto-models-disk`, with the models dir and every slice already here; at most
//! [`FETCHES`] slices fetch at once, [`FETCHES_PER_PEER`] for one coordinator; a header is
//! fetched within [`HEADER_WAIT`], and one that failed is not fetched again for a minute.
//!
//! Whose root: the coordinator's, as it offers the file. Only the whole file can be checked
//! against the catalog's sha256, and the coordinator holds it whole (it loaded the model's
//! ends from it, and offers it only once its sha256 held). A coordinator that offered another
//! file gets a stage of that file, for its own answers only: the layers are keyed by the root
//! they came from, never lent to another coordinator's sequences, and the header, a stranger's,
//! is checked before anything is sized from it ([`stage::read_header`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iroh_blobs::Hash;

use super::super::Net;
use crate::engine::stage::{self, Header, HeaderError};
use crate::ids::NodeId;

/// How long a `Stage` request waits for its slice before it is refused (the fetch goes on:
/// the coordinator's next plan finds the layers here).
const WAIT: Duration = Duration::from_secs(30);
/// The first bytes fetched for the header, and the most it may take.
const HEADER_FIRST: u64 = 1 << 20;
const HEADER_MAX: u64 = 64 << 20;
const HEADER_WAIT: Duration = Duration::from_secs(60);
/// How long a file whose header failed is refused without a new try.
const FAILED_FOR: Duration = Duration::from_secs(60);
/// Slices fetching at once, in all and for one coordinator.
const FETCHES: usize = 4;
const FETCHES_PER_PEER: usize = 2;
/// Headers kept in memory (a few files' worth; a header is small once parsed).
const HEADERS: usize = 16;

/// The file a slice comes from: the coordinator's offer.
#[derive(Debug, Clone)]
pub(super) struct Source {
    /// `NAME:QUANT`, as the catalog writes it.
    pub model: String,
    pub hash: Hash,
    pub size: u64,
    /// The sparse file its bytes land in (named by root and size: two coordinators that offer
    /// one root with two sizes never share a file).
    pub path: PathBuf,
}

impl Source {
    fn file(&self) -> (Hash, u64) {
        (self.hash, self.size)
    }

    /// A transfer's name in status: the model, what of it, and the root it comes under.
    fn label(&self, what: &str) -> String {
        format!("{} {what} ({})", self.model, &self.hash.to_hex()[..8])
    }
}

/// A file, by root and size.
type FileKey = (Hash, u64);
/// A slice of a file: its layers.
type SliceKey = (FileKey, [u32; 2]);
/// A slice's fetch, as the requests that wait for it see it: `None` while it runs.
type Outcome = tokio::sync::watch::Receiver<Option<Result<(), String>>>;

/// The slices of this node: their headers, the fetches running, and what was written.
#[derive(Default)]
pub(super) struct Slices {
    headers: Mutex<HashMap<FileKey, Arc<Header>>>,
    failed: Mutex<HashMap<FileKey, (Instant, String)>>,
    running: Mutex<HashMap<SliceKey, (NodeId, Outcome)>>,
    written: Mutex<HashSet<SliceKey>>,
}

/// Takes a fetch's entry out of the running ones however its task ends.
struct Running {
    net: Net,
    key: SliceKey,
}

impl Drop for Running {
    fn drop(&mut self) {
        let slices = &self.net.stages().slices;
        slices
            .running
            .lock()
            .expect("slice fetches")
            .remove(&self.key);
    }
}

/// The file `coordinator` offers of the variant `choice`, where this node fetches slices.
pub(super) fn source(
    net: &Net,
    coordinator: &NodeId,
    choice: &crate::catalog::Choice<'_>,
) -> Result<Source, String> {
    let model = &choice.id().to_string();
    let settings = net.node().settings();
    if !settings.engine.auto_models {
        return Err(format!(
            "this node has no file of {model}, and fetches none for peers (--auto-models is off)"
        ));
    }
    let (hash, size) = net.offer_of(coordinator, model).ok_or_else(|| {
        format!("this node has no file of {model}, and you offer none to take a slice of")
    })?;
    // The catalog's size where it is exact, else the offer's up to twice the catalog's.
    let size = super::super::share::bounded_size(choice, size)
        .ok_or_else(|| format!("you offer {model} as {size} bytes; the catalog disagrees"))?;
    let path = settings
        .data_dir
        .join("blobs")
        .join("slices")
        .join(format!("{}-{size}.gguf", hash.to_hex()));
    Ok(Source {
        model: model.clone(),
        hash,
        size,
        path,
    })
}

/// The header of `src`'s file: fetched (its first MiB, then twice as much while the header
/// goes on, up to [`HEADER_MAX`], within [`HEADER_WAIT`]) and checked, once.
pub(super) async fn header(net: &Net, src: &Source) -> Result<Arc<Header>, String> {
    let slices = &net.stages().slices;
    if let Some(h) = slices.headers.lock().expect("headers").get(&src.file()) {
        return Ok(h.clone());
    }
    if let Some((at, why)) = slices.failed.lock().expect("failed").get(&src.file())
        && at.elapsed() < FAILED_FOR
    {
        return Err(why.clone());
    }
    let read = tokio::time::timeout(HEADER_WAIT, fetch_header(net, src))
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the header of {} did not come within {}s",
                src.model,
                HEADER_WAIT.as_secs()
            ))
        });
    match read {
        Ok(h) => {
            let h = Arc::new(h);
            let mut headers = slices.headers.lock().expect("headers");
            if headers.len() >= HEADERS {
                headers.clear();
            }
            headers.insert(src.file(), h.clone());
            Ok(h)
        }
        Err(why) => {
            let mut failed = slices.failed.lock().expect("failed");
            failed.retain(|_, (at, _)| at.elapsed() < FAILED_FOR);
            failed.insert(src.file(), (Instant::now(), why.clone()));
            Err(why)
        }
    }
}

async fn fetch_header(net: &Net, src: &Source) -> Result<Header, String> {
    let mut want = HEADER_FIRST.min(src.size);
    loop {
        let label = src.label("header");
        net.fetch_ranges(
            &label,
            (&src.model, src.hash, src.size),
            std::slice::from_ref(&(0..want)),
        )
        .await
        .map_err(|e| format!("fetching the header of {}: {e:#}", src.model))?;
        let prefix = net
            .fetched_bytes(src.hash, 0..want)
            .await
            .map_err(|e| format!("{e:#}"))?;
        let size = src.size;
        let read = net
            .tasks()
            .spawn_blocking(move || stage::read_header(&prefix, size))
            .await
            .map_err(|_| format!("the header of the {} you offer broke its reader", src.model))?;
        match read {
            Ok(h) => return Ok(h),
            Err(HeaderError::Short) if want < HEADER_MAX.min(src.size) => {
                want = (want * 2).min(HEADER_MAX).min(src.size);
            }
            Err(HeaderError::Short) => {
                return Err(format!(
                    "the header of {} is longer than {} MiB",
                    src.model,
                    want >> 20
                ));
            }
            Err(HeaderError::Bad(e)) => return Err(format!("the file you offer: {e}")),
        }
    }
}

/// Makes the bytes that `range`'s layers read present in `src`'s sparse file: fetched from
/// peers (or found in the fetching store) and written. Waits up to [`WAIT`]; a fetch still
/// running then goes on, and a later request finds it done.
pub(super) async fn ready(
    net: &Net,
    coordinator: NodeId,
    (src, header): (&Source, &Header),
    range: Range<u32>,
) -> Result<(), String> {
    let key = (src.file(), [range.start, range.end]);
    let slices = &net.stages().slices;
    if slices.written.lock().expect("written").contains(&key) {
        return Ok(());
    }
    let ranges = header.ranges(range.clone());
    let bytes: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    disk_left(net, bytes, &range, src).await?;
    // The lock is let go before `start` takes it again.
    let found = slices
        .running
        .lock()
        .expect("slice fetches")
        .get(&key)
        .map(|(_, o)| o.clone());
    let mut outcome = match found {
        Some(o) => o,
        None => start(net, coordinator, src, key, ranges)?,
    };
    match tokio::time::timeout(WAIT, outcome.wait_for(Option::is_some)).await {
        Ok(Ok(done)) => done.clone().unwrap_or(Err("stopping".into())),
        Ok(Err(_)) => Err("stopping".into()),
        Err(_) => Err(format!(
            "fetching layers {}..{} of {} from peers ({}): ask again soon",
            range.start,
            range.end,
            src.model,
            super::host::show(bytes)
        )),
    }
}

/// Starts the fetch of the slice `key` for `coordinator`, unless too many run.
fn start(
    net: &Net,
    coordinator: NodeId,
    src: &Source,
    key: SliceKey,
    ranges: Vec<Range<u64>>,
) -> Result<Outcome, String> {
    let hosts = net.stages();
    let mut running = hosts.slices.running.lock().expect("slice fetches");
    let theirs = running.values().filter(|(c, _)| *c == coordinator).count();
    if running.len() >= FETCHES || theirs >= FETCHES_PER_PEER {
        return Err(format!(
            "this node fetches {} slices already ({theirs} of them yours): ask again soon",
            running.len()
        ));
    }
    let (tx, rx) = tokio::sync::watch::channel(None);
    running.insert(key, (coordinator, rx.clone()));
    let (net2, src2) = (net.clone(), src.clone());
    net.tasks().spawn(async move {
        let _running = Running {
            net: net2.clone(),
            key,
        };
        let r = fetch(&net2, &src2, key.1, &ranges).await;
        if r.is_ok() {
            let slices = &net2.stages().slices;
            slices.written.lock().expect("written").insert(key);
        }
        tx.send_replace(Some(r));
    });
    Ok(rx)
}

/// Whether a slice of `bytes` fits `--auto-models-disk`, counted twice (the fetching store's
/// copy and the sparse file's) with the models dir and the slices here.
async fn disk_left(net: &Net, bytes: u64, range: &Range<u32>, src: &Source) -> Result<(), String> {
    let settings = net.node().settings();
    let disk = settings.engine.auto_models_disk;
    let models: u64 = net.inner.catalog.as_ref().map_or(0, |c| {
        c.present(&settings.models_dir)
            .iter()
            .map(|c| c.variant.size)
            .sum()
    });
    let dir = src.path.parent().map(std::path::Path::to_path_buf);
    let slices = net
        .tasks()
        .spawn_blocking(move || dir.map_or(0, |d| on_disk(&d)))
        .await
        .unwrap_or(0);
    let used = models.saturating_add(slices.saturating_mul(2));
    if used.saturating_add(bytes.saturating_mul(2)) > disk {
        return Err(format!(
            "layers {}..{} of {} read {} of its file (twice that on disk, as fetched and as \
             read), and this node's models and slices take {} of the {} --auto-models-disk \
             allows",
            range.start,
            range.end,
            src.model,
            super::host::show(bytes),
            super::host::show(used),
            super::host::show(disk)
        ));
    }
    Ok(())
}

/// Bytes the files in `dir` take on disk (a sparse file's holes take none).
fn on_disk(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| {
            #[cfg(unix)]
            let bytes = std::os::unix::fs::MetadataExt::blocks(&m) * 512;
            #[cfg(not(unix))]
            let bytes = m.len();
            bytes
        })
        .sum()
}

/// Fetches `ranges` of `src`'s file and writes them at their offsets in its sparse file.
async fn fetch(
    net: &Net,
    src: &Source,
    layers: [u32; 2],
    ranges: &[Range<u64>],
) -> Result<(), String> {
    let label = src.label(&format!("layers {}..{}", layers[0], layers[1]));
    let started = std::time::Instant::now();
    net.fetch_ranges(&label, (&src.model, src.hash, src.size), ranges)
        .await
        .map_err(|e| format!("fetching layers {}..{}: {e:#}", layers[0], layers[1]))?;
    // In pieces, each read from the store, then written off the async threads.
    const PIECE: u64 = 16 << 20;
    for r in ranges {
        let mut at = r.start;
        while at < r.end {
            let end = (at + PIECE).min(r.end);
            let data = net
                .fetched_bytes(src.hash, at..end)
                .await
                .map_err(|e| format!("{e:#}"))?;
            let (path, size) = (src.path.clone(), src.size);
            net.tasks()
                .spawn_blocking(move || write_at(&path, size, at, &data))
                .await
                .map_err(|_| "stopping".to_string())?
                .map_err(|e| format!("writing {}: {e}", src.path.display()))?;
            at = end;
        }
    }
    let bytes: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    tracing::info!(
        "{label}: its slice of the file is here ({} of {}) after {:.1}s",
        super::host::show(bytes),
        super::host::show(src.size),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Writes `data` at `offset` of the sparse file `path` of `size` bytes (made if missing; never
/// cut short).
fn write_at(path: &std::path::Path, size: u64, offset: u64, data: &[u8]) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    if f.metadata()?.len() < size {
        f.set_len(size)?;
    }
    f.seek(SeekFrom::Start(offset))?;
    f.write_all(data)
}
