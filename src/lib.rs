//! Local LLM Proxy (`llp`): one binary that turns a machine's idle GPU or CPU into a node of a
//! peer-to-peer LLM inference network, served to applications through an OpenAI-compatible API
//! on localhost.
//!
//! The parts, one module each:
//! - [`config`]: settings from defaults, the config file, the environment and flags.
//! - [`catalog`]: the `models.toml` catalog and model-name resolution.
//! - [`fetch`]: downloading model files, checksums, trust on first use.
//! - [`devices`]: the capability profile of this machine.
//! - [`engine`]: llama.cpp inference with continuous batching on its own thread.
//! - [`node`]: the owner of the node's state (data dir, engines, jobs), reached through handles.
//! - [`net`]: the peer network over iroh (handshake, gossip announcements, the routing table,
//!   serving peers' jobs and sending ours, failover).
//! - [`ledger`]: the credit ledger (a hash-chained, signed chain in redb), pricing, holds,
//!   receipts, audits of peers' chains and equivocation proofs.
//! - [`route`]: where a job runs (this node or a peer), with backpressure and a bounded wait.
//! - [`api`]: the local HTTP API (OpenAI routes, status, metrics).
//! - [`client`]: a client of that API for the CLI.
//! - [`tui`]: the terminal UI, a client of the node's API (attached or embedded).
//! - [`cli`]: the command line.

pub mod api;
pub mod catalog;
pub mod cli;
pub mod client;
pub mod config;
pub mod devices;
pub mod engine;
pub mod fetch;
pub mod ledger;
pub mod net;
pub mod node;
pub mod route;
pub mod tui;
