//! The leak report: every leak scenario of the design, run on the ordinary map and on
//! `leakless`, measured by a counting allocator.
//!
//! ```text
//! cargo run --release --example leak_report            # full size, about a minute at most
//! cargo run --release --example leak_report -- --quick # a tenth of the size
//! ```
//!
//! Prints a table (peak bytes, bytes held afterwards, live entries, values cleaned up,
//! a verdict per row) and writes an SVG chart of bytes held over each workload.

#[path = "scenarios/mod.rs"]
mod scenarios;

use std::io::Write;
use std::time::Instant;

use plotters::prelude::*;
use scenarios::{alloc::CountingAlloc, Row, Rule, Scenario};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

fn verdict(s: &Scenario, row: &Row, is_leakless: bool) -> String {
    let pct = row.held_ratio() * 100.0;
    let cleaned = match row.cleaned {
        Some((done, of)) if done < of => format!(", {} values never cleaned up", of - done),
        _ => String::new(),
    };
    if is_leakless && s.rule == Rule::Bounded {
        let least = s.ordinary.iter().map(|r| r.held).min().unwrap_or(0).max(1);
        let vs = row.held as f64 * 100.0 / least as f64;
        let word = if s.leakless_ok() { "ok" } else { "LEAK" };
        return format!("{word}: bounded, holds {vs:.2}% of the unbounded map's bytes{cleaned}");
    }
    let ok = if is_leakless { s.leakless_ok() } else { row.released() };
    if ok {
        format!("ok: holds {pct:.2}% of its peak{cleaned}")
    } else if is_leakless {
        format!("LEAK: holds {pct:.1}% of its peak{cleaned}")
    } else {
        format!("leaks: holds {pct:.1}% of its peak{cleaned}")
    }
}

fn print_table(results: &[Scenario]) {
    let header = ["leak", "map", "peak", "held after", "live", "cleaned up", "verdict"];
    let mut lines: Vec<[String; 7]> = Vec::new();
    for s in results {
        let rows = s.ordinary.iter().map(|r| (r, false)).chain([(&s.leakless, true)]);
        for (i, (r, is_leakless)) in rows.enumerate() {
            lines.push([
                if i == 0 { format!("{} {}", s.id, s.leak) } else { String::new() },
                r.map.to_string(),
                bytes(r.peak),
                bytes(r.held),
                r.live.to_string(),
                r.cleaned.map_or("-".to_string(), |(d, of)| format!("{d} / {of}")),
                verdict(s, r, is_leakless),
            ]);
        }
    }
    let mut width = header.map(str::len);
    for l in &lines {
        for (w, c) in width.iter_mut().zip(l) {
            *w = (*w).max(c.chars().count());
        }
    }
    let fmt_line = |cells: [&str; 7]| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if (2..=4).contains(&i) {
                out.push_str(&format!("{c:>w$}  "));
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        out.trim_end().to_string()
    };
    println!("{}", fmt_line(header));
    println!("{}", "-".repeat(width.iter().sum::<usize>() + 2 * (width.len() - 1)));
    for l in &lines {
        println!("{}", fmt_line([&l[0], &l[1], &l[2], &l[3], &l[4], &l[5], &l[6]].map(String::as_str)));
    }
    for s in results {
        println!("{}: {}", s.id, s.workload);
    }
}

fn chart(results: &[Scenario], path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let rows = results.len().div_ceil(2) as u32;
    let root = SVGBackend::new(path, (1200, 360 * rows)).into_drawing_area();
    root.fill(&WHITE)?;
    let areas = root.split_evenly((rows as usize, 2));
    for (s, area) in results.iter().zip(areas) {
        let series: Vec<&Row> = s.ordinary.iter().chain([&s.leakless]).collect();
        let max = series.iter().flat_map(|r| r.samples.iter().copied()).max().unwrap_or(1).max(1) as f64 / 1e6;
        let mut c = ChartBuilder::on(&area)
            .caption(format!("{} {}", s.id, s.leak), ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..100f64, 0f64..max * 1.05)?;
        c.configure_mesh().x_desc("workload progress (%)").y_desc("MB held").draw()?;
        // Ordinary maps in warm colours, the leakless map always in green.
        const ORDINARY: [RGBColor; 3] = [RGBColor(220, 40, 60), RGBColor(240, 150, 20), RGBColor(130, 60, 170)];
        let last = series.len() - 1;
        for (i, r) in series.iter().enumerate() {
            let color = if i == last { RGBColor(20, 150, 60) } else { ORDINARY[i % ORDINARY.len()] }.to_rgba();
            let n = r.samples.len().max(2) - 1;
            let points = r.samples.iter().enumerate().map(|(j, &b)| (j as f64 * 100.0 / n as f64, b as f64 / 1e6));
            c.draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(r.map)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        }
        c.configure_series_labels().border_style(BLACK).background_style(WHITE.mix(0.8)).draw()?;
    }
    root.present()?;
    Ok(())
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let started = Instant::now();
    let mut results = Vec::new();
    for (i, (id, run, scale)) in scenarios::ALL.iter().enumerate() {
        let scale = if quick { scale / 10 } else { *scale };
        eprint!("[{}/{}] {id} at scale {scale} ... ", i + 1, scenarios::ALL.len());
        std::io::stderr().flush().ok();
        let t = Instant::now();
        results.push(run(scale));
        eprintln!("{:.1} s", t.elapsed().as_secs_f64());
    }
    println!();
    print_table(&results);
    let path = std::env::var("LEAK_REPORT_SVG")
        .unwrap_or_else(|_| std::env::temp_dir().join("leakless-leak-report.svg").to_string_lossy().into_owned());
    match chart(&results, &path) {
        Ok(()) => println!("\nchart of bytes held over each workload: {path}"),
        Err(e) => eprintln!("\ncould not write the chart to {path}: {e}"),
    }
    eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
    let leaking: Vec<_> = results.iter().filter(|s| !s.leakless_ok()).map(|s| s.id).collect();
    if !leaking.is_empty() {
        eprintln!("leakless rows that did not release their memory: {leaking:?}");
        std::process::exit(1);
    }
}
