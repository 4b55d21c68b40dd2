//! The UI as a picture: a rendered ratatui [`Buffer`] turned into an SVG document. It draws the
//! README's screenshot (`assets/screenshot.svg`), which a test keeps equal to what the UI draws,
//! so the picture can't drift from the code. Only tests use it.
//!
//! Every number is an integer count of hundredths of a pixel, so the same buffer always gives
//! the same bytes.

use std::fmt::{self, Write as _};

use ratatui::buffer::{Buffer, Cell, CellWidth};
use ratatui::style::{Color, Modifier};

/// One terminal cell, in hundredths of a pixel: DejaVu Sans Mono's advance and line height at
/// 14 px, so a long run of text stays on its cells and box-drawing lines meet across rows, as
/// in a terminal.
const CELL_W: u32 = 843;
const CELL_H: u32 = 1630;
/// From a cell's top to the text's baseline: the font's ascent.
const BASELINE: u32 = 1300;
/// The margin around the terminal, as a window has.
const PAD: u32 = 1200;
const FONT: &str = "DejaVu Sans Mono, Menlo, Consolas, monospace";
const FONT_SIZE: u32 = 14;
/// What `Color::Reset` stands for: the colours of the terminal itself, a dark one.
const DEFAULT_FG: &str = "#e5e5e5";
const DEFAULT_BG: &str = "#1c1c1c";

/// The first 16 colours of xterm's palette, which the named colours are.
const ANSI: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xcd, 0x00, 0x00),
    (0x00, 0xcd, 0x00),
    (0xcd, 0xcd, 0x00),
    (0x00, 0x00, 0xee),
    (0xcd, 0x00, 0xcd),
    (0x00, 0xcd, 0xcd),
    (0xe5, 0xe5, 0xe5),
    (0x7f, 0x7f, 0x7f),
    (0xff, 0x00, 0x00),
    (0x00, 0xff, 0x00),
    (0xff, 0xff, 0x00),
    (0x5c, 0x5c, 0xff),
    (0xff, 0x00, 0xff),
    (0x00, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// Hundredths of a pixel, written as SVG numbers: 843 is "8.43", 1630 is "16.3", 1200 is "12".
struct Px(u32);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match (frac, frac % 10) {
            (0, _) => write!(f, "{whole}"),
            (_, 0) => write!(f, "{whole}.{}", frac / 10),
            _ => write!(f, "{whole}.{frac:02}"),
        }
    }
}

/// A symbol as drawn: the columns it covers and its colours, resolved to hex.
struct Glyph<'a> {
    col: u32,
    width: u32,
    symbol: &'a str,
    fg: String,
    /// `None` for the terminal's own background, which needs no rect.
    bg: Option<String>,
    bold: bool,
}

/// The buffer as an SVG document: a background, then each row's background rects and texts.
pub(super) fn to_svg(buf: &Buffer) -> String {
    let w = u32::from(buf.area.width) * CELL_W + 2 * PAD;
    let h = u32::from(buf.area.height) * CELL_H + 2 * PAD;
    let (w, h, pad) = (Px(w), Px(h), Px(PAD));
    let mut out = String::new();
    // Writing to a String can't fail: the results are ignored throughout.
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">"#
    );
    let _ = writeln!(
        out,
        r#"<rect width="{w}" height="{h}" rx="8" fill="{DEFAULT_BG}"/>"#
    );
    let _ = writeln!(
        out,
        r#"<g transform="translate({pad} {pad})" font-family="{FONT}" font-size="{FONT_SIZE}" xml:space="preserve">"#
    );
    let width = usize::from(buf.area.width).max(1);
    for (row, cells) in (0u32..).zip(buf.content.chunks(width)) {
        let glyphs = glyphs(cells);
        backgrounds(&mut out, &glyphs, row * CELL_H);
        texts(&mut out, &glyphs, row * CELL_H + BASELINE);
    }
    out.push_str("</g>\n</svg>\n");
    out
}

/// A row's glyphs. The cells a wide symbol covers after its first hold nothing to draw.
fn glyphs(cells: &[Cell]) -> Vec<Glyph<'_>> {
    let mut out = Vec::with_capacity(cells.len());
    let mut covered = 0;
    for (col, cell) in (0u32..).zip(cells) {
        if covered > 0 {
            covered -= 1;
            continue;
        }
        let width = u32::from(cell.cell_width().max(1));
        covered = width - 1;
        let (mut fg, mut bg) = (hex(cell.fg), hex(cell.bg));
        if cell.modifier.contains(Modifier::REVERSED) {
            // The themes without colour mark the selection this way.
            (fg, bg) = (
                bg.or_else(|| Some(DEFAULT_BG.into())),
                fg.or_else(|| Some(DEFAULT_FG.into())),
            );
        }
        out.push(Glyph {
            col,
            width,
            symbol: cell.symbol(),
            fg: fg.unwrap_or_else(|| DEFAULT_FG.into()),
            bg,
            bold: cell.modifier.contains(Modifier::BOLD),
        });
    }
    out
}

