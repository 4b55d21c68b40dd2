//! Contributing only what is idle: the governor that pauses the node for peers when its owner
//! needs the machine, outside its contribution windows, on battery or when hot, and resumes it
//! once the condition has been clear for a hold-off time.
//!
//! Owns: the `[idle]` settings and `contribute` windows ([`Settings`]), the readers of the
//! conditions ([`probe`]), the windows ([`schedule`]), and the loop that reads them every
//! `interval` and tells the node ([`crate::node::Node::set_conditions`]). When the conditions
//! pause the node, peers' running jobs get `grace` to finish; then the node hands them back to
//! their requesters, who continue them elsewhere from the tokens already streamed.
//!
//! Must not touch: the network or the engines. It speaks to the node only, whose switch peers
//! hear of (the announcement) and whose streams hand jobs back.

pub mod power;
pub mod probe;
pub mod schedule;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use crate::node::{Conditions, Node, Reason};
pub use schedule::Schedule;

/// The `[idle]` table of the config file: each condition, its threshold, and the timings. A
/// threshold of 0 (or `false`, or `"off"`) turns its condition off.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// Pause while other programs use more than this share of all CPU cores, percent [50].
    pub cpu_percent: Option<f64>,
    /// Pause while other programs use more than this share of a GPU, percent [10].
    pub gpu_percent: Option<f64>,
    /// Pause while other programs hold more than this much GPU memory, e.g. `1GiB` [1GiB].
    pub gpu_memory: Option<String>,
    /// Pause while on battery [true].
    pub on_battery: Option<bool>,
    /// Pause while a sensor (CPU, GPU) is hotter than this, °C [90].
    pub max_temp_c: Option<u32>,
    /// Pause while someone typed at a terminal or console within this long, e.g. `5m` [off].
    pub user_active: Option<String>,
    /// How long a condition must stay clear before the node resumes [30s].
    pub hold_off: Option<String>,
    /// How long peers' running jobs may go on after a pause before they are handed back [250ms].
    pub grace: Option<String>,
    /// How often the conditions are read [1s].
    pub interval: Option<String>,
    /// Where sysfs is (battery and heat are read under it) [/sys].
    pub sysfs: Option<PathBuf>,
    /// Where the terminals are (the user's last input is read under it) [/dev].
    pub dev: Option<PathBuf>,
    /// Set each NVIDIA GPU's power limit to this many watts while contributing (needs root;
    /// restored when paused and on exit); refused, the engine keeps the same share of its time
    /// for peers instead [off].
    pub power_limit_w: Option<u32>,
}

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The conditions and timings in force.
#[derive(Debug, Clone)]
pub struct Settings {
    pub schedule: Schedule,
    /// Off (`--auto-pause=false`): only the schedule and the hand decide.
    pub auto: bool,
    pub cpu_percent: f64,
    pub gpu_percent: f64,
    pub gpu_memory: u64,
    pub on_battery: bool,
    pub max_temp_c: u32,
    pub user_active: Option<Duration>,
    pub hold_off: Duration,
    pub grace: Duration,
    pub interval: Duration,
    pub sysfs: PathBuf,
    pub dev: PathBuf,
    pub power_limit_w: Option<u32>,
}

