//! Fleets: an owner key certifies nodes into one account. Real `llp serve` processes on
//! 127.0.0.1: three gateways earn from a requester outside the account, a fourth member spends
//! what they earned, the account's balance is the same on every member and adds up, and a
//! revoked member neither gives nor receives.

use std::path::Path;

use serde_json::{Value, json};

use local_llm_proxy::net::wire;

use crate::common::*;
use crate::network::{QUICK, until_routable};

/// Every node of these tests: a small starter grant, so that spending past it needs the
/// account (every node of a network has the same credit policy).
fn config(dir: &Path) -> std::path::PathBuf {
    config_file(dir, "[credits]\nstarter_grant = 100\n")
}

/// Certifies the node of `data` into the account of `key`.
fn add_node(key: &Path, data: &Path) {
    let out = run(llp()
        .args(["account", "add-node", "--key"])
        .arg(key)
        .arg("--data-dir")
        .arg(data));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("llpcert1"), "{}", stdout(&out));
}

fn start(data: tempfile::TempDir, config: &Path, head: &[&str], extra: &[&str]) -> Node {
    let c = config.to_str().unwrap().to_string();
    let mut args: Vec<&str> = head.to_vec();
    args.extend_from_slice(&QUICK);
    args.extend_from_slice(&["--config", &c]);
    args.extend_from_slice(extra);
    Node::start_via(&[], data, &args)
}

async fn account(node: &Node) -> Value {
    node.get_json("/api/account").await
}

async fn balance(node: &Node) -> u64 {
    node.status().await["ledger"]["balance"].as_u64().unwrap()
}

