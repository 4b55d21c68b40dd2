//! The economy under attack: hand-built requesters (from the crate, as `wire.rs` builds its
//! attackers) against real `llp serve` nodes. Each attack fails with a named, logged outcome,
//! nothing wrong is appended to an honest chain, and honest balances are exact afterwards.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use iroh::SecretKey;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use local_llm_proxy::bench::ledger::{payer_spend, sample_chain_in};
use local_llm_proxy::ids::{NodeId, now_ms};
use local_llm_proxy::ledger::chain::{Reserve, Waiver};
use local_llm_proxy::ledger::{
    Admission, Entry, Head, Payload, Policy, Position, Promise, Receipt,
};
use local_llm_proxy::net::wire::{self, Reply, Request};

use crate::common::*;
use crate::network::{first, joiner, until_routable};
use crate::wire::{Attacker, attacker, attacker_as, refused, strikes_of};

pub(crate) const PARAMETERS: u64 = 134_515_008;
const CONTEXT: u32 = 8192;
const PROMPT: &str = "Say hi.";

/// Answers every `GetChain` on `conn` with the chain as it is then.
async fn serve_chain(conn: Connection, chain: Arc<Mutex<Vec<Vec<u8>>>>) {
    while let Ok((mut tx, mut rx)) = conn.accept_bi().await {
        if let Ok(Some(Request::GetChain { after })) =
            wire::read::<Request, _>(&mut rx, wire::MAX_FRAME).await
        {
            let from = after.map_or(0, |a| a as usize + 1);
            let entries = chain
                .lock()
                .unwrap()
                .iter()
                .skip(from)
                .map(hex::encode)
                .collect();
            let _ = wire::write(&mut tx, &Reply::Entries { entries }).await;
            let _ = wire::write(&mut tx, &Reply::ChainEnd).await;
        }
        let _ = tx.finish();
    }
}

/// The first entry of a chain: `amount` credits granted, with `admission`.
fn grant(key: &SecretKey, admission: Admission, amount: u64) -> Vec<u8> {
    Position::START
        .append(key, amount, 0, Payload::Grant(admission), now_ms())
        .unwrap()
        .encode()
}

