//! The event loop: nodes come and go, announce, serve, and fail; requests arrive and are routed
//! by the real [`Table`] of the node they arrive at.
//!
//! A requester is one of a region's observer nodes ([`Params::observers`] over the regions): each
//! keeps a real routing table fed by everything the design delivers to a node, and routes a share
//! of its region's requests with it (pick, backpressure, failover, reliability, eviction and
//! expiry are the node's own code). The other nodes are workers whose tables are not kept (in the
//! global-gossip design they hold what the observers hold; every requester of a region ranks
//! peers alike, so one observer a region routes as they would). Workers' load, churn and speed are the world's ([`super::world`]).

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::stats::Rng;
use super::world::{self, CLASSES, MODELS, REGIONS, RTT_MS};
use super::{Counters, Design, Params};
use crate::ids::{ModelRef, NodeId};
use crate::net::table::providers;
use crate::net::table::{Table, Weights};
use crate::net::wire::{Announcement, ModelAd};

/// How long a requester waits for a connection to a peer that is gone (QUIC's handshake
/// timeout as the node sets it, about).
const CONNECT_TIMEOUT_MS: u64 = 3_000;
/// How long a stalled stream takes to be given up (a peer that vanished mid-answer).
const STALL_MS: u64 = 5_000;
/// Tries (first pick and failovers) before a request fails.
const MAX_ATTEMPTS: u32 = 6;
/// How long a request waits for room when every capable peer is full.
const QUEUE_WAIT_MS: u64 = 30_000;
/// Distinct unknown authors a node takes announcements from in a flood window (the node's
/// own limit): past it, new authors are dropped.
const MAX_FLOOD_AUTHORS: u32 = crate::net::MAX_FLOOD_AUTHORS as u32;
const FLOOD_WINDOW_MS: u64 = crate::net::FLOOD_WINDOW.as_millis() as u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    Toggle(u32),
    Round,
    Arrive(u8),
    Done(u32),
    Drop(u32),
    GiveUp(u32),
}

/// A simulated node: where it is, what it serves, whether it is up.
pub(super) struct SimNode {
    pub(super) id: NodeId,
    pub(super) region: u8,
    pub(super) class: u8,
    pub(super) model: u8,
    pub(super) slots: u32,
    pub(super) tps: f64,
    pub(super) mile_ms: f64,
    pub(super) online: bool,
    /// Its last departure said goodbye.
    pub(super) graceful: bool,
    pub(super) next_toggle: u64,
    pub(super) since: u64,
    pub(super) online_ms: u64,
    pub(super) busy: u32,
    pub(super) busy_ms: u64,
    pub(super) seq: u64,
    pub(super) earned: f64,
    pub(super) spent: f64,
    /// Provider records stored at it.
    pub(super) stores_in: u32,
}

pub(super) struct Job {
    pub(super) view: usize,
    pub(super) model: usize,
    pub(super) requester: u32,
    pub(super) worker: u32,
    pub(super) arrival: u64,
    pub(super) started: u64,
    pub(super) gen_start: u64,
    pub(super) tokens_left: u64,
    pub(super) first_token: bool,
    pub(super) exclude: Vec<NodeId>,
    pub(super) attempts: u32,
    pub(super) queued: bool,
}

/// An observer: a requesting node's routing table and what it remembers of its checks.
pub(super) struct View {
    pub(super) table: Table,
    pub(super) region: usize,
    pub(super) mile_ms: f64,
    pub(super) checks: HashMap<u32, crate::trust::spot::Record>,
    pub(super) queue: [VecDeque<u32>; 3],
    pub(super) unknown_authors: u32,
    pub(super) own: NodeId,
    /// When it last searched for each model's providers.
    pub(super) last_search: [Option<u64>; 3],
}

pub(super) struct Sim {
    pub(super) p: Params,
    pub(super) rng: Rng,
    pub(super) t: u64,
    pub(super) base: Instant,
    heap: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    pub(super) seq: u64,
    pub(super) nodes: Vec<SimNode>,
    pub(super) index: HashMap<NodeId, u32>,
    pub(super) views: Vec<View>,
    pub(super) jobs: Vec<Job>,
    pub(super) free: Vec<u32>,
    pub(super) online: Vec<Vec<u32>>,
    pub(super) pos: Vec<usize>,
    pub(super) refs: Vec<ModelRef>,
    pub(super) policy: crate::ledger::Policy,
    pub(super) c: Counters,
    /// The online nodes' ids in order (the simulated k-buckets are drawn from it).
    pub(super) online_ids: BTreeSet<NodeId>,
    /// The provider records each node holds.
    pub(super) stores: HashMap<u32, providers::Store<u32>>,
}

