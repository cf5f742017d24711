//! What `analyze` prints when it is done: the summary of the run, the
//! suggested sites and, on request, the phase timings.

use std::collections::BTreeMap;

use childcircle::findings::summary::Summary;

/// A share as a percentage, `" 12.3 %"`.
fn pct(x: f64) -> String {
    format!("{:5.1} %", 100.0 * x)
}

/// The summary: the data, the coverage table, the life circle and the
/// subdistricts.
pub fn print_summary(s: &Summary) {
    print_data(s);
    say!();
    print_coverage_table(s);
    say!();
    print_life_circle(s);
    print_subdistricts(s);
}

/// The extract and profile, the walking graph and the analysis units.
fn print_data(s: &Summary) {
    say!(
        "childcircle — {} ({} profile, {:.1} m/s)",
        s.extract,
        s.profile,
        s.walking_speed_mps
    );
    if s.data_note.is_some() {
        say!("!! {}", childcircle::defaults::SYNTHETIC_ZH);
        say!("!! {}", childcircle::defaults::SYNTHETIC_EN);
    }
    say!(
        "walking graph: {} nodes, {} edges, {:.0} km of ways; {} facilities, {} communities",
        s.graph.nodes,
        s.graph.edges,
        s.graph.total_length_km,
        s.places.facilities,
        s.places.communities
    );
    let u = &s.units;
    let rules: Vec<String> = u.by_rule.iter().map(|(r, n)| format!("{n} {r}")).collect();
    say!(
        "analysis units: {}; they hold {} of the residential land ({:.1} ha) and {} of {} residential buildings",
        rules.join(", "),
        pct(u.residential_land_covered).trim(),
        u.residential_land_m2 / 1e4,
        pct(u.residential_buildings_covered).trim(),
        u.residential_buildings
    );
}

/// A share column of the coverage table: its level's label and share covered
/// per category.
type Column<'s> = (String, &'s BTreeMap<String, f64>);

/// One row per category with its share covered: one share column per level of
/// community when they are nested.
fn print_coverage_table(s: &Summary) {
    let columns: Vec<Column> = if s.by_kind.is_empty() {
        vec![("communities".to_string(), &s.overall.share_covered)]
    } else {
        s.by_kind
            .iter()
            .map(|g| (kind_label(&g.name), &g.share_covered))
            .collect()
    };
    print_coverage_head(s, &columns);
    for c in &s.categories {
        let mut line = format!(
            "{:<36} {:>3} min {:>10}",
            c.label_en, c.minutes, c.facilities
        );
        for (_, shares) in &columns {
            line.push_str(&format!(
                " {:>14}",
                pct(shares.get(&c.id).copied().unwrap_or(0.0))
            ));
        }
        say!(
            "{line}  {}{}",
            c.label_zh,
            if c.required { " (required)" } else { "" }
        );
    }
}

/// The coverage table's heading and the coverage rule of each column.
fn print_coverage_head(s: &Summary, columns: &[Column]) {
    let mut head = format!("{:<36} {:>7} {:>10}", "category", "limit", "facilities");
    for (name, _) in columns {
        head.push_str(&format!(" {:>14}", name.rsplit(' ').next().unwrap_or(name)));
    }
    say!("{head}");
    let mut rules = format!(
        "{:<36} {:>7} {:>10}",
        "  coverage rule (--coverage-rule)", "", ""
    );
    for (name, _) in columns {
        let rule = if s.by_kind.is_empty() {
            s.overall.coverage_rule.clone()
        } else {
            let g = s.by_kind.iter().find(|g| kind_label(&g.name) == *name);
            g.map_or_else(String::new, |g| g.coverage_rule.clone())
        };
        rules.push_str(&format!(" {rule:>14}"));
    }
    say!("{rules}");
}