/// A requester made by hand: its own chain (served to audits), paid jobs, promises, payments.
pub(crate) struct Payer {
    pub at: Attacker,
    pub conn: Connection,
    pub key: SecretKey,
    pub chain: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Payer {
    pub async fn new(node: &Node, chain: impl FnOnce(&SecretKey, &str) -> Vec<Vec<u8>>) -> Payer {
        let at = attacker(node).await;
        let conn = at.member().await;
        let key = at.ep.secret_key().clone();
        let chain = Arc::new(Mutex::new(chain(&key, &at.ticket.network)));
        tokio::spawn(serve_chain(conn.clone(), chain.clone()));
        Payer {
            at,
            conn,
            key,
            chain,
        }
    }

    /// A chain admitted to `network` as the tests' networks ask, with `amount` credits.
    pub fn admitted(key: &SecretKey, network: &str, amount: u64) -> Vec<Vec<u8>> {
        let a = Admission::solve(&NodeId::from(key), network, 4, 1, &|_| {});
        vec![grant(key, a, amount)]
    }

    /// The same identity and chain, talking to another node.
    pub(crate) async fn to(&self, node: &Node) -> Payer {
        let at = attacker_as(node, self.key.clone()).await;
        let conn = at.member().await;
        tokio::spawn(serve_chain(conn.clone(), self.chain.clone()));
        Payer {
            at,
            conn,
            key: self.key.clone(),
            chain: self.chain.clone(),
        }
    }

    /// The same identity talking to another node, showing it another chain: its first `keep`
    /// entries, then whatever it appends (a fork).
    pub(crate) async fn forked_to(&self, node: &Node, keep: usize) -> Payer {
        let at = attacker_as(node, self.key.clone()).await;
        let conn = at.member().await;
        let chain = Arc::new(Mutex::new(self.chain.lock().unwrap()[..keep].to_vec()));
        tokio::spawn(serve_chain(conn.clone(), chain.clone()));
        Payer {
            at,
            conn,
            key: self.key.clone(),
            chain,
        }
    }

    /// Pays its promise for `n` tokens of `job` at the end of its chain, and says so.
    pub(crate) async fn pay(&self, tx: &mut SendStream, job: &str, n: u32) -> Promise {
        let last = self.promise(job, n);
        wire::write(tx, &Request::Pay(Box::new(last.clone())))
            .await
            .unwrap();
        let paid = self.spend(&last, None);
        wire::write(tx, &paid).await.unwrap();
        last
    }

    fn worker(&self) -> NodeId {
        NodeId::from(self.at.target.id)
    }

    /// The signed head of its chain as it is.
    fn head(&self) -> Head {
        let chain = self.chain.lock().unwrap();
        let last = chain.last().unwrap();
        let e = Entry::decode(last).unwrap();
        Head::sign(&self.key, e.seq, *blake3::hash(last).as_bytes(), e.balance)
    }

    /// The price of a job of `completion` answer tokens after its prompt.
    pub(crate) fn price_of(completion: u32) -> u64 {
        test_policy().price(PARAMETERS, "q4_1", (Self::billed() + completion) as u64)
    }

    /// The prompt tokens a job is billed (the rule both sides compute).
    fn billed() -> u32 {
        Policy::billed_prompt("user".len() + PROMPT.len(), 1, 0, CONTEXT)
    }

    /// Its promise for `completion` answer tokens of `job`.
    pub(crate) fn promise(&self, job: &str, completion: u32) -> Promise {
        let prompt = Self::billed();
        let r = Receipt {
            job: job.into(),
            requester: NodeId::from(&self.key),
            worker: self.worker(),
            model: MODEL.into(),
            quant: "q4_1".into(),
            prompt_tokens: prompt,
            completion_tokens: completion,
            credits: test_policy().price(PARAMETERS, "q4_1", (prompt + completion) as u64),
            time_ms: now_ms(),
        };
        Promise::new(r, &self.key)
    }

    /// Sets `budget` credits aside for `job` on its worker: a hold at the end of its chain.
    pub(crate) fn hold(&self, job: &str, budget: u64) {
        let mut chain = self.chain.lock().unwrap();
        let last = chain.last().unwrap().clone();
        let reserve = Reserve {
            job: job.into(),
            worker: self.worker(),
            waiver: None,
        };
        let e = Position::after(&Entry::decode(&last).unwrap(), &last)
            .append(&self.key, budget, 0, Payload::Hold(reserve), now_ms())
            .expect("a hold within the balance");
        chain.push(e.encode());
    }

    /// Releases its open hold for `job` (with `waiver`, or without), whatever the rules say.
    pub(crate) fn release(&self, job: &str, waiver: Option<Waiver>) {
        let amount = self.held(job);
        let mut chain = self.chain.lock().unwrap();
        let last = chain.last().unwrap().clone();
        let reserve = Reserve {
            job: job.into(),
            worker: self.worker(),
            waiver,
        };
        let e = Position::after(&Entry::decode(&last).unwrap(), &last)
            .append(&self.key, amount, 0, Payload::Release(reserve), now_ms())
            .unwrap();
        chain.push(e.encode());
    }

    /// Its chain's hold entry for `job`, if one is open.
    pub(crate) fn hold_entry(&self, job: &str) -> Option<Vec<u8>> {
        let mut open = None;
        for raw in self.chain.lock().unwrap().iter() {
            match Entry::decode(raw).unwrap().payload {
                Payload::Hold(r) if r.job == job => open = Some(raw.clone()),
                Payload::Spend(r) if r.job == job => open = None,
                Payload::Release(r) if r.job == job => open = None,
                _ => {}
            }
        }
        open
    }

    /// The credits its chain holds for `job`, if a hold is open.
    fn held(&self, job: &str) -> u64 {
        self.hold_entry(job)
            .map_or(0, |raw| Entry::decode(&raw).unwrap().amount)
    }

    /// Sends a paid job (`max_tokens` answer tokens, `budget` credits, held on its chain first)
    /// with its head and its promise for the prompt; returns the job's stream.
    pub(crate) async fn job(
        &self,
        job: &str,
        max_tokens: u32,
        budget: u64,
    ) -> (SendStream, RecvStream) {
        if budget > 0 {
            self.hold(job, budget);
        }
        self.job_as_is(job, max_tokens, budget).await
    }

    /// Sends a paid job without holding its credits first.
    pub(crate) async fn job_as_is(
        &self,
        job: &str,
        max_tokens: u32,
        budget: u64,
    ) -> (SendStream, RecvStream) {
        self.job_of(&format!("{MODEL}:q4_1"), job, max_tokens, budget)
            .await
    }

    /// Sends a paid job for `model` (`name:quant`) without holding its credits first.
    pub(crate) async fn job_of(
        &self,
        model: &str,
        job: &str,
        max_tokens: u32,
        budget: u64,
    ) -> (SendStream, RecvStream) {
        let req = Request::Infer(wire::InferRequest {
            job: job.into(),
            model: model.into(),
            prompt: wire::Prompt::Chat(vec![local_llm_proxy::job::ChatMsg::new("user", PROMPT)]),
            continuation: vec![],
            max_tokens: Some(max_tokens),
            sampling: wire::WireSampling {
                top_p: 1.0,
                ..Default::default()
            },
            stop: vec![],
            ignore_eos: true,
            budget,
            head: Some(Box::new(self.head())),
            promise: Some(Box::new(self.promise(job, 0))),
            hold: self.hold_entry(job).map(hex::encode),
            constraints: Default::default(),
            logprobs: None,
        });
        let (mut tx, rx) = self.conn.open_bi().await.unwrap();
        wire::write(&mut tx, &req).await.unwrap();
        (tx, rx)
    }

    /// The first answer to a job (past the waiver that comes before a refusal).
    pub(crate) async fn first(rx: &mut RecvStream) -> Option<Reply> {
        loop {
            match wire::read::<Reply, _>(rx, wire::MAX_SMALL_FRAME)
                .await
                .unwrap()
            {
                Some(Reply::Waived { .. }) => continue,
                other => return other,
            }
        }
    }

    /// Reads a refusal of a job: its code and message, and the worker's waiver of the job's
    /// hold that comes before it for a paid job.
    pub(crate) async fn refusal(rx: &mut RecvStream) -> (String, String, Option<Waiver>) {
        let mut waiver = None;
        loop {
            match wire::read::<Reply, _>(rx, wire::MAX_SMALL_FRAME)
                .await
                .unwrap()
            {
                Some(Reply::Waived { waiver: w }) => waiver = Some(w),
                other => {
                    let (code, msg) = refused(other);
                    return (code, msg, waiver);
                }
            }
        }
    }

    /// Reads a job's frames to its end; the tokens received.
    pub(crate) async fn tokens(rx: &mut RecvStream) -> u32 {
        let mut n = 0;
        loop {
            let r = tokio::time::timeout(
                Duration::from_secs(60),
                wire::read::<Reply, _>(rx, wire::MAX_SMALL_FRAME),
            )
            .await
            .unwrap()
            .unwrap();
            match r {
                Some(Reply::Token { .. }) => n += 1,
                Some(Reply::Done { .. } | Reply::Failed { .. }) => return n,
                Some(Reply::Refused { code, message }) => panic!("refused ({code}): {message}"),
                Some(_) => continue,
                None => return n,
            }
        }
    }

    /// Records a spend of `p` in its chain (as it serves it), at `seq` after `prev` when given
    /// (a lie), else at the chain's end; returns the `Paid` frame.
    fn spend(&self, p: &Promise, at: Option<(u64, [u8; 32], u64)>) -> Request {
        let held = if at.is_none() {
            self.held(&p.receipt.job)
        } else {
            0
        };
        let mut chain = self.chain.lock().unwrap();
        let last = chain.last().unwrap().clone();
        let le = Entry::decode(&last).unwrap();
        let pos = match at {
            Some((next, prev, balance)) => Position {
                next,
                prev,
                time_ms: le.time_ms,
                balance,
            },
            None => Position::after(&le, &last),
        };
        let e = pos
            .append(
                &self.key,
                p.receipt.credits,
                held,
                Payload::Spend(p.receipt.clone()),
                now_ms(),
            )
            .unwrap();
        let raw = e.encode();
        if at.is_none() {
            chain.push(raw.clone());
        }
        Request::Paid {
            entry: hex::encode(&raw),
            head: Box::new(Head::sign(&self.key, e.seq, e.hash(), e.balance)),
        }
    }
}

pub(crate) async fn ledger_of(node: &Node) -> (u64, u64) {
    let s = node.status().await;
    (
        s["ledger"]["entries"].as_u64().unwrap(),
        s["ledger"]["balance"].as_u64().unwrap(),
    )
}

#[tokio::test]
async fn fresh_identities_cannot_spend_before_paying_admission() {
    let node = Node::start(&[]);
    let before = ledger_of(&node).await;
    // A script making 20 identities: each a fresh key whose chain grants itself the starter
    // grant without solving the puzzle (or solving it for too little work).
    let started = Instant::now();
    for i in 0..20 {
        let p = Payer::new(&node, |key, network| {
            let id = NodeId::from(key);
            let a = if i % 2 == 0 {
                Admission {
                    network: network.into(),
                    bits: 4,
                    nonce: (0..)
                        .find(|&n| {
                            Admission {
                                network: network.into(),
                                bits: 4,
                                nonce: n,
                            }
                            .check(&id)
                            .is_err()
                        })
                        .unwrap(),
                }
            } else {
                Admission::solve(&id, network, 0, 1, &|_| {})
            };
            vec![grant(key, a, 1000)]
        })
        .await;
        let (_tx, mut rx) = p.job(&format!("farm-{i}"), 4, 100).await;
        let (code, msg, _) = Payer::refusal(&mut rx).await;
        assert_eq!(code, "ledger", "{msg}");
        assert!(
            msg.contains("admission puzzle is not solved") || msg.contains("this network asks 4"),
            "{msg}"
        );
    }
    let script = started.elapsed();
    // What admission would have cost them at the default difficulty, on this machine.
    let id = NodeId::from(&SecretKey::generate());
    let t = Instant::now();
    for n in 0..8 {
        Admission::solve(&id, &format!("probe{n}"), 6, 1, &|_| {});
    }
    let per = t.elapsed().as_secs_f64() / 8.0
        * Admission::expected_work(Policy::default().admission_bits)
        / Admission::expected_work(6);
    eprintln!(
        "20 unadmitted identities refused in {:.1} s; admitting them at the default {} bits would \
         take about {:.0} s of one core each ({:.0} s in all)",
        script.as_secs_f64(),
        Policy::default().admission_bits,
        per,
        per * 20.0
    );
    // One that paid its admission is served.
    let p = Payer::new(&node, |key, network| Payer::admitted(key, network, 1000)).await;
    let (_tx, mut rx) = p.job("admitted", 4, 100).await;
    assert!(Payer::tokens(&mut rx).await > 0);
    assert_eq!(
        ledger_of(&node).await.0,
        before.0,
        "nothing was paid, nothing recorded"
    );
}

#[tokio::test]
async fn chains_with_unbacked_or_mispriced_earnings_are_refused() {
    let node = Node::start(&[]);
    let before = ledger_of(&node).await;
    let payer = SecretKey::generate();
    // An earning whose receipt names a model outside the catalog, and one that asks more than
    // the price of its tokens.
    type Edit = Box<dyn Fn(&mut Receipt)>;
    let cases: [(&str, Edit, &str); 2] = [
        (
            "outside the catalog",
            Box::new(|r: &mut Receipt| r.model = "my-own-model".into()),
            "outside the network's catalog",
        ),
        (
            "above the price",
            Box::new(|r: &mut Receipt| r.credits += 1000),
            "whose price is",
        ),
    ];
    for (what, edit, want) in cases {
        let p = Payer::new(&node, |key, network| {
            let mut c = Payer::admitted(key, network, 100);
            let last = Entry::decode(&c[0]).unwrap();
            let mut r = Receipt {
                job: "printed".into(),
                requester: NodeId::from(&payer),
                worker: NodeId::from(key),
                model: MODEL.into(),
                quant: "q4_1".into(),
                prompt_tokens: 10,
                completion_tokens: 10,
                credits: test_policy().price(PARAMETERS, "q4_1", 20),
                time_ms: now_ms(),
            };
            edit(&mut r);
            let e = Position::after(&last, &c[0])
                .append(
                    key,
                    r.credits,
                    0,
                    Payload::Earn {
                        spend: payer_spend(&payer, 1, r.clone()),
                        receipt: r,
                    },
                    now_ms(),
                )
                .unwrap();
            c.push(e.encode());
            c
        })
        .await;
        let (_tx, mut rx) = p.job("spend-it", 4, 100).await;
        let (code, msg, _) = Payer::refusal(&mut rx).await;
        assert_eq!(code, "ledger", "{what}: {msg}");
        assert!(msg.contains(want), "{what}: {msg}");
        assert!(strikes_of(&node, &p.at.id()).await >= 1, "{what}");
    }
    // A chain from another network (admitted there, not here).
    let p = Payer::new(&node, |key, _| {
        sample_chain_in(key, &[SecretKey::generate()], 3, "elsewhere", 4)
    })
    .await;
    let (_tx, mut rx) = p.job("spend-it", 4, 10).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "ledger", "{msg}");
    assert!(msg.contains("network `elsewhere`"), "{msg}");
    assert_eq!(ledger_of(&node).await, before);
}

