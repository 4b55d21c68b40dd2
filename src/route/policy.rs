//! Routing policy: where a job's prompt may go and what it may cost.
//!
//! A node has a policy (the config file's `[policy]` table and the `--route`, `--route-region`,
//! `--max-credits`, `--max-ttft-ms` flags), and a request may add its own (the `x-llp-policy`
//! header, the `llp_policy` field). The two are merged rule by rule and the stricter one wins:
//! a request can narrow its node's policy, never widen it. The rules:
//! - `route`: `local` (this machine only), `network` (only nodes that proved this private
//!   network's secret: none on the open network, and never the paid fallback), `any`;
//! - `region`: the regions a node must announce (its operator's word) to be sent the prompt;
//! - `max_credits`: the most the job may cost on the network (its worst case: the prompt and
//!   every token `max_tokens` allows);
//! - `max_ttft_ms`: the longest expected time to the first token (a node's measured first-token
//!   time, else its round trip), which also bounds the wait for room;
//! - `max_cost`: the most the job may cost at the paid fallback, in its currency.
//!
//! This node's own engine is always allowed: the prompt is already here.
//!
//! Owns: the rules, their parse (file, header, field), their merge, and the judgment of one
//! candidate. Reading the peer table to apply them is `net::remote::screen`'s.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::job::{ErrorCode, Refusal};

/// How far a prompt may travel, from the strictest.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// This machine only.
    Local,
    /// Nodes that proved this private network's secret.
    Network,
    /// Any node, and the paid fallback.
    #[default]
    Any,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Local => "local",
            Route::Network => "network",
            Route::Any => "any",
        }
    }
}

/// Who set a rule, named in a refusal so that the user knows which one to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// This node's config (file or flags).
    Node,
    /// The request (header or field).
    Request,
}

impl Origin {
    fn says(self) -> &'static str {
        match self {
            Origin::Node => "this node's policy",
            Origin::Request => "the request's policy",
        }
    }
}

/// The rules as a config file, a header or a request field gives them: each optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub route: Option<Route>,
    /// One region or a list.
    #[serde(default, deserialize_with = "one_or_many")]
    pub region: Option<Vec<String>>,
    pub max_credits: Option<u64>,
    pub max_ttft_ms: Option<u64>,
    pub max_cost: Option<f64>,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(Some(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    }))
}

/// The most regions one rule may list.
const MAX_REGIONS: usize = 32;

/// A region's name as nodes announce it and rules list it: 1 to 32 letters, digits, `-`, `_`,
/// compared without case. `None` when it is not one.
pub fn region_name(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 32
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| s.to_ascii_lowercase())
}

impl Rules {
    /// Checks the values; an error names the rule (`field` is how the user wrote the rules:
    /// `llp_policy`, `x-llp-policy` or `[policy]`).
    pub fn check(mut self, field: &str) -> Result<Rules, String> {
        if let Some(list) = &mut self.region {
            if list.is_empty() || list.len() > MAX_REGIONS {
                return Err(format!(
                    "{field}.region: list 1 to {MAX_REGIONS} regions (leave it out for any)"
                ));
            }
            for r in list.iter_mut() {
                *r = region_name(r).ok_or_else(|| {
                    format!(
                        "{field}.region: `{}` is not a region name (1-32 letters, digits, - _)",
                        r.chars().take(40).collect::<String>()
                    )
                })?;
            }
            list.sort();
            list.dedup();
        }
        if let Some(c) = self.max_cost
            && !(c.is_finite() && c >= 0.0)
        {
            return Err(format!("{field}.max_cost: must be a number of at least 0"));
        }
        Ok(self)
    }