/// One rect per run of cells with the same background, where it isn't the terminal's own.
fn backgrounds(out: &mut String, glyphs: &[Glyph<'_>], top: u32) {
    for run in glyphs.chunk_by(|a, b| a.bg == b.bg) {
        let Some(bg) = &run[0].bg else { continue };
        let (x, w) = span(run);
        let _ = writeln!(
            out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{bg}"/>"#,
            Px(x),
            Px(top),
            Px(w),
            Px(CELL_H)
        );
    }
}

/// One text per run of cells with the same foreground and weight, blank ends left out.
fn texts(out: &mut String, glyphs: &[Glyph<'_>], baseline: u32) {
    for run in glyphs.chunk_by(|a, b| a.fg == b.fg && a.bold == b.bold) {
        let inked = |g: &Glyph<'_>| !g.symbol.trim().is_empty();
        let (Some(first), Some(last)) = (run.iter().position(inked), run.iter().rposition(inked))
        else {
            continue;
        };
        let run = &run[first..=last];
        let (x, w) = span(run);
        let weight = if run[0].bold {
            r#" font-weight="bold""#
        } else {
            ""
        };
        // textLength holds the run to its cells whatever font the viewer has; stretching the
        // glyphs too (not only the gaps) keeps box-drawing lines joined.
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" textLength="{}" lengthAdjust="spacingAndGlyphs" fill="{}"{weight}>"#,
            Px(x),
            Px(baseline),
            Px(w),
            run[0].fg
        );
        run.iter().for_each(|g| escape(out, g.symbol));
        out.push_str("</text>\n");
    }
}

/// Where a run starts and how wide it is, in hundredths of a pixel.
fn span(run: &[Glyph<'_>]) -> (u32, u32) {
    let (first, last) = (&run[0], &run[run.len() - 1]);
    (
        first.col * CELL_W,
        (last.col + last.width - first.col) * CELL_W,
    )
}

fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// A colour as "#rrggbb"; `None` for `Reset`, the terminal's own.
fn hex(c: Color) -> Option<String> {
    let (r, g, b) = match c {
        Color::Reset => return None,
        Color::Rgb(r, g, b) => (r, g, b),
        Color::Indexed(i) => xterm(i),
        Color::Black => ANSI[0],
        Color::Red => ANSI[1],
        Color::Green => ANSI[2],
        Color::Yellow => ANSI[3],
        Color::Blue => ANSI[4],
        Color::Magenta => ANSI[5],
        Color::Cyan => ANSI[6],
        Color::Gray => ANSI[7],
        Color::DarkGray => ANSI[8],
        Color::LightRed => ANSI[9],
        Color::LightGreen => ANSI[10],
        Color::LightYellow => ANSI[11],
        Color::LightBlue => ANSI[12],
        Color::LightMagenta => ANSI[13],
        Color::LightCyan => ANSI[14],
        Color::White => ANSI[15],
    };
    Some(format!("#{r:02x}{g:02x}{b:02x}"))
}

/// xterm's 256 colours: the 16 above, a 6x6x6 cube, then 24 greys.
fn xterm(i: u8) -> (u8, u8, u8) {
    let level = |v: u8| if v == 0 { 0 } else { 55 + 40 * v };
    match i {
        0..=15 => ANSI[usize::from(i)],
        16..=231 => {
            let i = i - 16;
            (level(i / 36), level(i / 6 % 6), level(i % 6))
        }
        _ => {
            let v = 8 + 10 * (i - 232);
            (v, v, v)
        }
    }
}

#[test]
fn escapes_and_maps_colours() {
    use ratatui::layout::Rect;
    use ratatui::style::Style;
    let mut buf = Buffer::empty(Rect::new(0, 0, 6, 1));
    buf.set_string(
        0,
        0,
        "<&\">",
        Style::new().fg(Color::Indexed(196)).bg(Color::Rgb(1, 2, 3)),
    );
    let svg = to_svg(&buf);
    assert!(
        svg.contains(r##"fill="#ff0000">&lt;&amp;&quot;&gt;</text>"##),
        "{svg}"
    );
    assert!(
        svg.contains(r##"width="33.72" height="16.3" fill="#010203""##),
        "{svg}"
    );
    assert_eq!(xterm(244), (0x80, 0x80, 0x80));
    assert_eq!(Px(1205).to_string(), "12.05");
    assert_eq!(svg, to_svg(&buf));
}
