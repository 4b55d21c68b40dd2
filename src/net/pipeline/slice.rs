//! Slices: a stage on a node without the model's file. A node that fetches models for the
//! network (`--auto-models`) hosts a range of layers by fetching only what that range reads:
//! the file's header, then its layers' tensors, as byte ranges of the file's blob from the
//! peers that offer it (iroh-blobs), each 1 KiB chunk checked against the file's BLAKE3 root
//! as it streams ([`Net::fetch_ranges`]). The bytes land at their own offsets in a sparse file,
//! `blobs/slices/HASH.gguf` in the data dir, which [`Layers::load`](crate::engine::stage::Layers)
//! reads as it reads a whole file: the holes are never read.
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
use std::time::Duration;

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

/// The file a slice comes from: the coordinator's offer.
#[derive(Debug, Clone)]
pub(super) struct Source {
    /// `NAME:QUANT`, as the catalog writes it.
    pub model: String,
    pub hash: Hash,
    pub size: u64,
    /// The sparse file its bytes land in.
    pub path: PathBuf,
}

/// A slice's fetch, as the requests that wait for it see it: `None` while it runs.
type Outcome = tokio::sync::watch::Receiver<Option<Result<(), String>>>;

/// The slices of this node: their headers, the fetches running, and what was written.
#[derive(Default)]
pub(super) struct Slices {
    headers: Mutex<HashMap<Hash, Arc<Header>>>,
    running: Mutex<HashMap<(Hash, [u32; 2]), Outcome>>,
    written: Mutex<HashSet<(Hash, [u32; 2])>>,
}

/// The file `coordinator` offers of `model` (`NAME:QUANT`), where this node fetches slices.
pub(super) fn source(net: &Net, coordinator: &NodeId, model: &str) -> Result<Source, String> {
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
    let catalog = net
        .inner
        .catalog
        .as_ref()
        .ok_or("this node has no catalog")?;
    let choice = catalog.resolve(model).map_err(|e| e.to_string())?;
    let size = super::super::share::bounded_size(&choice, size)
        .ok_or_else(|| format!("you offer {model} as {size} bytes; the catalog disagrees"))?;
    let path = settings
        .data_dir
        .join("blobs")
        .join("slices")
        .join(format!("{}.gguf", hash.to_hex()));
    Ok(Source {
        model: model.to_string(),
        hash,
        size,
        path,
    })
}

/// The header of `src`'s file: fetched (its first MiB, then twice as much while the header
/// goes on, up to [`HEADER_MAX`]) and checked, once.
pub(super) async fn header(net: &Net, src: &Source) -> Result<Arc<Header>, String> {
    let slices = &net.stages().slices;
    if let Some(h) = slices.headers.lock().expect("headers").get(&src.hash) {
        return Ok(h.clone());
    }
    let mut want = HEADER_FIRST.min(src.size);
    loop {
        let label = format!("{} header", src.model);
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
            .map_err(|_| "stopping".to_string())?;
        match read {
            Ok(h) => {
                let h = Arc::new(h);
                let mut headers = slices.headers.lock().expect("headers");
                headers.insert(src.hash, h.clone());
                return Ok(h);
            }
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
    src: &Source,
    header: &Header,
    range: Range<u32>,
) -> Result<(), String> {
    let key = (src.hash, [range.start, range.end]);
    let slices = &net.stages().slices;
    if slices.written.lock().expect("written").contains(&key) {
        return Ok(());
    }
    let ranges = header.ranges(range.clone());
    let bytes: u64 = ranges.iter().map(|r| r.end - r.start).sum();
    let disk = net.node().settings().engine.auto_models_disk;
    if bytes > disk {
        return Err(format!(
            "layers {}..{} of {} read {} of its file; --auto-models-disk allows {}",
            range.start,
            range.end,
            src.model,
            super::host::show(bytes),
            super::host::show(disk)
        ));
    }
    let mut outcome = {
        let mut running = slices.running.lock().expect("slice fetches");
        match running.get(&key) {
            Some(o) => o.clone(),
            None => {
                let (tx, rx) = tokio::sync::watch::channel(None);
                running.insert(key, rx.clone());
                let (net2, src2) = (net.clone(), src.clone());
                net.tasks().spawn(async move {
                    let r = fetch(&net2, &src2, key.1, &ranges).await;
                    let slices = &net2.stages().slices;
                    if r.is_ok() {
                        slices.written.lock().expect("written").insert(key);
                    }
                    slices.running.lock().expect("slice fetches").remove(&key);
                    tx.send_replace(Some(r));
                });
                rx
            }
        }
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

/// Fetches `ranges` of `src`'s file and writes them at their offsets in its sparse file.
async fn fetch(
    net: &Net,
    src: &Source,
    layers: [u32; 2],
    ranges: &[Range<u64>],
) -> Result<(), String> {
    let label = format!("{} layers {}..{}", src.model, layers[0], layers[1]);
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

/// Writes `data` at `offset` of the sparse file `path` of `size` bytes (made if missing).
fn write_at(path: &std::path::Path, size: u64, offset: u64, data: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    if f.metadata()?.len() != size {
        f.set_len(size)?;
    }
    f.write_all_at(data, offset)
}
