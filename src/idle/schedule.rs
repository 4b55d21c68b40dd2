//! Contribution windows in local time: `"Mon-Fri 00:00-07:00"`, `"Sat-Sun all"`,
//! `"22:00-06:00"` (every day; a window that ends before it starts runs past midnight into the
//! next day). Pure: the caller gives the time.

use chrono::{Datelike, NaiveDateTime, NaiveTime, Timelike};

/// One window: the days it starts on (bit 0 = Monday) and its minutes of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Window {
    days: u8,
    start: u32,
    /// Exclusive; 1440 for midnight at the end of the day.
    end: u32,
}

/// The windows in which the node contributes. Empty: always.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schedule {
    windows: Vec<Window>,
    text: Vec<String>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY: u32 = 24 * 60;

impl Schedule {
    /// Parses each window; an error names the window and what is wrong with it.
    pub fn parse(windows: &[String]) -> Result<Schedule, String> {
        let parsed = windows
            .iter()
            .map(|w| window(w).map_err(|e| format!("`{w}`: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Schedule {
            windows: parsed,
            text: windows.iter().map(|w| w.trim().to_string()).collect(),
        })
    }

    /// No window: the node contributes at any time.
    pub fn always(&self) -> bool {
        self.windows.is_empty()
    }

    /// The windows as written, for messages.
    pub fn describe(&self) -> String {
        self.text.join(", ")
    }

    /// Whether `t` (local time) is inside a window.
    pub fn open(&self, t: NaiveDateTime) -> bool {
        if self.always() {
            return true;
        }
        let day = t.weekday().num_days_from_monday();
        let yesterday = (day + 6) % 7;
        let m = t.hour() * 60 + t.minute();
        self.windows.iter().any(|w| {
            let on = |d: u32| w.days & (1 << d) != 0;
            if w.start < w.end {
                on(day) && (w.start..w.end).contains(&m)
            } else {
                // Past midnight: from its start today, or until its end on the day after.
                (on(day) && m >= w.start) || (on(yesterday) && m < w.end)
            }
        })
    }

    /// The next time (to the minute, within a week) at which [`Schedule::open`] changes.
    pub fn next_change(&self, t: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.always() {
            return None;
        }
        let now = self.open(t);
        let minute = t.with_second(0)?.with_nanosecond(0)?;
        (1..=8 * DAY as i64)
            .map(|k| minute + chrono::Duration::minutes(k))
            .find(|&at| self.open(at) != now)
    }
}

fn window(w: &str) -> Result<Window, String> {
    let parts: Vec<&str> = w.split_whitespace().collect();
    let (days, times) = match parts.as_slice() {
        [times] => (0x7f, *times),
        [days, times] => (days_of(days)?, *times),
        _ => return Err("write DAYS TIMES, e.g. `Mon-Fri 00:00-07:00` or `Sat-Sun all`".into()),
    };
    if times.eq_ignore_ascii_case("all") {
        return Ok(Window {
            days,
            start: 0,
            end: DAY,
        });
    }
    let Some((a, b)) = times.split_once('-') else {
        return Err(format!(
            "`{times}` is not a time range (write HH:MM-HH:MM, or `all`)"
        ));
    };
    let (start, end) = (minute_of(a)?, minute_of(b)?);
    if start == end {
        return Err("the window starts where it ends (write `all` for the whole day)".into());
    }
    if start == DAY {
        return Err("a window cannot start at 24:00".into());
    }
    Ok(Window { days, start, end })
}

/// `Mon-Fri`, `Sat`, `Mon,Wed,Fri`, `Fri-Mon` (wrapping), `daily`.
fn days_of(s: &str) -> Result<u8, String> {
    if ["daily", "all", "every"]
        .iter()
        .any(|d| s.eq_ignore_ascii_case(d))
    {
        return Ok(0x7f);
    }
    let mut bits = 0u8;
    for part in s.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let (a, b) = (day_of(a)?, day_of(b)?);
        let mut d = a;
        loop {
            bits |= 1 << d;
            if d == b {
                break;
            }
            d = (d + 1) % 7;
        }
    }
    Ok(bits)
}

fn day_of(s: &str) -> Result<u32, String> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let l = s.trim().to_ascii_lowercase();
    DAYS.iter()
        .zip(FULL)
        .position(|(short, full)| l == *short || l == full)
        .map(|i| i as u32)
        .ok_or_else(|| format!("`{s}` is not a day (write Mon, Tue, … Sun)"))
}

fn minute_of(s: &str) -> Result<u32, String> {
    if s == "24:00" {
        return Ok(DAY);
    }
    NaiveTime::parse_from_str(s, "%H:%M")
        .map(|t| t.hour() * 60 + t.minute())
        .map_err(|_| format!("`{s}` is not a time of day (write HH:MM, 00:00 to 24:00)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn schedule(w: &[&str]) -> Schedule {
        Schedule::parse(&w.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn weekday_nights_and_whole_weekends() {
        // 2026-12-07 is a Monday.
        let s = schedule(&["Mon-Fri 00:00-07:00", "Sat-Sun all"]);
        assert!(s.open(at("2026-12-07 00:00")));
        assert!(s.open(at("2026-12-07 06:59")));
        assert!(!s.open(at("2026-12-07 07:00")));
        assert!(!s.open(at("2026-12-11 23:59")));
        assert!(s.open(at("2026-12-12 12:00")));
        assert!(s.open(at("2026-12-13 23:59")));
        assert_eq!(
            s.next_change(at("2026-12-07 06:58")),
            Some(at("2026-12-07 07:00"))
        );
        // Friday 07:00 closes until Saturday opens.
        assert_eq!(
            s.next_change(at("2026-12-11 08:00")),
            Some(at("2026-12-12 00:00"))
        );
        // The weekend runs into Monday's night window.
        assert_eq!(
            s.next_change(at("2026-12-12 08:00")),
            Some(at("2026-12-14 07:00"))
        );
    }

    #[test]
    fn a_window_past_midnight_belongs_to_the_day_it_starts() {
        let s = schedule(&["Fri 22:00-06:00"]);
        assert!(s.open(at("2026-12-11 22:30")));
        assert!(s.open(at("2026-12-12 05:59")));
        assert!(!s.open(at("2026-12-12 22:30")));
        assert!(!s.open(at("2026-12-11 05:00")));
        let every = schedule(&["22:00-06:00"]);
        assert!(every.open(at("2026-12-09 03:00")));
        assert!(schedule(&["Fri-Mon all"]).open(at("2026-12-13 10:00")));
        assert!(schedule(&["Mon,Wed 10:00-24:00"]).open(at("2026-12-09 23:59")));
        assert!(Schedule::default().open(at("2026-12-09 23:59")));
        assert_eq!(
            Schedule::default().next_change(at("2026-12-09 23:59")),
            None
        );
    }

    #[test]
    fn bad_windows_say_what_is_wrong() {
        let bad = |w: &str| Schedule::parse(&[w.to_string()]).unwrap_err();
        assert!(
            bad("Mon-Fry 00:00-07:00").contains("`Fry` is not a day"),
            "{}",
            bad("Mon-Fry 00:00-07:00")
        );
        assert!(bad("Mon 25:00-07:00").contains("`25:00` is not a time"));
        assert!(bad("Mon 07:00").contains("not a time range"));
        assert!(bad("Mon 07:00-07:00").contains("write `all`"));
        assert!(bad("Mon Tue 07:00-08:00").contains("DAYS TIMES"));
        assert!(bad("Mon Tue 07:00-08:00").starts_with("`Mon Tue 07:00-08:00`: "));
    }
}