    /// The header's form: `route=network; region=eu,ch; max_credits=50; max_ttft_ms=2000;
    /// max_cost=0.01`.
    pub fn parse_header(text: &str) -> Result<Rules, String> {
        let mut r = Rules::default();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| format!("x-llp-policy: `{part}` is not KEY=VALUE"))?;
            let bad = |what: &str| format!("x-llp-policy: {key}=`{value}` is not {what}");
            let twice = match key {
                "route" => r.route.is_some(),
                "region" => r.region.is_some(),
                "max_credits" => r.max_credits.is_some(),
                "max_ttft_ms" => r.max_ttft_ms.is_some(),
                "max_cost" => r.max_cost.is_some(),
                _ => false,
            };
            if twice {
                return Err(format!("x-llp-policy: `{key}` is given twice"));
            }
            match key {
                "route" => {
                    r.route = Some(match value {
                        "local" => Route::Local,
                        "network" => Route::Network,
                        "any" => Route::Any,
                        _ => return Err(bad("local, network or any")),
                    });
                }
                "region" => {
                    r.region = Some(value.split(',').map(|s| s.trim().to_string()).collect());
                }
                "max_credits" => r.max_credits = Some(value.parse().map_err(|_| bad("a count"))?),
                "max_ttft_ms" => r.max_ttft_ms = Some(value.parse().map_err(|_| bad("a count"))?),
                "max_cost" => r.max_cost = Some(value.parse().map_err(|_| bad("a number"))?),
                _ => {
                    return Err(format!(
                        "x-llp-policy: unknown rule `{key}` (route, region, max_credits, \
                         max_ttft_ms, max_cost)"
                    ));
                }
            }
        }
        r.check("x-llp-policy")
    }
}

/// The policy a job runs under: each rule in force, and who set those that are not the
/// default. Shown in the job's detail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    pub route: Route,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_credits: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ttft_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_cost: Option<f64>,
    /// Who set each rule that is not the default (`route`, `region`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub set_by: BTreeMap<String, Origin>,
}

/// Why a rule keeps a job from a candidate: the rule's name and the reason, for the refusal.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub rule: &'static str,
    pub why: String,
}

/// What a rule needs to know of one candidate node.
#[derive(Debug, Clone, Default)]
pub struct Candidate<'a> {
    /// The region it announces.
    pub region: Option<&'a str>,
    /// It proved this network's secret (every peer of a private network does).
    pub member: bool,
    /// Its expected time to the first token.
    pub ttft: Option<Duration>,
    /// The most the job could cost there, in credits.
    pub worst_credits: u64,
}

impl Policy {
    /// This node's policy from its rules.
    pub fn node(rules: &Rules) -> Policy {
        Policy::default()
            .narrowed(rules, Origin::Node)
            .expect("the default policy narrows to anything")
    }

    /// Whether it is the default (any node, no ceilings).
    pub fn is_open(&self) -> bool {
        *self == Policy::default()
    }

    /// The policy with `rules` (set by `by`) merged in: the stricter of each wins. A region
    /// list that leaves no region is refused (403, naming the rule).
    pub fn narrowed(&self, rules: &Rules, by: Origin) -> Result<Policy, Refusal> {
        let mut p = self.clone();
        let set = |name: &str, p: &mut Policy| {
            p.set_by.insert(name.to_string(), by);
        };
        if let Some(r) = rules.route
            && r < p.route
        {
            p.route = r;
            set("route", &mut p);
        }
        if let Some(want) = &rules.region {
            let left: Vec<String> = match &p.region {
                None => want.clone(),
                Some(have) => have.iter().filter(|r| want.contains(r)).cloned().collect(),
            };
            if left.is_empty() {
                return Err(refusal(
                    "region",
                    format!(
                        "the request allows the regions {} and {} only {}: no region is left",
                        want.join(", "),
                        p.said_by("region"),
                        p.region.as_deref().unwrap_or_default().join(", ")
                    ),
                ));
            }
            if p.region.as_ref() != Some(&left) {
                p.region = Some(left);
                set("region", &mut p);
            }
        }
        let least = |name: &str, have: &mut Option<u64>, want: Option<u64>, p: &mut Policy| {
            if let Some(w) = want
                && have.is_none_or(|h| w < h)
            {
                *have = Some(w);
                p.set_by.insert(name.to_string(), by);
            }
        };
        let (mut c, mut t) = (p.max_credits, p.max_ttft_ms);
        least("max_credits", &mut c, rules.max_credits, &mut p);
        least("max_ttft_ms", &mut t, rules.max_ttft_ms, &mut p);
        (p.max_credits, p.max_ttft_ms) = (c, t);
        if let Some(w) = rules.max_cost
            && p.max_cost.is_none_or(|h| w < h)
        {
            p.max_cost = Some(w);
            set("max_cost", &mut p);
        }
        Ok(p)
    }

