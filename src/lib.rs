//! Local LLM Proxy (`llp`): one binary that turns a machine's idle GPU or CPU into a node of a
//! peer-to-peer LLM inference network, served to applications through an OpenAI-compatible API
//! on localhost.
//!
//! The parts, one module each, in layers: a module uses the ones below it, never those above.
//!
//! - Commands and faces:
//!   - [`cli`]: the command line; [`cli::start_node`] is the one place that wires the parts
//!     together.
//!   - [`bench`]: the benchmarks behind `llp bench`; [`sim`]: the network at internet scale,
//!     simulated over the real routing cores (`llp bench --sim`).
//!   - [`tui`]: the terminal UI, a client of the node's API (attached or embedded).
//!   - [`api`]: the local HTTP API (OpenAI routes, status, metrics); [`client`]: a client of it.
//! - [`route`]: where a job runs (this node or a peer), decided by a pure function, with
//!   backpressure and a bounded wait, under the job's routing policy; [`fallback`]: the paid
//!   OpenAI-compatible upstream it may go to instead; [`status`]: the node snapshot.
//! - [`net`]: the peer network over iroh (connections, gossip, the routing table, serving
//!   peers' jobs and sending ours, failover).
//! - [`idle`]: contributing only what is idle: the schedule, the owner's use of the machine,
//!   battery and heat pause the node for peers (and hand their running jobs back).
//! - [`node`]: the owner of the node's local state (engines, jobs, contribution, data dir),
//!   reached through handles.
//! - [`job`]: what a job is (spec, prompt, sampling, refusal, events, state) and the local
//!   submit path.
//! - [`engine`]: llama.cpp inference with continuous batching on its own thread.
//! - [`trust`]: verified work: spot checks of peers' answers by teacher forcing.
//! - [`ledger`]: the credit ledger (a hash-chained, signed chain in redb), pricing, holds,
//!   audits of peers' chains and proofs.
//! - The vocabulary: [`ids`] (node, model and job ids), [`config`], [`catalog`] (the
//!   `models.toml` catalog), [`fetch`] (downloads, checksums), [`convert`] (safetensors to GGUF),
//!   [`devices`] (this machine's profile), [`tasks`] (owned tasks under one cancellation tree).

pub mod api;
pub mod bench;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod config;
pub mod convert;
pub mod devices;
pub mod engine;
pub mod fallback;
pub mod fetch;
#[cfg(test)]
mod fuzz;
pub mod idle;
pub mod ids;
pub mod job;
pub mod ledger;
pub mod net;
pub mod node;
pub mod route;
pub mod sim;
pub mod status;
pub mod tasks;
pub mod trust;
pub mod tui;
