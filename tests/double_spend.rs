//! Spending one balance twice (property 4 of the economy): concurrently on several workers, or
//! by showing a worker a stale head. A paid job's credits are held on the requester's chain
//! first, so one balance backs jobs on several workers only through a fork, and the workers'
//! witnesses catch a fork before the work (or within the first window of tokens).

use iroh::endpoint::{RecvStream, SendStream};
use local_llm_proxy::net::wire::{self, Reply, Request};

use crate::common::*;
use crate::economy::Payer;
use crate::network::{first, joiner, until_routable};

/// Tokens a worker streams beyond the requester's last promise (`net::serve::tab::WINDOW`).
const WINDOW: u32 = 32;

/// How a job of the double spender's went on one worker.
#[derive(Debug)]
enum Outcome {
    /// Refused before any work: the refusal's code and message.
    Refused(String, String),
    /// Accepted: the tokens it streamed before it stopped, and how it ended.
    Streamed(u32, String),
}

/// Follows a job as a requester that looks honest would (a promise every 8 tokens), so the
/// worker goes on as long as it does not know better.
async fn follow_promising(p: &Payer, job: &str, mut tx: SendStream, mut rx: RecvStream) -> Outcome {
    let mut n = 0;
    loop {
        let frame = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            wire::read::<Reply, _>(&mut rx, wire::MAX_SMALL_FRAME),
        )
        .await
        .unwrap();
        match frame {
            Ok(Some(Reply::Refused { code, message })) => {
                return Outcome::Refused(code.to_string(), message);
            }
            Ok(Some(Reply::Token { .. })) => {
                n += 1;
                if n % 8 == 0 {
                    let pay = Request::Pay(Box::new(p.promise(job, n)));
                    let _ = wire::write(&mut tx, &pay).await;
                }
            }
            Ok(Some(Reply::Failed { message })) => return Outcome::Streamed(n, message),
            Ok(Some(Reply::Done { reason, .. })) => return Outcome::Streamed(n, reason),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return Outcome::Streamed(n, "stream closed".into()),
        }
    }
}

#[tokio::test]
async fn one_balance_on_three_workers_and_a_stale_head_cost_at_most_the_window_and_ban_the_key() {
    let w1 = first(&[]);
    let ticket = w1.ticket();
    let (w2, w3, w4) = (
        joiner(&ticket, &[]),
        joiner(&ticket, &[]),
        joiner(&ticket, &[]),
    );
    for w in [&w2, &w3, &w4] {
        until_routable(w, &[&w1]).await;
    }
    until_routable(&w1, &[&w2, &w3, &w4]).await;
    let workers = [&w1, &w2, &w3, &w4];
    let before: Vec<u64> = balances(&workers).await;
    // Enough credits for one long job: every job below asks for all of them.
    let budget = Payer::price_of(400);
    let p1 = Payer::new(&w1, |key, network| {
        Payer::admitted(key, network, budget + 1)
    })
    .await;
    // One credit held for a job it never sends: seq 1 of its chain is shown to nobody.
    p1.hold("j0", 1);

    // Without a fork, the balance is held for one job only: W1's job runs and is paid, while
    // W2, asked at once for another job on the same balance, finds no hold for it and refuses
    // it before any work.
    let p2 = p1.to(&w2).await;
    let (mut t1, mut r1) = p1.job("j1", 8, budget).await;
    let (_t2, mut r2) = p2.job_as_is("j2", 400, budget).await;
    let (code, msg, _) = Payer::refusal(&mut r2).await;
    assert_eq!(code, "credits", "{msg}");
    assert!(msg.contains("holds no credits for job j2"), "{msg}");
    assert_eq!(Payer::tokens(&mut r1).await, 8);
    let paid = p1.pay(&mut t1, "j1", 8).await.receipt.credits;
    eventually(20, "W1 earns it", async || {
        (balances(&[&w1]).await[0] == before[0] + paid).then_some(())
    })
    .await;

    // A stale head shown to a fourth: its chain as it was before those jobs (its grant), then
    // the same credits held for W4. W4's witnesses hold a later head, and the requester
    // cannot serve a chain from W4's head to it: refused before any work.
    let o4 = on_branch(&p1, &w4, &[("j4", budget)]).await;
    assert!(
        matches!(&o4, Outcome::Refused(code, m) if code == "ledger" && m.contains("does not lead")),
        "{o4:?}"
    );
    // Then W4 is shown yet another branch from the grant, with a new hold: its entry 1 and
    // the head of seq 1 W4 was shown before are both signed by the key and disagree, a proof
    // that reaches every node.
    let o5 = on_branch(&p1, &w4, &[("j7", 1), ("j6", budget)]).await;
    assert!(
        matches!(&o5, Outcome::Refused(code, m) if code == "ledger" && m.contains("proven")),
        "{o5:?}"
    );
    proven_everywhere(&workers, &p1.at.id(), 1).await;

    // One balance on three workers at once: three branches of a new chain, each holding all
    // of it for one worker, followed as an honest requester would. W1's job is streaming
    // before the other two are sent: they are refused before any work, and the proof stops
    // W1's job within its first windows.
    let q1 = Payer::new(&w1, |key, network| Payer::admitted(key, network, budget)).await;
    let q_id = q1.at.id();
    let (q2, q3) = (q1.forked_to(&w2, 1).await, q1.forked_to(&w3, 1).await);
    q1.hold("k1", budget);
    let (tx, rx) = q1.job_as_is("k1", 400, budget).await;
    let on_w1 = tokio::spawn(async move { follow_promising(&q1, "k1", tx, rx).await });
    eventually(30, "W1 runs the first job", async || {
        (!w1.status().await["jobs"].as_array()?.is_empty()).then_some(())
    })
    .await;
    let mut jobs = Vec::new();
    for (q, job) in [(&q2, "k2"), (&q3, "k3")] {
        q.hold(job, budget);
        let (tx, rx) = q.job_as_is(job, 400, budget).await;
        jobs.push(follow_promising(q, job, tx, rx));
    }
    let mut outcomes = futures_util::future::join_all(jobs).await;
    outcomes.insert(0, on_w1.await.unwrap());
    eprintln!("{outcomes:?}");
    for o in &outcomes {
        match o {
            // Refused before any work: as a banned key (a witness, or the proof W1's job made,
            // told this worker first), or by its own audit (the proof arrived while it admitted
            // the job, or the head it was shown contradicts one it saw).
            Outcome::Refused(code, msg) => assert!(
                code == "banned" || (code == "ledger" && msg.contains("equivocation")),
                "{code}: {msg}"
            ),
            Outcome::Streamed(n, why) => {
                assert!(
                    *n <= 2 * WINDOW,
                    "streamed {n} tokens to a double spender ({why})"
                );
                assert!(why.contains("fork"), "{why}");
            }
        }
    }
    proven_everywhere(&workers, &q_id, 1).await;
    let (_tx, mut rx) = q2.job_as_is("k5", 4, 1).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "banned", "{msg}");

    // Nothing else was earned from them; every honest chain verifies.
    let mut after = before.clone();
    after[0] += paid;
    assert_eq!(balances(&workers).await, after);
    for w in workers {
        assert_chain_verifies(w.data_dir());
    }
}

