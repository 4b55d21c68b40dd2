//! Routing a job: on this node's engine or on a peer, with backpressure and a bounded wait.
//!
//! [`Router`] is the handle the HTTP API and the UI's node hold: the node and, when it runs, the
//! network. Where a job goes is decided by [`decide::decide`], a pure function of a
//! [`decide::View`] of the node and its peers; the loop here builds the view, acts on the
//! decision, and looks again when an attempt fails or room appears. The rules, in order:
//! 1. No peer can serve the model: the local engine takes it, behind its own bounded queue (503
//!    with Retry-After beyond it), or 404 if this node does not serve it either.
//! 2. The local engine serves the model, contribution is not paused and a slot is free: local.
//! 3. Else the best-scoring peer with room (weighted round-robin, in-flight capped at its slots);
//!    a peer that refuses or cannot be reached is skipped for this job.
//! 4. Else a paused node that serves the model runs it itself (its own user is always served).
//! 5. Else the job waits, its position shown in status, until any capable node has room; at most
//!    `queue_limit` jobs wait, past that 503 with Retry-After. Nothing is dropped silently.
//!
//! Waiting is woken by the news of room (a job ended, a slot freed, a peer announced or came
//! back), never by polling.

pub mod decide;
pub mod policy;

use std::time::{Duration, Instant};

use crate::engine::Engine;
use crate::ids::{ModelId, ModelRef, NodeId};
use crate::job::local::{OWN_PRIORITY, prepare_off_runtime, submit};
use crate::job::{ErrorCode, Refusal, Spec};
use crate::net::Net;
use crate::net::remote::{self, Inflight};
use crate::node::{JobGuard, Node, Routed, WaitTicket};
use decide::{Decision, View};

/// How long a job may wait for capacity before it is refused.
pub const MAX_WAIT: Duration = Duration::from_secs(120);
/// How often a waiting job looks again when no news of room arrives.
pub const ROOM_POLL: Duration = Duration::from_millis(250);

/// The node and its network, for routing jobs. Clone freely.
#[derive(Clone)]
pub struct Router {
    node: Node,
    net: Option<Net>,
    fallback: Option<crate::fallback::Fallback>,
}

/// What the loop does after acting on a decision.
enum Next {
    /// The job was placed, or refused.
    Placed(Result<Routed, Refusal>),
    /// An attempt failed: look again at once.
    LookAgain,
    /// Wait for room, then look again.
    Wait,
}

/// One job's attempts so far.
struct Attempt {
    model: ModelRef,
    local: Option<Engine>,
    guard: JobGuard,
    /// Peers not to try again now.
    excluded: Vec<NodeId>,
    /// The job calls tools: only nodes whose template renders them may take it.
    needs_tools: bool,
    last_refusal: Option<Refusal>,
    /// Peers that judged the request itself bad, with their refusal.
    refused_invalid: Vec<(NodeId, Refusal)>,
    started: Instant,
    ticket: Option<WaitTicket>,
    /// The job waits for a model no node serves: announced, for `--auto-models` nodes.
    want: Option<crate::net::Want>,
    /// Peers serving the model that the job's routing policy keeps out, with why.
    barred: Vec<(NodeId, policy::Excluded)>,
    /// The longest the job may wait for room (its policy's `max_ttft_ms`, else [`MAX_WAIT`]).
    max_wait: Duration,
    /// The paid fallback's model for the job, when it may serve it.
    fallback: Option<String>,
}

impl Attempt {
    /// The peers not to try: those excluded now, and those that cannot honour the job.
    fn excluded_in(&self, t: &crate::net::table::Table) -> Vec<NodeId> {
        let mut out = self.excluded.clone();
        out.extend(self.barred.iter().map(|(id, _)| *id));
        if self.needs_tools {
            out.extend(
                t.peers()
                    .filter(|p| !fits(p, &self.model, true))
                    .map(|p| p.id),
            );
        }
        out
    }
}

