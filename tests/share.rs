//! Model files shared between peers: a node fetches the default model from the nodes that offer
//! it over iroh-blobs on loopback, with no hub and no pip; a fetch killed midway resumes; a node
//! whose file went bad on disk is skipped; a hand-built peer whose chunks do not match the hash
//! it offered, or whose whole file fails the catalog's sha256, is struck and nothing is kept.

use std::io::BufRead;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::*;
use crate::network::{first, joiner, peer};

/// The default model's variant, exactly.
fn variant() -> String {
    format!("{MODEL}:q4_1")
}

/// Whether `status` shows `id` verified and offering the default model's file.
fn offers(status: &Value, id: &str) -> bool {
    peer(status, id).is_some_and(|p| {
        p["health"]["state"] == "ok"
            && p["files"]
                .as_array()
                .is_some_and(|f| f.iter().any(|m| *m == variant()))
    })
}

/// `llp models fetch ARGS` for `node`'s data dir: a command without standard input whose
/// package index is unreachable (no hub, no pip: only peers can serve it).
fn fetch_cmd(node: &Node, models: &Path, args: &[&str]) -> std::process::Command {
    let mut c = llp();
    c.args(["models", "fetch"])
        .args(args)
        .arg("--data-dir")
        .arg(node.data_dir())
        .arg("--models-dir")
        .arg(models)
        .env_remove("PIP_FIND_LINKS")
        .env("PIP_NO_INDEX", "1")
        .env("LLP_HF_ENDPOINT", "http://127.0.0.1:9");
    c
}

/// Flips bytes of `path` at every twentieth of its length (after the header), so that any piece
/// of it a peer serves holds corrupt chunks.
fn corrupt(path: &Path) {
    use std::io::{Seek, SeekFrom, Write};
    let len = std::fs::metadata(path).unwrap().len();
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    for i in 1..20 {
        f.seek(SeekFrom::Start(len * i / 20)).unwrap();
        f.write_all(&[0x5a; 64]).unwrap();
    }
    f.sync_all().unwrap();
}

#[tokio::test]
async fn a_node_fetches_the_model_from_peers_resumes_after_a_kill_and_skips_a_bad_disk() {
    let original = models_dir().join(MODEL_FILE);
    // A serves the default model and offers it, sending at most 20 MB a second (so that the
    // fetch below is still running when it is killed).
    let a = first(&["--share-rate", "20MB"]);
    // A node whose disk went bad: a copy of the file, offered under its true hash, then
    // corrupted. Its own store refuses to send bytes that fail the hash: it is skipped, not
    // struck (its operator lied to nobody).
    let bad_disk_models = tempfile::tempdir().unwrap();
    std::fs::copy(&original, bad_disk_models.path().join(MODEL_FILE)).unwrap();
    let lm = bad_disk_models.path().to_str().unwrap();
    let bad_disk = joiner(&a.ticket(), &["--models-dir", lm, "--model", "none"]);
    // B holds no model and fetches.
    let b_models = tempfile::tempdir().unwrap();
    let bm = b_models.path().to_str().unwrap();
    let b_args = ["--models-dir", bm, "--model", "none", "--join"];
    let ticket = a.ticket();
    let b = joiner(&ticket, &["--models-dir", bm, "--model", "none"]);
    eventually(60, "B to see both offers", async || {
        let s = b.status().await;
        (offers(&s, &a.id) && offers(&s, &bad_disk.id)).then_some(())
    })
    .await;
    corrupt(&bad_disk_models.path().join(MODEL_FILE));

    // The first fetch, through B, is killed (B with it) partway.
    let mut child = fetch_cmd(&b, b_models.path(), &[&variant(), "--from-peers"])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    for line in lines {
        let line = line.unwrap();
        seen.push(line.clone());
        let pct = line
            .rsplit_once('(')
            .and_then(|(_, p)| p.strip_suffix("%)"))
            .and_then(|p| p.parse::<u32>().ok());
        if pct.is_some_and(|p| (10..90).contains(&p)) {
            break;
        }
        assert!(
            Instant::now() < deadline && !line.contains("error"),
            "{seen:#?}"
        );
    }
    b.signal("KILL");
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "{seen:#?}");
    let file = b_models.path().join(MODEL_FILE);
    assert!(!file.exists(), "a partial file never has the final name");

    // B again, same data dir: the plain fetch finds no hub (the index is unreachable), tries
    // the peers, and resumes with the chunks it had.
    let b = b.kill_and_restart(&[b_args[0], bm, b_args[2], b_args[3], b_args[4], &ticket]);
    eventually(60, "B to see both offers again", async || {
        let s = b.status().await;
        (offers(&s, &a.id) && offers(&s, &bad_disk.id)).then_some(())
    })
    .await;
    let out = run(&mut fetch_cmd(&b, b_models.path(), &[&variant()]));
    assert!(out.status.success(), "{}\n{}", stderr(&out), b.log_text());
    assert!(
        stderr(&out).contains("trying the network's peers"),
        "{}",
        stderr(&out)
    );
    let said = stdout(&out);
    assert!(said.contains("resumed with"), "{said}");
    assert!(said.contains("sha256 checked"), "{said}");
    // The same bytes as the original, and nothing left half-done.
    assert!(
        std::fs::read(&file).unwrap() == std::fs::read(&original).unwrap(),
        "the fetched file differs from the original"
    );
    assert!(!b_models.path().join(format!("{MODEL_FILE}.part")).exists());

    // Nobody is struck: the bad disk's node sent no bad byte.
    let s = b.status().await;
    assert_eq!(s["network"]["misbehaving"], serde_json::json!([]), "{s}");

    // B now offers the file itself, and serves it once loaded.
    eventually(30, "A to see B's offer", async || {
        offers(&a.status().await, &b.id).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_fetch_from_peers_with_none_offering_says_so_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let lone = Node::start(&["--model", "none", "--models-dir", d]);
    let out = run(&mut fetch_cmd(
        &lone,
        dir.path(),
        &[&variant(), "--from-peers"],
    ));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no peer offers"), "{}", stderr(&out));
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
}

/// A member of `at`'s network that offers the default model's file under `hash` and serves
/// `data` for it, encoded against `outboard` (the true file's tree): with corrupt data, chunks
/// that fail the hash; with another file and its own tree, a file that fails the sha256.
async fn lying_provider(
    at: crate::wire::Attacker,
    data: std::sync::Arc<Vec<u8>>,
    outboard: std::sync::Arc<bao_tree::io::outboard::PostOrderMemOutboard>,
) {
    use local_llm_proxy::net::wire::{self, FileAd, Reply, Request};
    let conn = at.member().await;
    let addr = at.ep.bound_sockets()[0];
    let file = FileAd {
        model: variant(),
        blake3: outboard.root.to_hex().to_string(),
        size: data.len() as u64,
    };
    // Its announcements: the file, and where to fetch it.
    let member = {
        let at = at.clone();
        async move {
            let mut seq = 1;
            while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
                let Ok(Some(req)) = wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await else {
                    continue;
                };
                let reply = match req {
                    Request::GetAnnouncement => {
                        seq += 1;
                        let mut a = wire::Announcement::new(seq, &at.ticket.network, vec![]);
                        a.addrs = vec![addr];
                        a.files = vec![file.clone()];
                        Reply::Announcement {
                            signed: wire::seal(at.ep.secret_key(), &at.topic(), &a),
                        }
                    }
                    Request::Ping { nonce } => Reply::Pong { nonce },
                    _ => continue,
                };
                let _ = wire::write(&mut tx, &reply).await;
                let _ = tx.finish();
            }
        }
    };
    // Its blobs: whatever chunks are asked, from `data`, with no check of its own.
    at.ep
        .set_alpns(vec![wire::ALPN.to_vec(), iroh_blobs::ALPN.to_vec()]);
    let blobs = async move {
        while let Some(incoming) = at.ep.accept().await {
            let Ok(c) = incoming.await else { continue };
            let (data, outboard) = (data.clone(), outboard.clone());
            tokio::spawn(async move {
                while let Ok((mut tx, mut rx)) = c.accept_bi().await {
                    let Ok(bytes) = rx.read_to_end(1 << 16).await else {
                        return;
                    };
                    let Ok(req) =
                        postcard::from_bytes::<iroh_blobs::protocol::GetRequest>(&bytes[1..])
                    else {
                        return;
                    };
                    let ranges = req.ranges.iter_infinite().next().unwrap().clone();
                    let mut out = (data.len() as u64).to_le_bytes().to_vec();
                    bao_tree::io::sync::encode_ranges(&data[..], &*outboard, &ranges, &mut out)
                        .unwrap();
                    let _ = tx.write_all(&out).await;
                    let _ = tx.finish();
                }
            });
        }
    };
    tokio::join!(member, blobs);
}