impl Sim {
    pub(super) fn new(p: Params) -> Sim {
        let mut rng = Rng::new(p.seed);
        let population = p.nodes * 2;
        let mut nodes = Vec::with_capacity(population);
        let mut index = HashMap::with_capacity(population);
        for _ in 0..population {
            let mut id = [0u8; 32];
            for c in id.chunks_mut(8) {
                c.copy_from_slice(&rng.next_u64().to_le_bytes());
            }
            let id = NodeId::from_bytes(id);
            let region = rng.weighted(REGIONS.iter().map(|r| r.share)) as u8;
            let class = rng.weighted(CLASSES.iter().map(|c| c.share));
            let (model, slots, tps) = CLASSES[class].serves(rng.unit());
            index.insert(id, nodes.len() as u32);
            nodes.push(SimNode {
                id,
                region,
                class: class as u8,
                model: model as u8,
                slots,
                tps,
                mile_ms: world::last_mile_ms(rng.unit()),
                online: false,
                graceful: false,
                next_toggle: 0,
                since: 0,
                online_ms: 0,
                busy: 0,
                busy_ms: 0,
                seq: 0,
                earned: 0.0,
                spent: 0.0,
                stores_in: 0,
            });
        }
        let per_region = p.observers.div_ceil(REGIONS.len()).max(1);
        let views = (0..REGIONS.len() * per_region)
            .map(|i| {
                let mut own = [0u8; 32];
                for c in own.chunks_mut(8) {
                    c.copy_from_slice(&rng.next_u64().to_le_bytes());
                }
                let own = NodeId::from_bytes(own);
                View {
                    table: Table::new(own, Weights::default()).seeded(p.seed ^ i as u64),
                    region: i / per_region,
                    mile_ms: world::last_mile_ms(rng.unit()),
                    checks: HashMap::new(),
                    queue: Default::default(),
                    unknown_authors: 0,
                    own,
                    last_search: [None; 3],
                }
            })
            .collect();
        let refs = MODELS
            .iter()
            .map(|m| ModelRef::parse(&format!("{}:{}", m.name, m.quant)))
            .collect();
        Sim {
            rng,
            t: 0,
            base: Instant::now(),
            heap: BinaryHeap::new(),
            seq: 0,
            pos: vec![usize::MAX; nodes.len()],
            nodes,
            index,
            views,
            jobs: Vec::new(),
            free: Vec::new(),
            online: vec![Vec::new(); REGIONS.len()],
            refs,
            policy: crate::ledger::Policy::default(),
            c: Counters::default(),
            online_ids: BTreeSet::new(),
            stores: HashMap::new(),
            p,
        }
    }