#[tokio::test]
async fn payments_must_continue_the_audited_chain_and_pay_the_last_promise() {
    let node = Node::start(&[]);
    let before = ledger_of(&node).await;
    let p = Payer::new(&node, |key, network| Payer::admitted(key, network, 1000)).await;

    // A payment at a seq that does not continue the audited chain: not recorded, a debt.
    let (mut tx, mut rx) = p.job("job-ahead", 4, 100).await;
    let n = Payer::tokens(&mut rx).await;
    assert_eq!(n, 4);
    let last = p.promise("job-ahead", n);
    wire::write(&mut tx, &Request::Pay(Box::new(last.clone())))
        .await
        .unwrap();
    let lie = p.spend(&last, Some((50, [7; 32], 1000)));
    wire::write(&mut tx, &lie).await.unwrap();
    eventually(20, "the payment ahead is refused", async || {
        node.log_text()
            .contains("its chain with the payment")
            .then_some(())
    })
    .await;
    assert_eq!(
        ledger_of(&node).await,
        before,
        "a payment ahead was recorded"
    );
    assert!(strikes_of(&node, &p.at.id()).await >= 1);
    // It owes that promise now: refused until its chain shows the payment.
    let (_tx, mut rx) = p.job("job-next", 4, 100).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "debt", "{msg}");
    assert!(msg.contains("job-ahead"), "{msg}");
    // It pays (a spend at the end of its chain): the next audit sees it, the debt is
    // collected as an earning, and it is served again.
    p.spend(&last, None);
    let (_tx, mut rx) = p.job("job-after", 4, 100).await;
    assert_eq!(Payer::tokens(&mut rx).await, 4);
    assert_eq!(
        ledger_of(&node).await,
        (before.0 + 1, before.1 + last.receipt.credits),
        "the debt collected"
    );

    // A payment for fewer tokens than it promised: not recorded, a debt.
    let p = Payer::new(&node, |key, network| Payer::admitted(key, network, 1000)).await;
    let (mut tx, mut rx) = p.job("job-short", 8, 100).await;
    let n = Payer::tokens(&mut rx).await;
    assert_eq!(n, 8);
    let full = p.promise("job-short", 8);
    wire::write(&mut tx, &Request::Pay(Box::new(full.clone())))
        .await
        .unwrap();
    let short = p.spend(&p.promise("job-short", 2), None);
    wire::write(&mut tx, &short).await.unwrap();
    eventually(20, "the short payment is refused", async || {
        node.log_text()
            .contains("does not record its last promise")
            .then_some(())
    })
    .await;
    let (_tx, mut rx) = p.job("job-again", 4, 100).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "debt", "{msg}");
    assert_chain_verifies(node.data_dir());
}