impl Settings {
    /// From the file's table, the windows and the flags; an error says which key and why.
    pub fn resolve(
        f: &File,
        contribute: &[String],
        auto: bool,
        hold_off: Option<&str>,
    ) -> Result<Settings, String> {
        let duration = |key: &str, v: Option<&str>, default: &str| -> Result<Duration, String> {
            let v = v.unwrap_or(default).trim();
            if v.eq_ignore_ascii_case("off") {
                return Ok(Duration::ZERO);
            }
            humantime::parse_duration(v)
                .map_err(|e| format!("`{key}`: `{v}` is not a duration ({e}; write e.g. 30s)"))
        };
        let percent = |key: &str, v: Option<f64>, default: f64| match v.unwrap_or(default) {
            p if (0.0..=100.0).contains(&p) => Ok(p),
            p => Err(format!("`{key}`: {p} is not a percentage from 0 to 100")),
        };
        let gpu_memory = match f.gpu_memory.as_deref().unwrap_or("1GiB").trim() {
            "0" | "off" => 0,
            v => v
                .parse::<bytesize::ByteSize>()
                .map_err(|e| format!("`gpu_memory`: `{v}` is not a size ({e}; write e.g. 1GiB)"))?
                .as_u64(),
        };
        let within = |key: &str, d: Duration, least: Duration, most: Duration| {
            if d < least || d > most {
                return Err(format!(
                    "`{key}`: from {} to {}, not {}",
                    humantime::format_duration(least),
                    humantime::format_duration(most),
                    humantime::format_duration(d)
                ));
            }
            Ok(d)
        };
        let interval = duration("interval", f.interval.as_deref(), "1s")?;
        let interval = within("interval", interval, Duration::from_millis(100), HOUR)?;
        let user_active = duration("user_active", f.user_active.as_deref(), "off")?;
        let user_active = within("user_active", user_active, Duration::ZERO, DAY)?;
        // A hold-off under a second would flap the node's announcements (its peers count them).
        let hold_off = duration("hold_off", hold_off.or(f.hold_off.as_deref()), "30s")?;
        let hold_off = within("hold_off", hold_off, Duration::from_secs(1), DAY)?;
        let grace = duration("grace", f.grace.as_deref(), "250ms")?;
        let grace = within("grace", grace, Duration::ZERO, Duration::from_secs(60))?;
        Ok(Settings {
            schedule: Schedule::parse(contribute).map_err(|e| format!("`contribute`: {e}"))?,
            auto,
            cpu_percent: percent("cpu_percent", f.cpu_percent, 50.0)?,
            gpu_percent: percent("gpu_percent", f.gpu_percent, 10.0)?,
            gpu_memory,
            on_battery: f.on_battery.unwrap_or(true),
            max_temp_c: f.max_temp_c.unwrap_or(90),
            user_active: (!user_active.is_zero()).then_some(user_active),
            hold_off,
            grace,
            interval,
            sysfs: f.sysfs.clone().unwrap_or_else(|| "/sys".into()),
            dev: f.dev.clone().unwrap_or_else(|| "/dev".into()),
            power_limit_w: f.power_limit_w.filter(|w| *w > 0),
        })
    }

    /// Nothing to watch: no window and no condition.
    pub fn idle(&self) -> bool {
        self.schedule.always() && !self.auto
    }
}

/// The local time, to the second; a test's clock in debug builds (`LLP_TEST_CLOCK` names a
/// file holding `YYYY-MM-DDTHH:MM:SS`, read at every tick).
fn local_now() -> chrono::NaiveDateTime {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os("LLP_TEST_CLOCK")
        && let Ok(text) = std::fs::read_to_string(path)
        && let Ok(t) = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S")
    {
        return t;
    }
    chrono::Local::now().naive_local()
}

/// The conditions read once: what holds now, by kind.
pub fn read(s: &Settings, probes: &mut probe::Probes) -> BTreeMap<&'static str, String> {
    let mut now = BTreeMap::new();
    if !s.auto {
        return now;
    }
    if s.cpu_percent > 0.0 {
        let busy = probes.cpu();
        if busy.percent > s.cpu_percent {
            let top = busy
                .top
                .map(|(who, p)| format!(", most by {who} at {p:.0} %"))
                .unwrap_or_default();
            now.insert(
                "cpu",
                format!("CPU busy: other programs use {:.0} %{top}", busy.percent),
            );
        }
    }
    let mut hottest = if s.max_temp_c > 0 {
        probe::hottest(&s.sysfs)
    } else {
        None
    };
    if s.gpu_percent > 0.0 || s.gpu_memory > 0 || s.max_temp_c > 0 {
        for g in probes.gpus().unwrap_or_default() {
            let busy = g
                .busy
                .filter(|b| s.gpu_percent > 0.0 && b.percent > s.gpu_percent);
            if let Some(b) = busy {
                let who = b.top.map(|(w, _)| format!(" with {w}")).unwrap_or_default();
                now.insert(
                    "gpu",
                    format!("GPU {} busy{who} ({:.0} %)", g.index, b.percent),
                );
            } else if s.gpu_memory > 0 && g.memory > s.gpu_memory {
                let who = g.memory_top.map(|w| format!(" by {w}")).unwrap_or_default();
                now.insert(
                    "gpu",
                    format!(
                        "GPU {} in use{who} ({} held)",
                        g.index,
                        bytesize::ByteSize(g.memory)
                    ),
                );
            }
            if let Some(t) = g.temperature_c
                && hottest.as_ref().is_none_or(|(_, h)| t > *h)
            {
                hottest = Some((format!("GPU {} ({})", g.index, g.name), t));
            }
        }
    }
    if let Some((what, t)) = hottest
        && s.max_temp_c > 0
        && t > s.max_temp_c
    {
        now.insert(
            "heat",
            format!("too hot: {what} at {t} °C (limit {} °C)", s.max_temp_c),
        );
    }
    if s.on_battery
        && let Some(b) = probe::on_battery(&s.sysfs)
    {
        now.insert("battery", b);
    }
    let since_input = |last: SystemTime| SystemTime::now().duration_since(last).unwrap_or_default();
    if let Some(window) = s.user_active
        && let Some(ago) = probe::last_input(&s.dev).map(since_input)
        && ago < window
    {
        now.insert(
            "user",
            format!("someone is at the keyboard (input {} s ago)", ago.as_secs()),
        );
    }
    now
}