/// Whether a peer serves `model` with what the job needs (`tools`: its template renders them).
fn fits(p: &crate::net::table::Peer, model: &ModelRef, tools: bool) -> bool {
    p.serves(model).is_some_and(|ad| {
        !tools
            || ad
                .features
                .iter()
                .any(|f| f == crate::net::wire::FEATURE_TOOLS)
    })
}

impl Router {
    pub fn new(
        node: Node,
        net: Option<Net>,
        fallback: Option<crate::fallback::Fallback>,
    ) -> Router {
        Router {
            node,
            net,
            fallback,
        }
    }

    /// The paid fallback, when configured.
    pub fn fallback(&self) -> Option<&crate::fallback::Fallback> {
        self.fallback.as_ref()
    }

    pub fn node(&self) -> &Node {
        &self.node
    }

    /// The network, when this node runs one.
    pub fn net(&self) -> Option<&Net> {
        self.net.as_ref()
    }

    /// Routes a job (see the module docs for the rules).
    pub async fn route(&self, mut spec: Spec) -> Result<Routed, Refusal> {
        let model = spec
            .model
            .clone()
            .or_else(|| self.default_model(spec.kind() == crate::job::Kind::Embed))
            .ok_or_else(|| {
                Refusal::new(404, "No model is served by this node or its peers").param("model")
            })?;
        spec.model = Some(model.clone());
        let needs_tools = spec.constraints.has_tools();
        let mut local = self.node.engine_for(Some(&model));
        if let Some(e) = &local
            && e.info().pipeline
        {
            self.pipeline_allowed(&spec)?;
        }
        // Too few capable peers known (a large network, where nobody hears everybody): their
        // provider records are looked up, and a job no node here can take waits for that.
        if let Some(n) = &self.net
            && spec.policy.allows_peers(true).is_ok()
        {
            n.find_providers(&model, local.is_none()).await;
        }
        let barred = self.screen(&spec, &model);
        let peers_capable = self.capable(&model, needs_tools, &barred);
        let fallback = self
            .fallback
            .as_ref()
            .and_then(|f| f.admits(&spec, &model).transpose());
        if local.is_none()
            && !peers_capable
            && let Some(r) = self.no_node(&spec, &model, &barred, &fallback).await
        {
            return r;
        }
        // A local model without tools still answers when no peer can: with the 400 that says
        // its template has none.
        if needs_tools && peers_capable && !local.as_ref().is_some_and(Engine::supports_tools) {
            local = None;
        }
        if needs_tools && !peers_capable && local.is_none() {
            self.no_tools_anywhere(&model)?;
        }
        let first = View {
            first: true,
            local: local.is_some(),
            peers_capable,
            loadable: self.loadable(local.is_some(), peers_capable, &model, &spec),
            ..View::default()
        };
        match decide::decide(&first) {
            Decision::LocalQueue => return self.local(local.expect("local"), &spec, None).await,
            Decision::Refuse(_) => return Err(self.not_served(&model)),
            _ => {}
        }
        let mut a = Attempt {
            guard: self.node.start_job(model.clone(), 0),
            model,
            local,
            excluded: Vec::new(),
            needs_tools,
            last_refusal: None,
            refused_invalid: Vec::new(),
            started: Instant::now(),
            ticket: None,
            want: None,
            barred,
            fallback: fallback.and_then(Result::ok),
            max_wait: spec
                .policy
                .max_ttft_ms
                .map_or(MAX_WAIT, |ms| MAX_WAIT.min(Duration::from_millis(ms))),
        };
        a.guard.set_policy(&spec.policy);
        loop {
            // Armed before looking: room that appears while we look is not missed.
            let room = self.node.room();
            let decision = decide::decide(&self.look_again(&mut a, &spec));
            match self.act(decision, &spec, &mut a).await {
                Next::Placed(result) => return result,
                Next::LookAgain => {}
                Next::Wait => self.wait(&mut a, room).await,
            }
        }
    }