#[tokio::test]
async fn an_unpaid_promise_is_a_debt_every_node_refuses_until_it_is_paid() {
    let w = first(&[]);
    let c = joiner(&w.ticket(), &[]);
    until_routable(&c, &[&w]).await;
    let (w0, c0) = (ledger_of(&w).await, ledger_of(&c).await);
    // The requester pays a job on C honestly: C knows it.
    let on_c = Payer::new(&c, |key, network| Payer::admitted(key, network, 1000)).await;
    let (mut tx, mut rx) = on_c.job("honest", 4, 100).await;
    assert_eq!(Payer::tokens(&mut rx).await, 4);
    let honest = on_c.pay(&mut tx, "honest", 4).await;
    eventually(20, "C earns the honest job", async || {
        (ledger_of(&c).await == (c0.0 + 1, c0.1 + honest.receipt.credits)).then_some(())
    })
    .await;
    // Then takes a job on W and leaves without paying.
    let on_w = on_c.to(&w).await;
    let (tx, mut rx) = on_w.job("dodged", 8, 100).await;
    assert_eq!(Payer::tokens(&mut rx).await, 8);
    // Its stream dropped: the job over, nothing paid.
    drop((tx, rx));
    // W keeps its promise as a debt and announces it; C refuses the debtor.
    eventually(30, "the debt reaches C", async || {
        let job = format!("again-{}", rand_hex());
        let (mut tx, mut rx) = on_c.job(&job, 4, 100).await;
        match Payer::first(&mut rx).await {
            Some(Reply::Refused { code, message }) if code == "debt" => {
                assert!(message.contains("dodged"), "{message}");
                Some(())
            }
            // Not yet: served, and paid like the honest job.
            Some(Reply::Accepted { .. }) => {
                let n = Payer::tokens(&mut rx).await;
                on_c.pay(&mut tx, &job, n).await;
                None
            }
            other => panic!("{other:?}"),
        }
    })
    .await;
    assert!(
        w.log_text().contains("did not pay its promise"),
        "{}",
        w.log_text()
    );
    assert_eq!(ledger_of(&w).await, w0, "nothing earned without a payment");
    // It pays its last promise (the prompt's: it sent no other). C audits its chain, sees the
    // payment and serves it again; W collects the debt when it audits it next.
    let owed = on_w.promise("dodged", 0);
    on_w.spend(&owed, None);
    let (_tx, mut rx) = on_c.job("after", 4, 100).await;
    assert_eq!(Payer::tokens(&mut rx).await, 4);
    let (_tx, mut rx) = on_w.job("after-w", 4, 100).await;
    assert_eq!(Payer::tokens(&mut rx).await, 4);
    assert_eq!(
        ledger_of(&w).await,
        (w0.0 + 1, w0.1 + owed.receipt.credits),
        "W collected the debt"
    );
    for n in [&w, &c] {
        assert_chain_verifies(n.data_dir());
    }
}