/// The communities in the life circle, with their population and children
/// when known: overall, or each level on its own when they are nested.
fn print_life_circle(s: &Summary) {
    if s.by_kind.is_empty() {
        say!(
            "15-minute children's life circle (15分钟儿童生活圈): {} of {} communities ({}, rule {})",
            s.overall.life_circle,
            s.overall.communities,
            pct(s.overall.share_life_circle).trim(),
            s.overall.coverage_rule
        );
        if let Some(p) = s.overall.share_population_life_circle {
            say!("  population in the life circle: {}", pct(p).trim());
        }
        if let Some(p) = s.overall.share_children_life_circle {
            say!("  children in the life circle: {}", pct(p).trim());
        }
    } else {
        // Nested levels (社区 and the 小区 inside them): each on its own
        // denominator, never added together.
        say!("15-minute children's life circle (15分钟儿童生活圈), each level on its own:");
        for g in &s.by_kind {
            let mut population = g
                .share_population_life_circle
                .map_or(String::new(), |p| format!("; population {}", pct(p).trim()));
            if let Some(p) = g.share_children_life_circle {
                population.push_str(&format!("; children {}", pct(p).trim()));
            }
            say!(
                "  {}: {} of {} ({}{population}; rule {})",
                kind_label(&g.name),
                g.life_circle,
                g.communities,
                pct(g.share_life_circle).trim(),
                g.coverage_rule
            );
        }
    }
}

/// The life circle per subdistrict, if the communities have them.
fn print_subdistricts(s: &Summary) {
    if s.subdistricts.is_empty() {
        return;
    }
    say!();
    say!(
        "{:<16} {:>11} {:>12}",
        "subdistrict",
        "communities",
        "life circle"
    );
    for g in &s.subdistricts {
        say!(
            "{:<16} {:>11} {:>12}",
            g.name,
            g.communities,
            pct(g.share_life_circle)
        );
    }
}

/// `社区 neighbourhoods`, `小区 compounds`, or the kind as it is.
fn kind_label(kind: &str) -> String {
    match childcircle::places::kind_names(kind) {
        Some((zh, _, plural)) => format!("{zh} {plural}"),
        None => kind.to_string(),
    }
}

/// The suggested sites, one line each.
pub fn print_suggestions(suggestions: &[childcircle::findings::siting::SuggestionSummary]) {
    for s in suggestions {
        say!();
        say!(
            "suggested new sites (建议新址), {} {}: communities covered {} → {}",
            s.label_zh,
            s.label_en,
            s.before.covered,
            s.after.covered
        );
        for site in &s.sites {
            say!(
                "  {} {}#{} at {:.5}, {:.5}: {} communities newly within {} min{}",
                s.category,
                s.label_zh,
                site.rank,
                site.lon,
                site.lat,
                site.newly_covered,
                s.minutes,
                if site.population > 0.0 {
                    format!(", population {:.0}", site.population)
                } else {
                    String::new()
                }
            );
        }
    }
}

/// The phase timings as a table, with their total, the peak memory and the
/// number of threads.
pub fn print_timings(rows: &[&childcircle::timings::PhaseTiming], threads: usize) {
    say!();
    say!(
        "{:<28} {:>9} {:>24} {:>12}",
        "phase",
        "seconds",
        "throughput",
        "peak MiB"
    );
    let throughput = |items: u64, seconds: f64, unit: &str| {
        let rate = if seconds > 0.0 {
            items as f64 / seconds
        } else {
            0.0
        };
        match unit {
            "bytes" => format!("{:.1} MB/s", rate / 1e6),
            unit => format!("{rate:.0} {unit}/s"),
        }
    };
    for t in rows {
        say!(
            "{:<28} {:>9.3} {:>24} {:>12}",
            t.phase,
            t.seconds,
            throughput(t.items, t.seconds, t.unit),
            t.peak_rss_mib.map_or("-".into(), |m| format!("{m:.0}"))
        );
        // Parts ran side by side within the row above: their times overlap.
        for p in &t.parts {
            say!(
                "{:<28} {:>9.3} {:>24}",
                format!("  · {}", p.phase),
                p.seconds,
                throughput(p.items, p.seconds, p.unit)
            );
        }
    }
    let total: f64 = rows.iter().map(|t| t.seconds).sum();
    let peak = rows
        .iter()
        .filter_map(|t| t.peak_rss_mib)
        .fold(0.0, f64::max);
    say!("{:<28} {:>9.3} {:>24} {:>12.0}", "total", total, "", peak);
    say!("threads: {threads}");
}