#[tokio::test]
async fn a_refused_job_s_hold_is_waived_and_the_waiver_releases_that_hold_only() {
    let w = first(&[]);
    let before = balances(&[&w]).await[0];
    let budget = Payer::price_of(16);
    let p = Payer::new(&w, |key, network| Payer::admitted(key, network, budget + 2)).await;
    // A job for a model the worker does not serve: refused, and its hold waived.
    p.hold("r1", budget);
    let (_tx, mut rx) = p.job_of("no-such-model:q4_1", "r1", 8, budget).await;
    let (code, msg, waiver) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "model", "{msg}");
    let waiver = waiver.expect("a refused job's hold is waived");
    // The waived hold sent again with a job the worker can run: refused, it backs no work.
    let (_tx, mut rx) = p.job_as_is("r1", 8, budget).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "credits", "{msg}");
    assert!(msg.contains("was waived by this node"), "{msg}");
    // Released with the waiver at once, its credits back a job that runs and is paid.
    p.release("r1", Some(waiver));
    let (mut tx, mut rx) = p.job("r2", 8, budget).await;
    assert_eq!(Payer::tokens(&mut rx).await, 8);
    let paid = p.pay(&mut tx, "r2", 8).await.receipt.credits;
    eventually(20, "the worker earns it", async || {
        (balances(&[&w]).await[0] == before + paid).then_some(())
    })
    .await;
    // That waiver does not release another hold of the same job: the chain that says it does
    // fails the worker's audit.
    p.hold("r1", 1);
    p.release("r1", Some(waiver));
    p.hold("r3", 1);
    let (_tx, mut rx) = p.job_as_is("r3", 8, 1).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "ledger", "{msg}");
    assert!(msg.contains("a hold lasts 30 min"), "{msg}");
    assert_eq!(balances(&[&w]).await[0], before + paid);
    assert_chain_verifies(w.data_dir());
}

/// Shows `w` a branch of `p`'s chain from its grant with these holds, and sends the job of the
/// last one (all its credits), followed as an honest requester would.
async fn on_branch(p: &Payer, w: &Node, holds: &[(&str, u64)]) -> Outcome {
    let branch = p.forked_to(w, 1).await;
    for (job, credits) in holds {
        branch.hold(job, *credits);
    }
    let (job, budget) = *holds.last().unwrap();
    let (tx, rx) = branch.job_as_is(job, 400, budget).await;
    follow_promising(&branch, job, tx, rx).await
}

/// Waits until every node holds the proof that `id` forked its chain at `seq`.
async fn proven_everywhere(nodes: &[&Node], id: &str, seq: u64) {
    for n in nodes {
        eventually(30, &format!("{} knows it forked", &n.id[..8]), async || {
            let s = n.status().await;
            let list = s["network"]["equivocators"].as_array()?;
            list.iter()
                .any(|e| e["peer"] == id && e["seq"] == seq)
                .then_some(())
        })
        .await;
    }
}

async fn balances(nodes: &[&Node]) -> Vec<u64> {
    let mut out = Vec::new();
    for n in nodes {
        out.push(n.status().await["ledger"]["balance"].as_u64().unwrap());
    }
    out
}