#[tokio::test]
async fn a_node_restored_from_an_old_ledger_is_told_what_to_do_and_does_not_fork() {
    let w = first(&[]);
    let ticket = w.ticket();
    let args = crate::network::with(&["--join", &ticket], &["--model", "none"]);
    let r = Node::start(&args);
    until_routable(&r, &[&w]).await;
    // A backup of its ledger, taken while it was stopped.
    let backup = tempfile::tempdir().unwrap();
    let saved = backup.path().join("ledger.redb");
    let r = r.restart_after(&args, |dir| {
        std::fs::copy(dir.join("ledger.redb"), &saved).unwrap();
    });
    until_routable(&r, &[&w]).await;
    // It spends (a hold, then its spend): W now holds its head for that payment.
    let (code, _, body) = post(&r.url("/v1/chat/completions"), &chat_body("Hi.", 4)).await;
    assert_eq!(code, 200, "{body}");
    eventually(20, "the payment is recorded", async || {
        (ledger_of(&r).await.0 == 3).then_some(())
    })
    .await;
    // Restored from the old backup: its file ends before the chain W saw.
    let r = r.restart_after(&args, |dir| {
        std::fs::copy(&saved, dir.join("ledger.redb")).unwrap();
    });
    until_routable(&r, &[&w]).await;
    let why = eventually(40, "the node learns its ledger is behind", async || {
        r.status().await["ledger"]["stale"]
            .as_str()
            .map(str::to_string)
    })
    .await;
    assert!(
        why.contains("restore") && why.contains("new identity") && why.contains("seq 2"),
        "{why}"
    );
    // It neither spends nor earns, says why, and nothing forks.
    let (code, _, body) = post(&r.url("/v1/chat/completions"), &chat_body("Hi.", 4)).await;
    assert_eq!(code, 402, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("restore"),
        "{body}"
    );
    assert_eq!(ledger_of(&r).await.0, 1, "nothing was appended");
    let ws = w.status().await;
    assert!(
        !ws.to_string().contains("FORKED") && !w.log_text().contains("two different ledger heads"),
        "{ws}"
    );
}