/// The governor's memory: when each condition was last seen, and its words then.
#[derive(Default)]
struct Held {
    seen: BTreeMap<&'static str, (Instant, String)>,
}

impl Held {
    /// The conditions in force: those that hold now, and those cleared less than `hold_off`
    /// ago; with when the node expects to resume.
    fn verdict(
        &mut self,
        s: &Settings,
        now: BTreeMap<&'static str, String>,
        at: Instant,
        clock: chrono::NaiveDateTime,
    ) -> Conditions {
        for (kind, text) in now {
            self.seen.insert(kind, (at, text));
        }
        self.seen
            .retain(|_, (seen, _)| at.duration_since(*seen) < s.hold_off || *seen == at);
        let mut reasons: Vec<Reason> = self
            .seen
            .iter()
            .map(|(kind, (seen, text))| Reason {
                kind: kind.to_string(),
                text: text.clone(),
                clearing: *seen != at,
            })
            .collect();
        let unix = crate::ids::unix_now();
        // Held ones resume after their hold-off; one that holds now gives no time.
        let mut resume = (!reasons.iter().any(|r| !r.clearing)).then(|| {
            self.seen
                .values()
                .map(|(seen, _)| {
                    unix + s
                        .hold_off
                        .saturating_sub(at.duration_since(*seen))
                        .as_secs()
                })
                .max()
                .unwrap_or(unix)
        });
        if !s.schedule.open(clock) {
            let opens = s.schedule.next_change(clock);
            let text = match opens {
                Some(t) => format!(
                    "outside the contribution windows ({}) until {}",
                    s.schedule.describe(),
                    t.format("%a %H:%M")
                ),
                None => format!(
                    "outside the contribution windows ({})",
                    s.schedule.describe()
                ),
            };
            let opens_unix = opens.map(|t| unix + (t - clock).num_seconds().max(0) as u64);
            resume = match (resume, opens_unix) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
            reasons.insert(
                0,
                Reason {
                    kind: "schedule".into(),
                    text,
                    clearing: false,
                },
            );
        }
        Conditions {
            resume_at: resume.filter(|_| !reasons.is_empty()),
            reasons,
        }
    }
}