    /// The view for this attempt, after taking in a model loaded here meanwhile
    /// (`--auto-models`); a job that waits for a model no node serves says so (its want).
    fn look_again(&self, a: &mut Attempt, spec: &Spec) -> View {
        // Unloaded meanwhile (`--auto-models`): not this node's to run any more.
        if a.local
            .as_ref()
            .is_some_and(|e| !self.node.serves(&ModelRef::from(&e.info().id())))
        {
            a.local = None;
        }
        if a.local.is_none() {
            a.local = self.node.engine_for(Some(&a.model));
        }
        // Peers' measured times change: the ceilings are looked at again.
        a.barred = self.screen(spec, &a.model);
        let view = self.look(a, spec);
        if view.loadable && a.want.is_none() {
            a.want = self.net.as_ref().map(|n| n.want(&a.model));
        }
        view
    }

    /// The view of the node and its peers for this attempt.
    fn look(&self, a: &Attempt, spec: &Spec) -> View {
        let net = self.net.as_ref();
        let capable = self.capable(&a.model, a.needs_tools, &a.barred);
        let (peers_capable, peer_room, all_refused) = net.map_or((false, false, false), |n| {
            n.with_table(|t| {
                let excluded = a.excluded_in(t);
                let room = t.has_room(&a.model, &excluded);
                let all = !a.refused_invalid.is_empty()
                    && t.peers()
                        .filter(|p| p.routable() && p.serves(&a.model).is_some())
                        .all(|p| a.refused_invalid.iter().any(|(id, _)| *id == p.id));
                (capable, room, all)
            })
        });
        View {
            first: false,
            local: a.local.is_some(),
            paused: self.node.paused(),
            local_slot: a.local.as_ref().is_some_and(Engine::has_free_slot),
            peers_capable,
            peer_room,
            all_refused: all_refused
                .then(|| a.refused_invalid.last().map(|(_, r)| r.clone()))
                .flatten(),
            last_refusal: a.last_refusal.clone(),
            queue_full: a.ticket.is_none() && self.node.waiting_full(),
            waited: a.started.elapsed(),
            loadable: self.loadable(a.local.is_some(), peers_capable, &a.model, spec),
        }
    }

    /// A model this node coordinates as a pipeline runs its layers on peers, which see the
    /// prompt's hidden states: a policy that keeps the prompt here, or in regions (which the
    /// stages are not chosen by), refuses it.
    fn pipeline_allowed(&self, spec: &Spec) -> Result<(), Refusal> {
        let open = self
            .net
            .as_ref()
            .is_none_or(crate::net::remote::screen::open_network);
        if let Err(e) = spec.policy.allows_peers(open) {
            return Err(policy::refusal(
                e.rule,
                format!(
                    "{} (this node serves the model as a pipeline over peers)",
                    e.why
                ),
            ));
        }
        if spec.policy.region.is_some() {
            return Err(policy::refusal(
                "region",
                "this node serves the model as a pipeline whose stages are not chosen by region"
                    .into(),
            ));
        }
        // Its stages are paid when the job ends, a price not held to a ceiling before it runs.
        if let Some(c) = spec.policy.max_credits {
            return Err(policy::refusal(
                "max_credits",
                format!(
                    "max_credits={c} ({}): this node serves the model as a pipeline, whose \
                     price is not held to a ceiling before it runs",
                    spec.policy.said_by("max_credits")
                ),
            ));
        }
        Ok(())
    }

    /// No node serves `model`, and one with `--auto-models` could load it (and the job's
    /// policy lets the prompt go to peers at all).
    fn loadable(&self, local: bool, peers_capable: bool, model: &ModelRef, spec: &Spec) -> bool {
        !local
            && !peers_capable
            && self.net.as_ref().is_some_and(|n| {
                n.may_load(model)
                    && spec
                        .policy
                        .allows_peers(remote::screen::open_network(n))
                        .is_ok()
            })
    }