#[tokio::test]
async fn a_requester_that_pays_two_workers_from_one_balance_is_proven_forked_everywhere() {
    let w1 = first(&[]);
    let w2 = joiner(&w1.ticket(), &[]);
    let w3 = joiner(&w1.ticket(), &[]);
    until_routable(&w2, &[&w1, &w3]).await;
    // Its whole balance pays a job on W1 (its chain: the grant, then that spend at seq 1).
    let credits = test_policy().price(PARAMETERS, "q4_1", (Payer::billed() + 4) as u64);
    let p1 = Payer::new(&w1, |key, network| Payer::admitted(key, network, credits)).await;
    let (mut tx, mut rx) = p1.job("first", 4, credits).await;
    assert_eq!(Payer::tokens(&mut rx).await, 4);
    p1.pay(&mut tx, "first", 4).await;
    eventually(20, "W1 earns it", async || {
        let s = w1.status().await;
        (s["ledger"]["recent"][0]["job"] == "first").then_some(())
    })
    .await;
    // The same balance, shown to W2 from a chain without that spend: a second spend at seq 1.
    let p2 = p1.forked_to(&w2, 1).await;
    let (mut tx, mut rx) = p2.job("second", 4, credits).await;
    match Payer::first(&mut rx).await {
        // W2 already heard of the first payment's head: refused at once.
        Some(Reply::Refused { code, .. }) => {
            assert!(code == "ledger" || code == "banned", "{code}")
        }
        Some(Reply::Accepted { .. }) => {
            Payer::tokens(&mut rx).await;
            p2.pay(&mut tx, "second", 4).await;
        }
        other => panic!("{other:?}"),
    }
    // The two heads for seq 1 meet: the proof reaches every node, and all refuse the key.
    let id = p1.at.id();
    for n in [&w1, &w2, &w3] {
        eventually(30, &format!("{} knows it forked", &n.id[..8]), async || {
            let s = n.status().await;
            let list = s["network"]["equivocators"].as_array()?;
            list.iter()
                .any(|e| e["peer"] == id && e["seq"] == 1)
                .then_some(())
        })
        .await;
    }
    let (_tx, mut rx) = p1.job_as_is("third", 4, 1).await;
    let (code, msg, _) = Payer::refusal(&mut rx).await;
    assert_eq!(code, "banned", "{msg}");
    let out = run(llp().args(["status"]).arg("--data-dir").arg(w3.data_dir()));
    assert!(stdout(&out).contains("FORKED"), "{}", stdout(&out));
}