#[tokio::test]
async fn a_fleet_earns_on_three_gateways_and_a_fourth_member_spends_it() {
    let owner = tempfile::tempdir().unwrap();
    let key = owner.path().join("owner.key");
    let out = run(llp().args(["account", "create", "--key"]).arg(&key));
    assert!(out.status.success(), "{}", stderr(&out));
    let account_id = stdout(&out).trim().to_string();
    // Never overwritten.
    let again = run(llp().args(["account", "create", "--key"]).arg(&key));
    assert!(!again.status.success());

    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = config(cfg_dir.path());
    let dirs: Vec<tempfile::TempDir> = (0..4).map(|_| tempfile::tempdir().unwrap()).collect();
    for d in &dirs {
        add_node(&key, d.path());
    }
    let mut dirs = dirs.into_iter();
    let net = format!("n{}", rand_hex());
    let g1 = start(dirs.next().unwrap(), &cfg, &["--network", &net], &[]);
    let t = g1.ticket();
    let g2 = start(dirs.next().unwrap(), &cfg, &["--join", &t], &[]);
    let g3 = start(dirs.next().unwrap(), &cfg, &["--join", &t], &[]);
    let spender = start(
        dirs.next().unwrap(),
        &cfg,
        &["--join", &t],
        &["--model", "none"],
    );
    // A requester outside the account.
    let requester = start(
        tempfile::tempdir().unwrap(),
        &cfg,
        &["--join", &t],
        &["--model", "none"],
    );
    let gateways = [&g1, &g2, &g3];
    until_routable(&requester, &gateways).await;
    until_routable(&spender, &gateways).await;
    let all = [&g1, &g2, &g3, &spender, &requester];

    // Every member sees the four; the requester is in no account.
    for m in [&g1, &g2, &g3, &spender] {
        eventually(
            30,
            "every member sees the account's four members",
            async || {
                let a = account(m).await;
                (a["members"].as_array().map_or(0, Vec::len) == 4).then_some(())
            },
        )
        .await;
        assert_eq!(account(m).await["id"], account_id.as_str());
    }
    let (s, _, _) = post(&requester.url("/api/account/pull"), &json!({"credits": 5})).await;
    assert_eq!(s, 404);
    // A peer outside the account that asks a member for credits, or for the owner's
    // revocations, is refused.
    let at = crate::wire::attacker(&g1).await;
    let policy = local_llm_proxy::ledger::Policy {
        starter_grant: 100,
        ..test_policy()
    };
    let catalog = local_llm_proxy::catalog::Catalog::builtin();
    let conn = at
        .member_of(policy.pricing_id(&local_llm_proxy::ledger::catalog_facts(&catalog)))
        .await;
    for ask in [
        json!({"type": "transfer", "credits": 50}),
        json!({"type": "get_revocations"}),
    ] {
        let (code, m) = crate::wire::refused(at.raw(&conn, &wire::encode(&ask)).await);
        assert!(m.contains("not a member"), "{ask}: {code} {m}");
    }
    assert_eq!(balance(&g1).await, 100);

    // Overnight: a burst of the requester's jobs, which the gateways serve and earn from.
    let before: Vec<u64> = futures_util::future::join_all(gateways.map(balance)).await;
    let burst = (0..5).map(|i| {
        let url = requester.url("/v1/chat/completions");
        async move { post(&url, &chat_body(&format!("Name a colour, {i}."), 16)).await }
    });
    for (s, _, v) in futures_util::future::join_all(burst).await {
        assert_eq!(s, 200, "{v}");
    }
    eventually(60, "the gateways are paid", async || {
        let now: Vec<u64> = futures_util::future::join_all(gateways.map(balance)).await;
        (now.iter().sum::<u64>() > before.iter().sum::<u64>()).then_some(())
    })
    .await;

    // The fourth member spends more than it ever had: its job's worst case (max_tokens 1500)
    // is past its 100 credits, so it asks the other members for the rest.
    let own = balance(&spender).await;
    assert!(own <= 100, "{own}");
    let (s, h, v) = post(
        &spender.url("/v1/chat/completions"),
        &chat_body("Tell a story about a lighthouse.", 1500),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(
        gateways
            .iter()
            .any(|g| g.id == h["x-llp-node"].to_str().unwrap())
    );
    // Its chain holds the transfers as earnings, each backed by a member's spend.
    let entries = spender
        .get_json("/api/ledger/entries?after=0&limit=1000")
        .await;
    let transfers: Vec<&Value> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["job"].as_str().is_some_and(|j| j.starts_with("xfer-")))
        .collect();
    let said = |n: &Node| {
        n.log_text()
            .lines()
            .filter(|l| l.contains("account") || l.contains("transfer"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        !transfers.is_empty(),
        "{entries}\nspender:\n{}\ng1:\n{}",
        said(&spender),
        said(&g1)
    );
    assert!(
        transfers.iter().all(|e| e["kind"] == "earn"),
        "{transfers:?}"
    );
    // And it can ask for credits itself.
    let (s, _, v) = post(&spender.url("/api/account/pull"), &json!({"credits": 20})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["pulled"], 20, "{v}");

    // The account's balance is the same on every member, and is the sum of their own; no
    // credit was made or lost anywhere: the five chains hold the five grants.
    let members = [&g1, &g2, &g3, &spender];
    let total = eventually(
        60,
        "every member shows the same exact account balance",
        async || {
            let own: Vec<u64> = futures_util::future::join_all(members.map(balance)).await;
            let sum: u64 = own.iter().sum();
            let shown: Vec<u64> = futures_util::future::join_all(members.map(account))
                .await
                .iter()
                .map(|a| a["balance"].as_u64().unwrap())
                .collect();
            shown.iter().all(|b| *b == sum).then_some(sum)
        },
    )
    .await;
    eventually(60, "every credit is accounted for", async || {
        let sum: u64 = futures_util::future::join_all(all.map(balance))
            .await
            .iter()
            .sum();
        (sum == 500).then_some(())
    })
    .await;
    assert!(total > 0);
    for n in all {
        assert_chain_verifies(n.data_dir());
    }

    // The owner revokes g3, through the spender's node: every member drops it, the account's
    // balance no longer counts it, and it neither gives nor asks.
    let out = run(llp()
        .args(["account", "revoke", "--key"])
        .arg(&key)
        .arg(&g3.id)
        .arg("--data-dir")
        .arg(spender.data_dir()));
    assert!(out.status.success(), "{}", stderr(&out));
    for m in [&g1, &g2, &spender] {
        eventually(30, "every member drops the revoked one", async || {
            let a = account(m).await;
            let ids: Vec<&str> = a["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["node"].as_str().unwrap())
                .collect();
            (ids.len() == 3 && !ids.contains(&g3.id.as_str())).then_some(())
        })
        .await;
    }
    eventually(30, "the revoked node knows", async || {
        (account(&g3).await["revoked"] == true).then_some(())
    })
    .await;
    let (s, _, e) = post(&g3.url("/api/account/pull"), &json!({"credits": 5})).await;
    assert_eq!(s, 409, "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains("revoked"),
        "{e}"
    );
    let g3_before = balance(&g3).await;
    let (s, _, v) = post(
        &spender.url("/api/account/pull"),
        &json!({"credits": 100000}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["pulled"].as_u64().unwrap() > 0, "{v}");
    assert_eq!(balance(&g3).await, g3_before);
}