    /// The peers serving `model` that `spec`'s policy keeps out.
    fn screen(&self, spec: &Spec, model: &ModelRef) -> Vec<(NodeId, policy::Excluded)> {
        self.net.as_ref().map_or_else(Vec::new, |n| {
            remote::screen::excluded(
                n,
                spec,
                model,
                remote::screen::Purpose::Run,
                0,
                spec.max_tokens,
            )
        })
    }

    /// Whether a routable peer not `barred` serves `model` (with tools, if `tools`).
    fn capable(
        &self,
        model: &ModelRef,
        tools: bool,
        barred: &[(NodeId, policy::Excluded)],
    ) -> bool {
        self.net.as_ref().is_some_and(|n| {
            n.with_table(|t| {
                if tools || !barred.is_empty() {
                    t.peers().any(|p| {
                        p.routable()
                            && fits(p, model, tools)
                            && !barred.iter().any(|(id, _)| *id == p.id)
                    })
                } else {
                    t.any_capable(model)
                }
            })
        })
    }

    /// A job with tools that no node can take: 400 if nodes serve its model without them.
    fn no_tools_anywhere(&self, model: &ModelRef) -> Result<(), Refusal> {
        let served = self.net.as_ref().is_some_and(|n| {
            n.with_table(|t| t.peers().any(|p| p.routable() && fits(p, model, false)))
        });
        if !served {
            return Ok(());
        }
        Err(Refusal::new(
            400,
            format!(
                "the chat template of {} has no tool support on any node that serves it (it \
                 does not render `tools`); send the request without `tools`, or to a model \
                 whose template takes them",
                model.name
            ),
        )
        .param("tools"))
    }

    /// No node the job's policy allows serves its model: the paid fallback takes it when it
    /// may; else a refusal that names the rule that kept out each candidate. `None` when no
    /// rule is to blame (no node serves the model at all): the usual way, 404 or a wait.
    async fn no_node(
        &self,
        spec: &Spec,
        model: &ModelRef,
        barred: &[(NodeId, policy::Excluded)],
        fallback: &Option<Result<String, policy::Excluded>>,
    ) -> Option<Result<Routed, Refusal>> {
        if let Some(Ok(upstream)) = fallback {
            let guard = self.node.start_job(model.clone(), 0);
            guard.set_policy(&spec.policy);
            return Some(self.on_fallback(spec, upstream, guard).await);
        }
        let mut why: Vec<policy::Excluded> = barred.iter().map(|(_, e)| e.clone()).collect();
        if let Some(Err(e)) = fallback {
            why.push(e.clone());
        }
        if why.is_empty() || (barred.is_empty() && self.loadable(false, false, model, spec)) {
            return None;
        }
        Some(Err(policy::none_allowed(&model.to_string(), &why)))
    }

    /// Runs the job on the paid fallback, as `upstream`.
    async fn on_fallback(
        &self,
        spec: &Spec,
        upstream: &str,
        guard: JobGuard,
    ) -> Result<Routed, Refusal> {
        let f = self.fallback.as_ref().expect("a fallback");
        tracing::info!("job {}: to the paid fallback as {upstream}", guard.id());
        f.start(self.node.tasks(), spec, upstream, guard).await
    }

    /// Whether the job goes to the paid fallback rather than as `decision` says: it waited
    /// past the fallback's `after_ms` (or its policy's `max_ttft_ms`), or no node could take it.
    fn fallback_due(&self, decision: &Decision, a: &Attempt) -> bool {
        let Some(f) = &self.fallback else {
            return false;
        };
        match decision {
            Decision::Wait => a.started.elapsed() >= f.after().min(a.max_wait),
            Decision::QueueFull | Decision::TooLong | Decision::Refuse(None) => true,
            Decision::Refuse(Some(r)) => r.is_busy() || r.status == 404,
            _ => false,
        }
    }

