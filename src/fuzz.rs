//! Fuzzing of every decoder that reads what others wrote: the wire's frames and signed
//! announcements, ledger entries and exports, the config file, the model catalog and the
//! OpenAI request parser (its target lives in `api::openai`, beside the private parser).
//!
//! cargo-fuzz needs a nightly toolchain (this project builds on stable, and no other can be
//! fetched here) and would rebuild llama.cpp instrumented, so these are proptest runs instead:
//! each input is either random bytes or a seed from the target's corpus
//! (`tests/corpus/TARGET/`, kept in the repo) mutated by byte flips, insertions, deletions,
//! truncations and splices. A target passes when no input panics; a panicking input is saved
//! to `tests/corpus/TARGET/crash-*` before the test fails, so it stays a seed.
//!
//! `LLP_FUZZ_SECS=600 cargo test --lib fuzz` runs each target for ten minutes
//! (`scripts/fuzz.sh`); without it each runs 2,000 inputs (CI).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};

/// One edit of a seed.
#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Splice(usize, usize, usize),
    Repeat(usize, usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Edit::Flip(p, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(p, v)| Edit::Insert(p, v)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Edit::Delete(p, n)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..64).prop_map(|(s, p, n)| Edit::Splice(s, p, n)),
        (any::<usize>(), 1usize..512, any::<u8>()).prop_map(|(p, n, b)| Edit::Repeat(p, n, b)),
    ]
}

fn apply(mut v: Vec<u8>, edits: &[Edit], other: &[u8]) -> Vec<u8> {
    let at = |p: usize, len: usize| if len == 0 { 0 } else { p % (len + 1) };
    for e in edits {
        match e {
            Edit::Flip(p, b) if !v.is_empty() => {
                let i = p % v.len();
                v[i] ^= b | 1;
            }
            Edit::Flip(..) => {}
            Edit::Insert(p, bytes) => {
                let i = at(*p, v.len());
                v.splice(i..i, bytes.iter().copied());
            }
            Edit::Delete(p, n) => {
                let i = at(*p, v.len());
                let end = (i + n).min(v.len());
                v.drain(i..end);
            }
            Edit::Truncate(p) => v.truncate(at(*p, v.len())),
            Edit::Splice(s, p, n) => {
                let from = at(*s, other.len());
                let piece = &other[from..(from + n).min(other.len())];
                let i = at(*p, v.len());
                v.splice(i..i, piece.iter().copied());
            }
            Edit::Repeat(p, n, b) => {
                let i = at(*p, v.len());
                v.splice(i..i, std::iter::repeat_n(*b, *n));
            }
        }
    }
    v
}

fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target)
}

/// The target's corpus: its files in the repo and `seeds` (written there when the target has
/// none yet, which is how a new target's corpus starts).
fn corpus(target: &str, seeds: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut all: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read(e.path()).ok())
        .collect();
    let first = all.is_empty();
    for s in seeds {
        if first {
            let name = format!("seed-{}", &blake3::hash(s).to_hex()[..16]);
            let _ = std::fs::create_dir_all(&dir);
            let _ = std::fs::write(dir.join(name), s);
        }
        if !all.contains(s) {
            all.push(s.clone());
        }
    }
    all
}

/// Runs `check` on fuzzed inputs: for `LLP_FUZZ_SECS` seconds, or 2,000 inputs. Returns how
/// many ran.
pub(crate) fn fuzz(target: &str, seeds: &[Vec<u8>], check: impl Fn(&[u8])) -> u64 {
    let corpus = corpus(target, seeds);
    assert!(!corpus.is_empty(), "the corpus of {target} is empty");
    let secs: u64 = std::env::var("LLP_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let input = prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..2048),
        6 => (0..corpus.len(), 0..corpus.len(), prop::collection::vec(edit(), 1..8))
            .prop_map(move |(a, b, edits)| apply(corpus[a].clone(), &edits, &corpus[b])),
    ];
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let mut ran = 0u64;
    loop {
        if secs == 0 && ran >= 2000 || secs > 0 && Instant::now() >= deadline {
            break;
        }
        let bytes = input.new_tree(&mut runner).expect("a fuzz input").current();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&bytes)));
        if outcome.is_err() {
            let path =
                corpus_dir(target).join(format!("crash-{}", &blake3::hash(&bytes).to_hex()[..16]));
            let _ = std::fs::write(&path, &bytes);
            panic!("{target}: an input panicked; saved to {}", path.display());
        }
        ran += 1;
    }
    eprintln!("fuzz {target}: {ran} inputs, no panic");
    ran
}

#[cfg(test)]
mod targets {
    use super::fuzz;
    use crate::ids::NodeId;
    use crate::net::wire::{self, Membership, Reply, Request};