#[tokio::test]
async fn a_peer_that_sends_bad_chunks_or_a_wrong_file_is_struck_and_nothing_is_kept() {
    use bao_tree::BlockSize;
    use bao_tree::io::outboard::PostOrderMemOutboard;
    use std::sync::Arc;
    let original = std::fs::read(models_dir().join(MODEL_FILE)).unwrap();
    let block = BlockSize::from_chunk_log(4);
    let cases = [
        // The true hash, with a byte flipped in every twentieth of the file.
        ("bad chunks", {
            let mut bad = original.clone();
            for i in 1..20 {
                bad[original.len() * i / 20] ^= 0xff;
            }
            (bad, PostOrderMemOutboard::create(&original, block))
        }),
        // Another file of the same size, under its own (true) hash: every chunk verifies, the
        // whole file fails the catalog's sha256.
        ("a wrong file", {
            let other: Vec<u8> = original.iter().map(|b| b.wrapping_add(1)).collect();
            let tree = PostOrderMemOutboard::create(&other, block);
            (other, tree)
        }),
    ];
    for (what, (data, outboard)) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let gw = Node::start(&["--model", "none", "--models-dir", d]);
        let at = crate::wire::attacker(&gw).await;
        let liar = at.id();
        let server = tokio::spawn(lying_provider(at, Arc::new(data), Arc::new(outboard)));
        eventually(30, "the gateway to see the offer", async || {
            offers(&gw.status().await, &liar).then_some(())
        })
        .await;
        // Off the test's one thread: the liar answers on it meanwhile.
        let mut cmd = fetch_cmd(&gw, dir.path(), &[&variant(), "--from-peers"]);
        let out = tokio::task::spawn_blocking(move || run(&mut cmd))
            .await
            .unwrap();
        assert!(!out.status.success(), "{what}: {}", stdout(&out));
        let why = stderr(&out);
        let expect = if what == "bad chunks" {
            "sent bad data"
        } else {
            "sha256"
        };
        assert!(why.contains(expect), "{what}: {why}");
        assert!(
            crate::wire::strikes_of(&gw, &liar).await >= 1,
            "{what}: the liar is struck"
        );
        // Nothing under the model's name, no part left behind.
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".gguf"))
            .collect();
        assert!(left.is_empty(), "{what}: {left:?}");
        server.abort();
    }
}
