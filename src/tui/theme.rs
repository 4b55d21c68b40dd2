//! Themes: styles by semantic role, read from TOML files (`themes/*.toml` in the repository,
//! built into the binary, or a user's own file). `NO_COLOR` turns every colour off and keeps the
//! meaning in bold, reverse and underline; `--ascii` swaps box drawing and braille for ASCII.

use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// The built-in themes, from the repository's `themes/` directory.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Styles by role. Every pane draws with these and nothing else.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    pub text: Style,
    pub muted: Style,
    pub border: Style,
    pub focus: Style,
    pub title: Style,
    pub accent: Style,
    pub ok: Style,
    pub warn: Style,
    pub error: Style,
    pub selection: Style,
    pub banner: Style,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: Option<String>,
    #[serde(default)]
    bold: bool,
    roles: Roles,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Roles {
    text: String,
    muted: String,
    border: String,
    focus: String,
    title: String,
    accent: String,
    ok: String,
    warn: String,
    error: String,
    selection_fg: String,
    selection_bg: String,
    banner_fg: String,
    banner_bg: String,
}

impl Theme {
    /// Parses a theme file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Theme, String> {
        let f: File = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        let color = |role: &str, v: &str| -> Result<Color, String> {
            v.parse::<Color>()
                .map_err(|_| format!("{origin}: roles.{role} = \"{v}\" is not a colour"))
        };
        let bold = if f.bold {
            Modifier::BOLD
        } else {
            Modifier::empty()
        };
        let fg = |role: &str, v: &str| -> Result<Style, String> {
            Ok(Style::new().fg(color(role, v)?).add_modifier(bold))
        };
        let r = &f.roles;
        Ok(Theme {
            name: f.name.unwrap_or_else(|| origin.to_string()),
            text: fg("text", &r.text)?,
            muted: fg("muted", &r.muted)?,
            border: fg("border", &r.border)?,
            focus: fg("focus", &r.focus)?.add_modifier(Modifier::BOLD),
            title: fg("title", &r.title)?.add_modifier(Modifier::BOLD),
            accent: fg("accent", &r.accent)?,
            ok: fg("ok", &r.ok)?,
            warn: fg("warn", &r.warn)?,
            error: fg("error", &r.error)?.add_modifier(Modifier::BOLD),
            selection: Style::new()
                .fg(color("selection_fg", &r.selection_fg)?)
                .bg(color("selection_bg", &r.selection_bg)?)
                .add_modifier(Modifier::BOLD),
            banner: Style::new()
                .fg(color("banner_fg", &r.banner_fg)?)
                .bg(color("banner_bg", &r.banner_bg)?)
                .add_modifier(Modifier::BOLD),
        })
    }

    /// No colour at all (`NO_COLOR`): meaning is carried by bold, reverse and underline, so the
    /// selection and the banner stay visible.
    pub fn monochrome() -> Theme {
        let plain = Style::new();
        Theme {
            name: "no-color".into(),
            text: plain,
            muted: plain.add_modifier(Modifier::DIM),
            border: plain,
            focus: plain.add_modifier(Modifier::BOLD),
            title: plain.add_modifier(Modifier::BOLD),
            accent: plain,
            ok: plain,
            warn: plain.add_modifier(Modifier::BOLD),
            error: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            selection: plain.add_modifier(Modifier::REVERSED),
            banner: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
        }
    }

    pub fn default_dark() -> Theme {
        Theme::parse(BUILT_IN[0].1, "themes/dark.toml").expect("the built-in dark theme parses")
    }

    /// The theme `name`: a path to a `.toml` file, a file in the user's themes dir, or a
    /// built-in. A theme that cannot be read falls back to the default, with the reason.
    pub fn load(name: &str, user_dir: Option<&Path>) -> (Theme, Option<String>) {
        let fallback = |why: String| {
            (
                Theme::default_dark(),
                Some(format!("{why}; using the dark theme")),
            )
        };
        let as_path = PathBuf::from(name);
        let file = if name.ends_with(".toml") || name.contains('/') {
            Some(as_path)
        } else {
            user_dir
                .map(|d| d.join(format!("{name}.toml")))
                .filter(|p| p.exists())
        };
        if let Some(path) = file {
            return match std::fs::read_to_string(&path) {
                Ok(text) => match Theme::parse(&text, &path.display().to_string()) {
                    Ok(t) => (t, None),
                    Err(e) => fallback(format!("theme {e}")),
                },
                Err(e) => fallback(format!("theme {}: {e}", path.display())),
            };
        }
        match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => match Theme::parse(text, &format!("themes/{n}.toml")) {
                Ok(t) => (t, None),
                Err(e) => fallback(e),
            },
            None => fallback(format!(
                "no theme `{name}` (built in: {})",
                BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, per no-color.org).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether the terminal likely cannot draw box drawing or braille: a non-UTF-8 locale or the
/// Linux console.
pub fn ascii_by_default() -> bool {
    if std::env::var("TERM").is_ok_and(|t| t == "linux") {
        return true;
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()));
    match locale {
        Some(l) => {
            let l = l.to_ascii_lowercase();
            !(l.contains("utf-8") || l.contains("utf8"))
        }
        // No locale at all (a bare container): most terminals still speak UTF-8.
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses() {
        for (name, text) in BUILT_IN {
            let t = Theme::parse(text, name).unwrap();
            assert_eq!(t.name, *name);
        }
    }

    #[test]
    fn a_broken_theme_falls_back_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(
            &path,
            "name = \"mine\"\n[roles]\ntext = \"chartreuse-ish\"\n",
        )
        .unwrap();
        let (t, why) = Theme::load(path.to_str().unwrap(), None);
        assert_eq!(t.name, "dark");
        let why = why.unwrap();
        assert!(why.contains("mine.toml"), "{why}");
        let (t, why) = Theme::load("solarized", None);
        assert_eq!(t.name, "dark");
        assert!(why.unwrap().contains("no theme `solarized`"));
        let (t, why) = Theme::load("light", Some(dir.path()));
        assert_eq!((t.name.as_str(), why), ("light", None));
    }
}
