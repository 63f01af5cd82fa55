//! The bench table as an SVG bar chart for the book: one horizontal bar per setting, on a logarithmic
//! scale (1-byte writes and 1 MiB writes differ a thousandfold), with the value written at each bar.

use std::fmt::Write;

const WIDTH: f64 = 760.0;
const LABEL_WIDTH: f64 = 230.0;
const BAR_HEIGHT: f64 = 22.0;
const GAP: f64 = 8.0;
const TOP: f64 = 40.0;

/// An SVG of `rows` (name, MB/s).
pub fn bars(rows: &[(String, f64)]) -> String {
    let max = rows.iter().map(|r| r.1).fold(1.0f64, f64::max);
    // Decades from 1 MB/s to the first power of ten above the largest value.
    let scale = Scale {
        decades: max.log10().ceil().max(1.0),
        plot: WIDTH - LABEL_WIDTH - 70.0,
    };
    let height = TOP + rows.len() as f64 * (BAR_HEIGHT + GAP) + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r#"<text x="{LABEL_WIDTH}" y="20" font-weight="bold">Loopback throughput, MB/s (logarithmic scale)</text>"#
    );
    grid(&mut svg, &scale, height);
    for (i, (name, value)) in rows.iter().enumerate() {
        bar(
            &mut svg,
            &scale,
            TOP + i as f64 * (BAR_HEIGHT + GAP),
            name,
            *value,
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// The logarithmic x axis: `decades` powers of ten over `plot` pixels.
struct Scale {
    decades: f64,
    plot: f64,
}

impl Scale {
    /// Where `value` (MB/s) falls on the x axis; values under 1 at the axis's start.
    fn x(&self, value: f64) -> f64 {
        LABEL_WIDTH + self.plot * (value.max(1.0).log10() / self.decades)
    }
}

/// A vertical line and its label at each power of ten.
fn grid(svg: &mut String, scale: &Scale, height: f64) {
    for decade in 0..=scale.decades as u32 {
        let value = 10f64.powi(decade as i32);
        let gx = scale.x(value);
        let _ = writeln!(
            svg,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{:.1}" stroke="#dddddd"/>"##,
            height - 30.0
        );
        let _ = writeln!(
            svg,
            r##"<text x="{gx:.1}" y="{:.1}" text-anchor="middle" fill="#555555">{value}</text>"##,
            height - 12.0
        );
    }
}

/// One row: its name, its bar (iperf3's in another colour) and its value, at height `y`.
fn bar(svg: &mut String, scale: &Scale, y: f64, name: &str, value: f64) {
    let end = scale.x(value);
    let fill = if name.starts_with("iperf3") {
        "#e08a3c"
    } else {
        "#4a7ab5"
    };
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        LABEL_WIDTH - 8.0,
        y + BAR_HEIGHT * 0.7,
        escape(name)
    );
    let _ = writeln!(
        svg,
        r#"<rect x="{LABEL_WIDTH}" y="{y:.1}" width="{:.1}" height="{BAR_HEIGHT}" fill="{fill}"/>"#,
        (end - LABEL_WIDTH).max(1.0)
    );
    let _ = writeln!(
        svg,
        r#"<text x="{:.1}" y="{:.1}">{value:.0}</text>"#,
        end + 6.0,
        y + BAR_HEIGHT * 0.7
    );
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