/// Watches the conditions until the node stops. Nothing to watch: returns at once.
pub fn start(node: &Node, s: Settings) {
    if s.idle() {
        return;
    }
    let n = node.clone();
    let share = node.settings().engine.peer_share.clone();
    node.tasks().spawn(async move {
        let mut probes = probe::Probes::new();
        // Made on the first reading (NVML loads a library), dropped (restored) at the end.
        let mut power: Option<power::Power> = None;
        let mut held = Held::default();
        let mut tick = tokio::time::interval(s.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last: Option<Conditions> = None;
        let settings = std::sync::Arc::new(s);
        loop {
            tick.tick().await;
            let (s, share) = (settings.clone(), share.clone());
            let contributing = !n.paused();
            let Ok((p, pw, now)) = tokio::task::spawn_blocking(move || {
                let now = read(&s, &mut probes);
                if let Some(w) = s.power_limit_w {
                    power
                        .get_or_insert_with(|| power::Power::new(w, share))
                        .follow(contributing);
                }
                (probes, power, now)
            })
            .await
            else {
                // (A reader panicked: the switch stays where it is, and the log says why.)
                tracing::error!("the idle conditions are no longer read: a reader failed");
                return;
            };
            (probes, power) = (p, pw);
            let c = held.verdict(&settings, now, Instant::now(), local_now());
            if last.as_ref() == Some(&c) {
                continue;
            }
            let was = n.paused_by_conditions();
            n.set_conditions(c.clone());
            if !was && n.paused_by_conditions() {
                hand_back_after(&n, settings.grace);
            }
            last = Some(c);
        }
    });
}

/// After `grace`, peers' jobs still running are handed back, if the conditions still pause the
/// node (a hand may have resumed it meanwhile).
fn hand_back_after(node: &Node, grace: Duration) {
    let n = node.clone();
    node.tasks().spawn(async move {
        tokio::time::sleep(grace).await;
        if !n.paused_by_conditions() || n.yielding() {
            return;
        }
        let jobs = n.running_peer_jobs();
        if jobs > 0 {
            tracing::info!(
                "handing {jobs} peer job(s) back to their requesters: {}",
                n.contribution().why
            );
        }
        // (Pipeline stages run for peers hear it too.)
        n.hand_back_peer_jobs();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(contribute: &[&str], hold_off: &str) -> Settings {
        let w: Vec<String> = contribute.iter().map(|s| s.to_string()).collect();
        Settings::resolve(&File::default(), &w, true, Some(hold_off)).unwrap()
    }

    fn clock(s: &str) -> chrono::NaiveDateTime {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_condition_holds_for_its_hold_off_after_it_clears() {
        let s = settings(&[], "30s");
        let mut h = Held::default();
        let t0 = Instant::now();
        let c = clock("2026-12-07 12:00:00");
        let busy = BTreeMap::from([("cpu", "CPU busy".to_string())]);
        let v = h.verdict(&s, busy.clone(), t0, c);
        assert_eq!(v.reasons.len(), 1);
        assert!(!v.reasons[0].clearing && v.resume_at.is_none());
        // Cleared 10 s later: still held, resuming 20 s on.
        let v = h.verdict(&s, BTreeMap::new(), t0 + Duration::from_secs(10), c);
        assert!(v.reasons[0].clearing);
        let left = v.resume_at.unwrap() - crate::ids::unix_now();
        assert!((19..=20).contains(&left), "{left}");
        // Back again: the count starts over.
        let v = h.verdict(&s, busy, t0 + Duration::from_secs(20), c);
        assert!(!v.reasons[0].clearing);
        let v = h.verdict(&s, BTreeMap::new(), t0 + Duration::from_secs(49), c);
        assert_eq!(v.reasons.len(), 1);
        let v = h.verdict(&s, BTreeMap::new(), t0 + Duration::from_secs(51), c);
        assert!(v.reasons.is_empty() && v.resume_at.is_none());
    }

    #[test]
    fn outside_its_windows_the_node_resumes_when_the_next_opens() {
        let s = settings(&["Mon-Fri 00:00-07:00"], "30s");
        let mut h = Held::default();
        let v = h.verdict(
            &s,
            BTreeMap::new(),
            Instant::now(),
            clock("2026-12-07 06:59:30"),
        );
        assert!(v.reasons.is_empty());
        let v = h.verdict(
            &s,
            BTreeMap::new(),
            Instant::now(),
            clock("2026-12-07 07:00:00"),
        );
        assert_eq!(v.reasons[0].kind, "schedule");
        assert!(
            v.reasons[0].text.contains("until Tue 00:00"),
            "{:?}",
            v.reasons
        );
        let left = v.resume_at.unwrap() - crate::ids::unix_now();
        assert!((17 * 3600 - 1..=17 * 3600).contains(&left), "{left}");
    }

    #[test]
    fn bad_settings_name_their_key() {
        let bad = |f: File| Settings::resolve(&f, &[], true, None).unwrap_err();
        let e = bad(File {
            cpu_percent: Some(150.0),
            ..File::default()
        });
        assert!(e.contains("`cpu_percent`: 150"), "{e}");
        let e = bad(File {
            hold_off: Some("soon".into()),
            ..File::default()
        });
        assert!(e.contains("`hold_off`: `soon`"), "{e}");
        let e = bad(File {
            gpu_memory: Some("lots".into()),
            ..File::default()
        });
        assert!(e.contains("`gpu_memory`"), "{e}");
        let e = Settings::resolve(&File::default(), &["Mon 9-5".into()], true, None).unwrap_err();
        assert!(e.starts_with("`contribute`: `Mon 9-5`"), "{e}");
    }
}