    fn node() -> NodeId {
        NodeId::from(iroh::SecretKey::from_bytes(&[7; 32]).public())
    }

    #[test]
    fn wire_frames() {
        let seeds: Vec<Vec<u8>> = [
            Request::Ping { nonce: 1 },
            Request::FindNode {
                target: node().to_string(),
            },
            Request::Hello {
                version: wire::VERSION,
                network: "public".into(),
                proof: "00".repeat(32),
                policy: "p".into(),
            },
            Request::GetAnnouncement,
            Request::GetProviders {
                key: node().to_string(),
                from: 3,
            },
            Request::Provide {
                signed: "00".repeat(120),
            },
            Request::HeadOf {
                id: node().to_string(),
            },
        ]
        .iter()
        .map(|r| wire::encode(r)[4..].to_vec())
        .chain([wire::encode(&Reply::refused(wire::RefuseCode::Busy, "busy"))[4..].to_vec()])
        .collect();
        fuzz("wire-frame", &seeds, |b| {
            let _ = wire::decode::<Request>(b);
            let _ = wire::decode::<Reply>(b);
            // A frame as it arrives: its length prefix read from the input too (a slice
            // reads at once, so the future is ready on its first poll).
            let mut r = b;
            let read = wire::read::<Request, _>(&mut r, wire::MAX_FRAME);
            let _ = futures_util::FutureExt::now_or_never(read);
        });
    }

    #[test]
    fn signed_announcements() {
        let key = iroh::SecretKey::from_bytes(&[9; 32]);
        let topic = Membership::derive("public", "").topic();
        let mut a = wire::Announcement::new(1, "public", Vec::new());
        a.addrs = vec!["127.0.0.1:7000".parse().expect("an address")];
        // The corpus's announcements are sealed again with this key: a mutated body then
        // reaches the decoder behind a good signature as well as a bad one.
        let seeds: Vec<Vec<u8>> = std::fs::read_dir(super::corpus_dir("announcement"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|b| wire::open(&topic, &b).ok())
            .map(|(_, a)| wire::seal(&key, &topic, &a))
            .chain([wire::seal(&key, &topic, &a)])
            .collect();
        fuzz("announcement", &seeds, |b| {
            if let Ok((_, a)) = wire::open(&topic, b) {
                // What is accepted must survive being sealed again.
                assert!(wire::open(&topic, &wire::seal(&key, &topic, &a)).is_ok());
            }
        });
    }

    /// A ledger's export and its entries: made by a real ledger, then fuzzed.
    #[test]
    fn ledger_entries_and_exports() {
        use crate::ledger::chain::{Entry, Rules, verify_export};
        let dir = tempfile::tempdir().expect("a temp dir");
        let policy = crate::ledger::Policy {
            starter_grant: 100,
            admission_bits: 2,
            ..Default::default()
        };
        let key = iroh::SecretKey::from_bytes(&[3; 32]);
        let catalog = crate::bench::ledger::sample_catalog();
        let l = crate::ledger::Ledger::open(dir.path(), key, policy, catalog, "fuzz")
            .expect("a ledger");
        let export = l.export().expect("an export");
        let entries = l.entries_after(None, 100).expect("entries");
        drop(l);
        let now = crate::ids::now_ms();
        fuzz("ledger-export", &[export.into_bytes()], |b| {
            let text = String::from_utf8_lossy(b);
            let _ = verify_export(&text, None, Rules::default(), now);
        });
        fuzz("ledger-entry", &entries, |b| {
            if let Ok(e) = Entry::decode(b) {
                // What decodes is exactly what it says: encoding it again gives the bytes.
                assert_eq!(e.encode(), b, "an entry re-encodes differently");
            }
        });
    }

    /// The config file: parsed and resolved into settings as `llp` does at start.
    #[test]
    fn config_files() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("config.toml");
        let readme = include_str!("../README.md");
        let example = readme
            .split("```toml\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .unwrap_or("api = \"127.0.0.1:8686\"\n");
        let seeds = vec![
            example.as_bytes().to_vec(),
            b"slots = 3\nthreads = 5\n[credits]\nstarter_grant = 10\n".to_vec(),
        ];
        fuzz("config", &seeds, |b| {
            std::fs::write(&path, b).expect("write the config");
            let layer = crate::config::Layer {
                config: Some(path.clone()),
                ..Default::default()
            };
            let _ = crate::config::Settings::resolve(layer);
        });
    }

    /// The model catalog (`models.toml` and `--catalog FILE`).
    #[test]
    fn catalogs() {
        let seeds = vec![include_bytes!("../models.toml").to_vec()];
        fuzz("catalog", &seeds, |b| {
            let _ = crate::catalog::Catalog::parse(&String::from_utf8_lossy(b), "fuzz.toml");
        });
    }
}