    /// Carries out a decision.
    async fn act(&self, decision: Decision, spec: &Spec, a: &mut Attempt) -> Next {
        if let Some(upstream) = a.fallback.clone()
            && self.fallback_due(&decision, a)
        {
            return Next::Placed(self.on_fallback(spec, &upstream, a.guard.clone()).await);
        }
        let model = a.model.to_string();
        let refuse = |a: &Attempt, r: Refusal| {
            a.guard.refuse(&r.message);
            Next::Placed(Err(r))
        };
        match decision {
            Decision::Local => {
                let e = a.local.clone().expect("local");
                // Another job may have taken the slot since the look: look again.
                let Some(reservation) = e.reserve() else {
                    return Next::LookAgain;
                };
                let r = self.local(e, spec, Some(a.guard.clone())).await;
                drop(reservation);
                Next::Placed(r)
            }
            Decision::LocalQueue => {
                let e = a.local.clone().expect("local");
                Next::Placed(self.local(e, spec, Some(a.guard.clone())).await)
            }
            Decision::Peer => match self.try_peer(spec, a).await {
                Some(r) => Next::Placed(r),
                None => Next::LookAgain,
            },
            Decision::Refuse(r) => {
                let r = r.unwrap_or_else(|| self.not_served(&a.model));
                refuse(a, r)
            }
            Decision::QueueFull => {
                let n = self.node.settings().engine.queue_limit;
                refuse(a, decide::queue_full(&model, n))
            }
            Decision::TooLong => refuse(a, decide::waited_too_long(&model)),
            Decision::Wait if a.started.elapsed() >= a.max_wait => {
                let ms = spec.policy.max_ttft_ms.unwrap_or_default();
                let why = format!(
                    "max_ttft_ms {ms}: no allowed node had room for {model} within {ms} ms"
                );
                refuse(a, policy::refusal("max_ttft_ms", why))
            }
            Decision::Wait => {
                if a.ticket.is_none() {
                    a.ticket = self.node.wait_ticket(a.guard.id());
                    if a.ticket.is_none() {
                        let n = self.node.settings().engine.queue_limit;
                        return refuse(a, decide::queue_full(&model, n));
                    }
                }
                Next::Wait
            }
        }
    }

    /// Waits for room (or the end of the longest wait). Peers that refused for lack of room
    /// may have it by the next look; those that judged the request bad stay out.
    async fn wait(&self, a: &mut Attempt, room: crate::node::Room) {
        a.excluded
            .retain(|p| a.refused_invalid.iter().any(|(id, _)| id == p));
        let deadline =
            tokio::time::Instant::from_std(a.started + a.max_wait + Duration::from_millis(1));
        // The short poll is a backstop for room no notification reports (a peer's slots
        // freeing shows only in its next announcement).
        tokio::select! {
            _ = room.changed() => {}
            _ = tokio::time::sleep(ROOM_POLL) => {}
            _ = tokio::time::sleep_until(deadline) => {}
        }
    }

    /// Tries the peer the table picks; `None` to look again (it refused, or another job took
    /// its place first).
    async fn try_peer(&self, spec: &Spec, a: &mut Attempt) -> Option<Result<Routed, Refusal>> {
        let net = self.net.as_ref()?;
        let excluded = net.with_table(|t| a.excluded_in(t));
        let claim = Inflight::claim(net, &a.model, &excluded)?;
        let peer = claim.peer();
        match remote::start(net, claim, spec, a.guard.clone()).await {
            Ok(r) => {
                // Another peer took what these called invalid: they were wrong.
                for (p, why) in &a.refused_invalid {
                    if !why.honest_elsewhere() {
                        net.with_table(|t| {
                            t.failure(p, "refused a job another peer served", Instant::now())
                        });
                    }
                }
                Some(Ok(r))
            }
            Err((_, refusal)) => {
                tracing::info!(
                    "peer {} did not take a job: {}",
                    peer.short(),
                    refusal.message
                );
                a.excluded.push(peer);
                if !refusal.retryable() && !a.refused_invalid.iter().any(|(p, _)| *p == peer) {
                    a.refused_invalid.push((peer, refusal.clone()));
                }
                a.last_refusal = Some(refusal);
                None
            }
        }
    }