    fn at(&mut self, t: u64, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq, ev)));
    }

    pub(super) fn now(&self) -> Instant {
        self.base + Duration::from_millis(self.t)
    }

    /// Runs the simulated time out.
    pub(super) fn run(&mut self) {
        // Half the nodes start online, each in a session drawn afresh.
        for i in 0..self.nodes.len() {
            let up = self.rng.unit() < 0.5;
            let first = (world::session_s(self.rng.unit(), world::MEDIAN_SESSION_S) * 1e3) as u64;
            if up {
                self.toggle(i as u32);
            }
            self.nodes[i].next_toggle = first;
            self.at(first, Ev::Toggle(i as u32));
        }
        self.at(0, Ev::Round);
        for r in 0..REGIONS.len() {
            self.at(1, Ev::Arrive(r as u8));
        }
        let end = (self.p.minutes * 60_000.0) as u64;
        while let Some(Reverse((t, _, ev))) = self.heap.pop() {
            if t > end {
                break;
            }
            self.t = t;
            match ev {
                Ev::Toggle(i) => {
                    self.toggle(i);
                    let d =
                        (world::session_s(self.rng.unit(), world::MEDIAN_SESSION_S) * 1e3) as u64;
                    self.nodes[i as usize].next_toggle = t + d.max(1);
                    self.at(t + d.max(1), Ev::Toggle(i));
                }
                Ev::Round => self.round(),
                Ev::Arrive(r) => self.arrive(r as usize),
                Ev::Done(j) => self.done(j),
                Ev::Drop(j) => self.dropped(j),
                Ev::GiveUp(j) => self.give_up(j),
            }
        }
        self.t = end;
        for n in &mut self.nodes {
            if n.online {
                n.online_ms += end - n.since;
            }
        }
        self.c.seconds = end as f64 / 1e3;
    }

    /// A node comes up or goes down (saying goodbye, or not).
    fn toggle(&mut self, i: u32) {
        let t = self.t;
        let n = &mut self.nodes[i as usize];
        let r = n.region as usize;
        if n.online {
            n.online = false;
            n.online_ms += t - n.since;
            n.busy = 0;
            n.graceful = self.rng.unit() < world::GRACEFUL;
            let p = self.pos[i as usize];
            self.online[r].swap_remove(p);
            if let Some(&moved) = self.online[r].get(p) {
                self.pos[moved as usize] = p;
            }
            self.pos[i as usize] = usize::MAX;
            let id = n.id;
            self.online_ids.remove(&id);
            self.stores.remove(&i);
            if n.graceful {
                // Its leaving announcement: the nodes that know it forget it at once (the
                // global topic reaches every node; a provider tells the peers that use it).
                for v in &mut self.views {
                    if v.table.remove(&id).is_some() || self.p.design != Design::Providers {
                        self.c.announcements += 1;
                    }
                }
            }
        } else {
            n.online = true;
            n.since = t;
            self.pos[i as usize] = self.online[r].len();
            self.online[r].push(i);
            self.online_ids.insert(n.id);
            if self.p.design == Design::Providers && self.t > 0 {
                self.publish(i);
            }
        }
    }

    pub(super) fn announcement(&mut self, i: usize) -> Announcement {
        let n = &mut self.nodes[i];
        n.seq += 1;
        let m = &MODELS[n.model as usize];
        let mut a = Announcement::new(
            n.seq,
            "sim",
            vec![ModelAd {
                name: m.name.into(),
                quant: m.quant.into(),
                slots: n.slots,
                busy: n.busy,
                queued: 0,
                ctx: 4096,
                tokens_per_s: n.tps,
                features: Vec::new(),
                engine: Default::default(),
            }],
        );
        a.clock_ms = 0;
        a
    }

    /// One announce interval: every online node announces itself to every node (the global
    /// gossip topic), each observer expires the silent and pings every peer it keeps.
    fn round(&mut self) {
        let started = Instant::now();
        match self.p.design {
            Design::Gossip | Design::UsedPings => self.gossip_round(),
            Design::Providers => self.provider_round(),
        }
        self.c.rounds += 1;
        self.c.round_cpu += started.elapsed();
        let next = self.t + (self.p.interval_s * 1e3) as u64;
        self.at(next, Ev::Round);
    }

    /// The redesign's interval: the nodes whose turn it is publish their provider records
    /// again (every [`providers::REPUBLISH`], spread over the intervals), each observer pings
    /// the peers it keeps (those it found for the models it uses), and expires the silent.
    fn provider_round(&mut self) {
        let now = self.now();
        let turns = (providers::REPUBLISH.as_secs_f64() / self.p.interval_s).max(1.0) as u64;
        let turn = self.c.rounds % turns;
        if self.t == 0 {
            // The network as it stands at the start: every online node has published.
            for r in 0..REGIONS.len() {
                for k in 0..self.online[r].len() {
                    let i = self.online[r][k];
                    self.publish(i);
                }
            }
        } else {
            for r in 0..REGIONS.len() {
                for k in 0..self.online[r].len() {
                    let i = self.online[r][k];
                    if u64::from(i) % turns == turn {
                        self.publish(i);
                    }
                }
            }
        }
        if turn == 0 {
            for s in self.stores.values_mut() {
                s.expire(now);
            }
            self.stores.retain(|_, s| !s.is_empty());
        }
        for vi in 0..self.views.len() {
            let ids: Vec<NodeId> = self.views[vi].table.peers().map(|p| p.id).collect();
            for id in ids {
                self.c.pings += 1;
                let i = self.index[&id] as usize;
                if self.nodes[i].online {
                    // Its pong carries its load.
                    let a = self.announcement(i);
                    self.take(vi, i, id, a, now);
                } else {
                    self.views[vi]
                        .table
                        .failure(&id, "no answer to a ping", now);
                }
            }
        }
        let expiry = Duration::from_secs_f64(self.p.expiry_s);
        for v in &mut self.views {
            v.table.expire(now, expiry);
            self.c.table_sum += v.table.len() as u64;
            self.c.table_max = self.c.table_max.max(v.table.len());
        }
    }

    fn gossip_round(&mut self) {
        let now = self.now();
        if self.t.is_multiple_of(FLOOD_WINDOW_MS) {
            for v in &mut self.views {
                v.unknown_authors = 0;
            }
        }
        for r in 0..REGIONS.len() {
            for k in 0..self.online[r].len() {
                let i = self.online[r][k] as usize;
                let a = self.announcement(i);
                let id = self.nodes[i].id;
                for vi in 0..self.views.len() {
                    self.deliver(vi, i, id, &a, now);
                }
            }
        }
        let expiry = Duration::from_secs_f64(self.p.expiry_s);
        let quiet = Duration::from_secs_f64(self.p.interval_s * 2.0);
        for v in &mut self.views {
            v.table.expire(now, expiry);
            self.c.pings += match self.p.design {
                Design::Gossip => v.table.len(),
                _ => v.table.due_for_ping(now, quiet).len(),
            } as u64;
            self.c.table_sum += v.table.len() as u64;
            self.c.table_max = self.c.table_max.max(v.table.len());
        }
    }

    /// `a` from node `i` reaches observer `vi`: the node's own table takes it (past the flood
    /// limit's crowding of unknown authors) and a new peer is pinged (its RTT, its health).
    fn deliver(&mut self, vi: usize, i: usize, id: NodeId, a: &Announcement, now: Instant) {
        self.c.announcements += 1;
        let v = &mut self.views[vi];
        let known = v.table.get(&id).is_some();
        if !known {
            if v.unknown_authors >= MAX_FLOOD_AUTHORS {
                self.c.crowded += 1;
                return;
            }
            v.unknown_authors += 1;
        }
        self.take(vi, i, id, a.clone(), now);
    }

    /// Observer `vi`'s table takes node `i`'s announcement; a new peer is pinged (its RTT, its
    /// health).
    pub(super) fn take(&mut self, vi: usize, i: usize, id: NodeId, a: Announcement, now: Instant) {
        let v = &mut self.views[vi];
        let known = v.table.get(&id).is_some();
        if v.table.announce(id, a, now) && !known {
            let rtt = rtt_between(&self.nodes, v.region, v.mile_ms, i as u32);
            if let Some(p) = v.table.get_mut(&id) {
                p.rtt = Some(Duration::from_secs_f64(rtt / 1e3));
            }
            v.table.readmit(&id, now);
        }
    }

    /// In the redesign, whether observer `vi` searches for providers of `m` now: when it has
    /// too few and has not searched lately, or (`stuck`) when none it knows has room.
    fn maybe_search(&mut self, vi: usize, m: usize, stuck: bool) -> bool {
        if self.p.design != Design::Providers {
            return false;
        }
        let gap = if stuck {
            5_000
        } else {
            super::dht::SEARCH_COOLDOWN_MS
        };
        if self.views[vi].last_search[m].is_some_and(|l| self.t - l < gap) {
            return false;
        }
        if !stuck && !self.wants(vi, m) {
            return false;
        }
        self.search(vi, m);
        true
    }

    fn rtt_ms(&self, vi: usize, w: usize) -> f64 {
        let v = &self.views[vi];
        rtt_between(&self.nodes, v.region, v.mile_ms, w as u32)
    }

    /// A request arrives in region `r` (a Poisson process whose rate follows the region's day
    /// and its online nodes).
    fn arrive(&mut self, r: usize) {
        let hour = (self.t as f64 / 3.6e6 + REGIONS[r].utc_offset_h).rem_euclid(24.0);
        let online = self.online[r].len();
        let per_ms = self.p.rate / 3.6e6 * online as f64 * world::daily(hour);
        let gap = if per_ms > 0.0 {
            self.rng.exp(1.0 / per_ms).max(0.001)
        } else {
            1000.0
        };
        let next = self.t + gap.ceil() as u64;
        self.at(next, Ev::Arrive(r as u8));
        if online == 0 {
            return;
        }
        let requester = self.online[r][self.rng.below(online)];
        let model = self.rng.weighted(MODELS.iter().map(|m| m.demand));
        let per_region = self.views.len() / REGIONS.len();
        let view = r * per_region + self.rng.below(per_region);
        let tokens = world::output_tokens(self.rng.normal());
        let job = Job {
            view,
            model,
            requester,
            worker: u32::MAX,
            arrival: self.t,
            started: 0,
            gen_start: 0,
            tokens_left: tokens,
            first_token: false,
            exclude: Vec::new(),
            attempts: 0,
            queued: false,
        };
        let j = match self.free.pop() {
            Some(j) => {
                self.jobs[j as usize] = job;
                j
            }
            None => {
                self.jobs.push(job);
                (self.jobs.len() - 1) as u32
            }
        };
        self.c.requests += 1;
        self.c.per_model[model].0 += 1;
        self.start(j, 0);
    }

    /// Routes job `j` (again), `delay` ms from now: picks, dials, and starts it, or queues it
    /// when every capable peer is full, or fails it.
    fn start(&mut self, j: u32, mut delay: u64) {
        let now = self.now();
        loop {
            let (vi, m) = (self.jobs[j as usize].view, self.jobs[j as usize].model);
            if self.jobs[j as usize].attempts >= MAX_ATTEMPTS {
                self.c.failed_attempts += 1;
                return self.finish(j);
            }
            self.maybe_search(vi, m, false);
            let exclude = std::mem::take(&mut self.jobs[j as usize].exclude);
            let picked = self.views[vi].table.pick_at(&self.refs[m], &exclude, now);
            self.jobs[j as usize].exclude = exclude;
            let Some(id) = picked else {
                if self.maybe_search(vi, m, true) {
                    continue;
                }
                if !self.views[vi].table.any_capable_at(&self.refs[m], now) {
                    self.c.failed_none += 1;
                    return self.finish(j);
                }
                self.jobs[j as usize].queued = true;
                self.views[vi].queue[m].push_back(j);
                self.at(self.t + QUEUE_WAIT_MS, Ev::GiveUp(j));
                return;
            };
            self.jobs[j as usize].attempts += 1;
            let w = self.index[&id] as usize;
            if !self.nodes[w].online {
                // Gone without a word: the dial times out, the failure counts.
                delay += CONNECT_TIMEOUT_MS;
                self.c.dead_picks += 1;
                self.views[vi].table.failure(&id, "no answer", now);
                self.jobs[j as usize].exclude.push(id);
                continue;
            }
            let rtt = self.rtt_ms(vi, w);
            if self.nodes[w].busy >= self.nodes[w].slots {
                // Full with others' jobs: it refuses, and the next is asked.
                delay += rtt as u64;
                self.c.refusals += 1;
                let model = self.refs[m].clone();
                self.views[vi].table.refused_busy(&id, &model);
                self.jobs[j as usize].exclude.push(id);
                continue;
            }
            return self.run_on(j, w, delay, rtt);
        }
    }

    /// Job `j` starts on worker `w` after `delay` ms of tries.
    fn run_on(&mut self, j: u32, w: usize, delay: u64, rtt: f64) {
        let n = &mut self.nodes[w];
        n.busy += 1;
        let job = &mut self.jobs[j as usize];
        let now = self.base + Duration::from_millis(self.t);
        self.views[job.view].table.take_place_at(&n.id, now);
        let prefill_ms = world::PROMPT_TOKENS as f64 / (n.tps * world::PREFILL_SPEEDUP) * 1e3;
        let first = self.t + delay + (1.5 * rtt + prefill_ms) as u64;
        if !job.first_token {
            job.first_token = true;
            self.c.ttft_ms.push((first - job.arrival) as f64);
        }
        job.worker = w as u32;
        job.started = self.t;
        job.gen_start = first;
        let end = first + (job.tokens_left as f64 / n.tps * 1e3) as u64;
        if n.next_toggle < end {
            let at = n.next_toggle.max(self.t);
            self.at(at, Ev::Drop(j));
        } else {
            self.at(end, Ev::Done(j));
        }
    }

    /// Pays worker `w` for `tokens` of job `j`'s answer (with the prompt), as the ledger's
    /// price rule does.
    fn pay(&mut self, j: u32, w: usize, tokens: u64) {
        let job = &self.jobs[j as usize];
        let m = &MODELS[job.model];
        let price = self
            .policy
            .price(m.parameters, m.quant, world::PROMPT_TOKENS + tokens) as f64;
        self.nodes[w].earned += price;
        self.nodes[job.requester as usize].spent += price;
    }

    fn done(&mut self, j: u32) {
        let now = self.now();
        let job = &self.jobs[j as usize];
        let (vi, m, w) = (job.view, job.model, job.worker as usize);
        let (tokens, busy) = (job.tokens_left, self.t - job.started);
        let n = &mut self.nodes[w];
        n.busy = n.busy.saturating_sub(1);
        n.busy_ms += busy;
        let (id, tps) = (n.id, n.tps);
        let t = &mut self.views[vi].table;
        t.release_place(&id);
        t.success(&id, now);
        t.observe_speed(&id, tps);
        self.pay(j, w, tokens);
        if self.p.design != Design::Providers {
            // Both ledgers changed: worker and requester announce it to every node (within a
            // second, not more often).
            self.c.announcements += 2 * self.views.len() as u64;
        }
        // The requester's spot check: the node's own rate for this worker.
        let record = self.views[vi].checks.entry(w as u32).or_default();
        if self.rng.unit() < record.rate() {
            self.c.checked += 1;
        }
        record.run += 1;
        record.passed += 1;
        self.c.ok += 1;
        self.c.per_model[m].1 += 1;
        self.finish(j);
        // Room: the oldest waiting job of that model here goes now.
        while let Some(q) = self.views[vi].queue[m].pop_front() {
            if self.jobs[q as usize].queued {
                self.jobs[q as usize].queued = false;
                self.start(q, 0);
                break;
            }
        }
    }

    /// Job `j`'s worker went away mid-answer: what it streamed is paid, the rest goes on
    /// elsewhere (failover) once the requester notices.
    fn dropped(&mut self, j: u32) {
        let now = self.now();
        let job = &self.jobs[j as usize];
        let (vi, w) = (job.view, job.worker as usize);
        let n = &self.nodes[w];
        let made = if self.t > job.gen_start {
            (((self.t - job.gen_start) as f64 / 1e3) * n.tps) as u64
        } else {
            0
        }
        .min(job.tokens_left);
        let (id, graceful, busy) = (n.id, n.graceful, self.t - job.started);
        self.nodes[w].busy_ms += busy;
        self.pay(j, w, made);
        let t = &mut self.views[vi].table;
        t.release_place(&id);
        t.failure(&id, "the stream broke", now);
        let job = &mut self.jobs[j as usize];
        job.tokens_left -= made;
        job.exclude.push(id);
        self.c.failovers += 1;
        let noticed = if graceful {
            self.rtt_ms(vi, w) as u64
        } else {
            STALL_MS
        };
        if self.jobs[j as usize].tokens_left == 0 {
            self.c.ok += 1;
            return self.finish(j);
        }
        self.start(j, noticed);
    }

    fn give_up(&mut self, j: u32) {
        let job = &mut self.jobs[j as usize];
        if job.queued {
            job.queued = false;
            self.c.failed_wait += 1;
            self.finish(j);
        }
    }

    fn finish(&mut self, j: u32) {
        self.jobs[j as usize].worker = u32::MAX;
        self.free.push(j);
    }

    /// The figures over the nodes: fairness per class, capacity used, credits' spread.
    pub(super) fn node_figures(&self) -> super::NodeFigures {
        let mut per_class: Vec<Vec<f64>> = vec![Vec::new(); CLASSES.len()];
        let (mut busy, mut capacity) = (0.0, 0.0);
        let mut earned = Vec::new();
        for n in &self.nodes {
            if n.online_ms < 600_000 {
                continue;
            }
            let slot_ms = n.online_ms as f64 * n.slots as f64;
            per_class[n.class as usize].push(n.busy_ms as f64 / slot_ms);
            busy += n.busy_ms as f64;
            capacity += slot_ms;
            earned.push(n.earned / (n.online_ms as f64 / 3.6e6));
        }
        super::NodeFigures {
            jain: per_class
                .iter()
                .zip(CLASSES.iter())
                .map(|(v, c)| (c.name.to_string(), super::stats::jain(v)))
                .collect(),
            capacity_used: if capacity > 0.0 { busy / capacity } else { 0.0 },
            credit_gini: super::stats::gini(&earned),
        }
    }

    /// The most provider records one node took.
    pub(super) fn stores_in_max(&self) -> u32 {
        self.nodes.iter().map(|n| n.stores_in).max().unwrap_or(0)
    }

    pub(super) fn observers(&self) -> usize {
        self.views.len()
    }
}

/// The round trip from a node in `region` with last mile `mile` (ms) to node `to`.
pub(super) fn rtt_between(nodes: &[SimNode], region: usize, mile: f64, to: u32) -> f64 {
    let n = &nodes[to as usize];
    RTT_MS[region][n.region as usize] as f64 + mile + n.mile_ms
}