/// One random job from a gateway: a small answer, streamed or not; a quarter of the streamed
/// ones are dropped by the client after their first chunk.
async fn random_job(gw: String, roll: u64) -> u16 {
    let max_tokens = 1 + (roll % 12) as u32;
    let mut body = chat_body(&format!("Count to {}.", roll % 7 + 2), max_tokens);
    let url = format!("{gw}/v1/chat/completions");
    if !roll.is_multiple_of(3) {
        return post(&url, &body).await.0;
    }
    body["stream"] = serde_json::json!(true);
    let resp = reqwest::Client::new().post(&url).json(&body).send().await;
    let Ok(mut resp) = resp else { return 0 };
    let status = resp.status().as_u16();
    if roll.is_multiple_of(4) {
        // The client leaves after the first chunk.
        let _ = resp.chunk().await;
        return status;
    }
    while let Ok(Some(_)) = resp.chunk().await {}
    status
}

#[tokio::test]
async fn credits_are_conserved_through_random_jobs_failovers_and_disconnects() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config_file(tmp.path(), "[credits]\nstarter_grant = 5000\n");
    let cfg = cfg.to_str().unwrap();
    let w1 = first(&["--config", cfg, "--slots", "2"]);
    let ticket = w1.ticket();
    let args = |extra: &[&'static str]| {
        let mut v = crate::network::with(&["--join", &ticket], &["--config", cfg]);
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let worker_args = args(&["--slots", "2"]);
    let gateway_args = args(&["--model", "none"]);
    fn strs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let w2 = Node::start(&strs(&worker_args));
    let mut w3 = Node::start(&strs(&worker_args));
    let gws = [
        Node::start(&strs(&gateway_args)),
        Node::start(&strs(&gateway_args)),
    ];
    for g in &gws {
        until_routable(g, &[&w1, &w2, &w3]).await;
    }
    let mut seed = u64::from_str_radix(&rand_hex()[..12], 16).unwrap();
    let mut roll = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut codes = std::collections::BTreeMap::new();
    // Three waves of jobs, four at a time; in the second, a worker is killed mid-way and
    // started again (its jobs fail over, its payments arrive late).
    for wave in 0..3 {
        let mut running = tokio::task::JoinSet::new();
        for i in 0..80u64 {
            let r = roll();
            let gw = gws[(r % 2) as usize].base.clone();
            running.spawn(random_job(gw, r >> 8));
            if running.len() >= 4 {
                let c = running.join_next().await.unwrap().unwrap();
                *codes.entry(c).or_insert(0) += 1;
            }
            if wave == 1 && i == 20 {
                w3 = w3.kill_and_restart(&strs(&worker_args));
            }
        }
        while let Some(c) = running.join_next().await {
            *codes.entry(c.unwrap()).or_insert(0) += 1;
        }
    }
    eprintln!("240 random jobs, by status: {codes:?}");
    assert!(codes.get(&200).copied().unwrap_or(0) >= 200, "{codes:?}");
    // Every payment reaches its worker (late ones delivered again): the sum of balances is the
    // sum of the grants.
    let nodes = [&w1, &w2, &w3, &gws[0], &gws[1]];
    // Each change of the (entries, balance) pairs is printed: a failure shows whose is short.
    let mut seen = vec![];
    let total = eventually(120, "the balances add up to the grants", async || {
        let mut each = vec![];
        for n in nodes {
            each.push(ledger_of(n).await);
        }
        let sum = each.iter().map(|l| l.1).sum::<u64>();
        if each != seen {
            eprintln!("entries and balances: {each:?}, sum {sum}");
            seen = each;
        }
        (sum == 5 * 5000).then_some(sum)
    })
    .await;
    assert_eq!(total, 25_000);
    let spent: u64 = 2 * 5000 - ledger_of(&gws[0]).await.1 - ledger_of(&gws[1]).await.1;
    eprintln!("the gateways paid {spent} credits; the workers earned as much");
    assert!(spent > 0);
    for n in nodes {
        assert_chain_verifies(n.data_dir());
    }
}