    /// Who set `rule`, in words.
    pub fn said_by(&self, rule: &str) -> &'static str {
        self.set_by.get(rule).map_or("the default", |o| o.says())
    }

    /// Whether peers may be sent the prompt at all (`open`: this node's network is open, so
    /// its peers proved no secret).
    pub fn allows_peers(&self, open: bool) -> Result<(), Excluded> {
        match self.route {
            Route::Local => Err(Excluded {
                rule: "route",
                why: format!(
                    "route `local` ({}) keeps the prompt on this machine",
                    self.said_by("route")
                ),
            }),
            Route::Network if open => Err(Excluded {
                rule: "route",
                why: format!(
                    "route `network` ({}) allows only nodes that proved a private network's \
                     secret, and this node is on an open network (no --network-secret)",
                    self.said_by("route")
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Whether a peer may be sent the prompt (privacy: route and region), for any purpose
    /// (the job, its failover, a check of its answer).
    pub fn admits_privacy(&self, c: &Candidate<'_>) -> Result<(), Excluded> {
        if self.route == Route::Network && !c.member {
            return Err(Excluded {
                rule: "route",
                why: format!(
                    "route `network` ({}) allows only nodes that proved this network's secret",
                    self.said_by("route")
                ),
            });
        }
        if let Some(list) = &self.region
            && !c.region.is_some_and(|r| list.iter().any(|l| l == r))
        {
            return Err(Excluded {
                rule: "region",
                why: format!(
                    "region {} ({}) allows only nodes that announce one of them, and it {}",
                    list.join(", "),
                    self.said_by("region"),
                    match c.region {
                        Some(r) => format!("announces `{r}`"),
                        None => "announces none".into(),
                    }
                ),
            });
        }
        Ok(())
    }

    /// Whether a peer may run the job: [`Policy::admits_privacy`] and the ceilings.
    pub fn admits(&self, c: &Candidate<'_>) -> Result<(), Excluded> {
        self.admits_privacy(c)?;
        self.admits_credits(c.worst_credits)?;
        if let (Some(most), Some(t)) = (self.max_ttft_ms, c.ttft)
            && t > Duration::from_millis(most)
        {
            return Err(Excluded {
                rule: "max_ttft_ms",
                why: format!(
                    "max_ttft_ms {most} ({}): its first token is expected after {} ms",
                    self.said_by("max_ttft_ms"),
                    t.as_millis()
                ),
            });
        }
        Ok(())
    }

    /// Whether a job that could cost `worst` credits is within `max_credits`.
    pub fn admits_credits(&self, worst: u64) -> Result<(), Excluded> {
        match self.max_credits {
            Some(most) if worst > most => Err(Excluded {
                rule: "max_credits",
                why: format!(
                    "max_credits {most} ({}): the job could cost up to {worst} credits there (its \
                     prompt and every token max_tokens allows; a smaller max_tokens costs less)",
                    self.said_by("max_credits"),
                ),
            }),
            _ => Ok(()),
        }
    }

    /// The rules in force as one line (`route=network region=eu max_credits=50`), for logs.
    pub fn line(&self) -> String {
        let mut out = format!("route={}", self.route.as_str());
        if let Some(r) = &self.region {
            out += &format!(" region={}", r.join(","));
        }
        if let Some(c) = self.max_credits {
            out += &format!(" max_credits={c}");
        }
        if let Some(t) = self.max_ttft_ms {
            out += &format!(" max_ttft_ms={t}");
        }
        if let Some(c) = self.max_cost {
            out += &format!(" max_cost={c}");
        }
        out
    }
}

/// A refusal by the routing policy: 403 `route_policy`, its param naming the rule.
pub fn refusal(rule: &str, why: String) -> Refusal {
    Refusal::new(403, format!("refused by the routing policy: {why}"))
        .param(&format!("llp_policy.{rule}"))
        .code(ErrorCode::RoutePolicy)
}

/// The refusal when every candidate was excluded: the rule that kept out the most of them,
/// with one of its reasons, and the count of every rule.
pub fn none_allowed(model: &str, excluded: &[Excluded]) -> Refusal {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in excluded {
        *counts.entry(e.rule).or_default() += 1;
    }
    let Some((&rule, _)) = counts.iter().max_by_key(|(_, n)| **n) else {
        return refusal("route", format!("no node may serve {model}"));
    };
    let why = excluded
        .iter()
        .find(|e| e.rule == rule)
        .map(|e| e.why.clone())
        .unwrap_or_default();
    let tally: Vec<String> = counts
        .iter()
        .map(|(r, n)| format!("{r} excludes {n}"))
        .collect();
    refusal(
        rule,
        format!(
            "no allowed node serves {model}: {why} ({} of the {} that could: {})",
            counts[rule],
            excluded.len(),
            tally.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Rules {
        Rules::parse_header(text).unwrap()
    }

    #[test]
    fn the_stricter_rule_wins_whoever_sets_it() {
        let node = Policy::node(&rules("route=network; region=eu,ch; max_credits=100"));
        // A request cannot widen: `any` stays `network`, 500 stays 100.
        let p = node
            .narrowed(&rules("route=any; max_credits=500"), Origin::Request)
            .unwrap();
        assert_eq!(p.route, Route::Network);
        assert_eq!(p.max_credits, Some(100));
        assert_eq!(p.set_by["route"], Origin::Node);
        // It can narrow.
        let p = node
            .narrowed(
                &rules("route=local; region=eu,us; max_credits=7"),
                Origin::Request,
            )
            .unwrap();
        assert_eq!(p.route, Route::Local);
        assert_eq!(p.region, Some(vec!["eu".to_string()]));
        assert_eq!(p.max_credits, Some(7));
        assert_eq!(p.set_by["region"], Origin::Request);
        // No region left: refused, naming the rule.
        let r = node
            .narrowed(&rules("region=us"), Origin::Request)
            .unwrap_err();
        assert_eq!(r.status, 403);
        assert_eq!(r.param.as_deref(), Some("llp_policy.region"));
        assert!(r.message.contains("no region is left"), "{}", r.message);
    }

    #[test]
    fn candidates_are_judged_by_each_rule() {
        let p = Policy::node(&rules("region=EU; max_credits=10; max_ttft_ms=500"));
        let ok = Candidate {
            region: Some("eu"),
            member: true,
            ttft: Some(Duration::from_millis(200)),
            worst_credits: 10,
        };
        assert_eq!(p.admits(&ok), Ok(()));
        let rule = |c: Candidate| p.admits(&c).unwrap_err().rule;
        assert_eq!(
            rule(Candidate {
                region: Some("us"),
                ..ok.clone()
            }),
            "region"
        );
        assert_eq!(
            rule(Candidate {
                region: None,
                ..ok.clone()
            }),
            "region"
        );
        assert_eq!(
            rule(Candidate {
                worst_credits: 11,
                ..ok.clone()
            }),
            "max_credits"
        );
        let slow = Candidate {
            ttft: Some(Duration::from_millis(501)),
            ..ok.clone()
        };
        assert_eq!(rule(slow), "max_ttft_ms");
        let net = Policy::node(&rules("route=network"));
        assert_eq!(
            net.admits(&Candidate {
                member: false,
                ..ok.clone()
            })
            .unwrap_err()
            .rule,
            "route"
        );
        assert!(net.allows_peers(true).is_err());
        assert!(net.allows_peers(false).is_ok());
        assert!(
            Policy::node(&rules("route=local"))
                .allows_peers(false)
                .is_err()
        );
    }

    #[test]
    fn bad_rules_are_named() {
        for (text, want) in [
            ("route=everywhere", "route=`everywhere`"),
            ("region=eu west", "not a region name"),
            ("max_credits=-1", "max_credits=`-1`"),
            ("speed=fast", "unknown rule `speed`"),
            ("max_cost=NaN", "max_cost"),
            ("route", "not KEY=VALUE"),
            ("route=local; route=any", "given twice"),
        ] {
            let e = Rules::parse_header(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn the_refusal_names_the_rule_that_kept_out_most() {
        let e = |rule, why: &str| Excluded {
            rule,
            why: why.into(),
        };
        let r = none_allowed(
            "m",
            &[
                e("region", "region eu"),
                e("max_credits", "x"),
                e("region", "region eu"),
            ],
        );
        assert_eq!(r.param.as_deref(), Some("llp_policy.region"));
        assert!(r.message.contains("2 of the 3 that could"), "{}", r.message);
    }
}