    /// Runs a job on the local engine, at this node's own priority.
    async fn local(
        &self,
        engine: Engine,
        spec: &Spec,
        guard: Option<JobGuard>,
    ) -> Result<Routed, Refusal> {
        let p = match prepare_off_runtime(
            self.node.tasks(),
            &engine,
            &spec.prompt,
            &spec.constraints,
            &[],
            spec.max_tokens,
        )
        .await
        {
            Ok(p) => p,
            Err(r) => {
                if let Some(g) = &guard {
                    g.refuse(&r.message);
                }
                return Err(r);
            }
        };
        let info = engine.info();
        let model = ModelId::new(&info.name, &info.quant);
        let guard = match guard {
            Some(g) => {
                g.set_prompt(ModelRef::from(&model), p.prompt_tokens);
                g
            }
            None => self.node.start_job(ModelRef::from(&model), p.prompt_tokens),
        };
        guard.set_policy(&spec.policy);
        let why = crate::node::jobs::variant_why(spec.model.as_ref(), &info.why);
        guard.run_locally(info, &why);
        let events =
            submit(&engine, &p, spec, OWN_PRIORITY).inspect_err(|r| guard.refuse(&r.message))?;
        Ok(Routed {
            events,
            why,
            served_by: self.node.id(),
            model: model.to_string(),
            prompt_tokens: p.prompt_tokens,
            warning: p.warning,
            guard,
        })
    }

    /// The model a request without `model` gets: this node's first, else the first a peer
    /// serves.
    /// The model a request that names none gets: this node's first (of the kind asked: an
    /// embedding model for embeddings, else one that makes text), else a peer's.
    fn default_model(&self, embed: bool) -> Option<ModelRef> {
        if let Some(e) = self.node.engines().iter().find(|e| e.embeds() == embed) {
            return Some(ModelRef::parse(&e.info().name));
        }
        let embeds = |m: &crate::net::wire::ModelAd| {
            m.features
                .iter()
                .any(|f| f == crate::net::wire::FEATURE_EMBED)
        };
        self.net.as_ref()?.with_table(|t| {
            t.peers()
                .filter(|p| p.routable())
                .find_map(|p| {
                    p.announcement
                        .as_ref()?
                        .models
                        .iter()
                        .find(|m| embeds(m) == embed)
                })
                .map(|m| ModelRef::parse(&m.name))
        })
    }

    /// The models this node and its routable peers serve, by name, this node's first.
    pub fn served_names(&self) -> Vec<String> {
        let mut have: Vec<String> = self
            .node
            .engines()
            .iter()
            .map(|e| e.info().name.clone())
            .collect();
        if let Some(net) = &self.net {
            net.with_table(|t| {
                for p in t.peers().filter(|p| p.routable()) {
                    for m in p.announcement.iter().flat_map(|a| a.models.iter()) {
                        if !have.contains(&m.name) {
                            have.push(m.name.clone());
                        }
                    }
                }
            });
        }
        have
    }

    /// 404 naming what is served.
    fn not_served(&self, model: &ModelRef) -> Refusal {
        let have = self.served_names();
        Refusal::new(
            404,
            format!(
                "The model `{model}` is not served by this node or any reachable peer; available: {}",
                if have.is_empty() {
                    "none".to_string()
                } else {
                    have.join(", ")
                }
            ),
        )
        .param("model")
        .code(ErrorCode::ModelNotFound)
    }
}