#[tokio::test]
async fn a_web_page_cannot_make_the_node_spend_its_credits() {
    let w = first(&[]);
    let g = joiner(&w.ticket(), &["--model", "none"]);
    until_routable(&g, &[&w]).await;
    let before = ledger_of(&g).await;
    let url = g.url("/v1/chat/completions");
    let body = chat_body("Hi.", 4).to_string();
    // A page's form or `fetch(..., {mode: "no-cors"})`: text/plain, named by its Origin.
    let page = reqwest::Client::new()
        .post(&url)
        .header("content-type", "text/plain")
        .header("origin", "https://evil.example")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("forbidden_origin") && text.contains("evil.example"),
        "{text}"
    );
    // A page that rebound its own name to 127.0.0.1: the Host says so.
    let port = url.split(':').nth(2).unwrap().split('/').next().unwrap();
    let rebound = reqwest::Client::new()
        .post(&url)
        .header("host", format!("evil.example:{port}"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    assert_eq!(
        ledger_of(&g).await,
        before,
        "a page spent the node's credits"
    );
    // The user's own client, on this machine, is served and pays.
    let (code, _, v) = post(&url, &chat_body("Hi.", 4)).await;
    assert_eq!(code, 200, "{v}");
    eventually(20, "the user's own request is paid", async || {
        (ledger_of(&g).await.0 == before.0 + 2).then_some(())
    })
    .await;
}
