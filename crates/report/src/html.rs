//! `report.html`: one self-contained file a planner can e-mail or open from a
//! USB stick — no server, no internet, no map tiles. Leaflet (vendored in
//! `assets/leaflet`, BSD-2-Clause) and the report's own script and styles are
//! inlined, the layers are embedded as GeoJSON (coordinates to 1e-5°, about a
//! metre) and drawn on a plain background. Charts are inline SVG, so they print
//! and need no script.

use std::fmt::Write;

mod data;

use crate::escape;
use crate::style;
use childcircle::analysis::Analysis;
use childcircle::findings::districts::{District, DistrictRow, DistrictTables, Level};
use childcircle::findings::shares::{fraction, people, share};
use childcircle::findings::siting::{
    gaps, life_circle_after, Figures, SiteOrigin, Suggestions, METHOD,
};
use childcircle::write::tables::percent;

const LEAFLET_JS: &str = include_str!("assets/leaflet/leaflet.js");
const LEAFLET_CSS: &str = include_str!("assets/leaflet/leaflet.css");
const REPORT_JS: &str = include_str!("assets/report.js");
const REPORT_CSS: &str = include_str!("assets/report.css");

/// How many gaps per required category the report lists.
const GAPS_LISTED: usize = 10;

/// The report: key figures, the interactive map, coverage per category and
/// per district (charts and table), siting suggestions with before/after
/// figures, and the largest gaps.
pub fn report_html(
    a: &Analysis,
    tables: &DistrictTables,
    districts: Option<&[District]>,
    suggestions: &[Suggestions],
) -> String {
    let mut body = String::new();
    header(&mut body, a, tables);
    body.push_str(concat!(
        "<h2>覆盖地图 <small>Map</small></h2><div id=\"map\"></div>",
        "<p class=\"note\">点击社区查看各类设施的步行时间；右上角可打开覆盖范围、缺口与等时圈图层。",
        " · Click a community for its walking time to every category; the control at the top right ",
        "turns coverage, gaps and isochrones on.</p>"
    ));
    legend(&mut body, a, suggestions);
    categories_section(&mut body, a);
    places_section(&mut body, a);
    districts_section(&mut body, tables);
    siting_section(&mut body, a, suggestions);
    gaps_section(&mut body, a);
    let _ = write!(
        body,
        "<footer>{} · childcircle {} · {}</footer>",
        escape(childcircle::findings::summary::ATTRIBUTION),
        env!("CARGO_PKG_VERSION"),
        escape(&a.extract.display().to_string())
    );
    let data = data::data_json(a, districts, suggestions);
    let css = leaflet_css();
    let parts = [
        concat!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
            "<title>儿童15分钟生活圈评估报告 · Children's 15-minute life circle</title>\n",
            "<style>\n"
        ),
        &css,
        "\n</style>\n<style>\n",
        REPORT_CSS,
        "\n</style>\n</head>\n<body>\n",
        &body,
        "\n<script>\n",
        LEAFLET_JS,
        "\n</script>\n<script>\nvar DATA = ",
        &data,
        ";\n</script>\n<script>\n",
        REPORT_JS,
        "\n</script>\n</body>\n</html>\n",
    ];
    // One allocation for the whole file: the data alone is tens of megabytes on a prefecture.
    parts.concat()
}

/// Leaflet's stylesheet with its image references (the layer-control icon and
/// the default marker, neither used here) removed, so the offline report asks
/// for no file.
fn leaflet_css() -> String {
    let mut css = String::with_capacity(LEAFLET_CSS.len());
    let mut rest = LEAFLET_CSS;
    while let Some(at) = rest.find("url(images/") {
        css.push_str(&rest[..at]);
        css.push_str("none");
        rest = &rest[at..];
        rest = &rest[rest.find(')').map_or(rest.len(), |i| i + 1)..];
    }
    css.push_str(rest);
    css
}

/// On a report of the shipped model: that its data is a synthetic model.
fn synthetic_banner(a: &Analysis) -> String {
    if !a.synthetic {
        return String::new();
    }
    format!(
        "<div class=\"synthetic\" role=\"alert\"><strong>{}</strong><br>{}</div>",
        escape(childcircle::defaults::SYNTHETIC_ZH),
        escape(childcircle::defaults::SYNTHETIC_EN)
    )
}

/// The report's heading, its data and settings, and the key figures.
fn header(out: &mut String, a: &Analysis, tables: &DistrictTables) {
    let _ = write!(
        out,
        concat!(
            "<header><h1>儿童15分钟生活圈评估报告<small>Children's 15-minute life circle</small></h1>",
            "<p class=\"meta\">数据 data: {} · 配置 profile: {} · 步行速度 walking speed {} m/s · ",
            "标准 GB 50180-2018 · 覆盖判定 coverage rule: {} · childcircle {}</p></header>{}<div class=\"figures\">"
        ),
        escape(&a.extract.display().to_string()),
        escape(&a.profile.label()),
        a.profile.walking_speed_mps,
        escape(&tables.coverage_rule),
        env!("CARGO_PKG_VERSION"),
        synthetic_banner(a),
    );
    // Nested levels (社区 and the 小区 inside them) each on their own.
    let by_kind = childcircle::findings::summary::Summary::new(a).by_kind;
    overall_figures(out, a, tables, by_kind.is_empty());
    for g in &by_kind {
        level_figures(out, g);
    }
    if let Some(target) = tables.target {
        target_figure(out, tables, target);
    }
    out.push_str("</div>");
}

/// One key figure: a value above its label.
fn figure(out: &mut String, value: String, label: &str) {
    let _ = write!(
        out,
        "<div class=\"figure\"><div class=\"value\">{}</div><div class=\"label\">{}</div></div>",
        escape(&value),
        escape(label)
    );
}

/// The facilities and, when the communities are not nested (`flat`), the
/// communities and their life circle over all of them.
fn overall_figures(out: &mut String, a: &Analysis, tables: &DistrictTables, flat: bool) {
    let n = a.communities.len();
    let (circle, share) = childcircle::findings::summary::life_circle_share(a);
    let total = tables.rows.iter().find(|r| r.level == Level::Total);
    if flat {
        figure(out, n.to_string(), "社区/小区 communities");
    }
    figure(
        out,
        a.facilities.len().to_string(),
        "儿童设施 children's facilities",
    );
    if flat {
        figure(
            out,
            format!("{circle} · {}", percent(share)),
            "生活圈达标 in the 15-minute life circle",
        );
        if let Some(p) = total.and_then(|r| r.share_population_life_circle) {
            figure(out, percent(p), "人口达标率 population in the life circle");
        }
        if let Some(p) = total.and_then(|r| r.share_children_life_circle) {
            figure(out, percent(p), "儿童达标率 children in the life circle");
        }
    }
}

/// The life circle of one nested level of community, with its population and
/// children when known.
fn level_figures(out: &mut String, g: &childcircle::findings::summary::GroupSummary) {
    let kind = childcircle::findings::districts::kind_label(&g.name);
    figure(
        out,
        format!(
            "{} / {} · {}",
            g.life_circle,
            g.communities,
            percent(g.share_life_circle)
        ),
        &format!("{kind} 生活圈达标 in the life circle"),
    );
    if let Some(p) = g.share_population_life_circle {
        figure(out, percent(p), &format!("{kind} 人口达标率 population"));
    }
    if let Some(p) = g.share_children_life_circle {
        figure(out, percent(p), &format!("{kind} 儿童达标率 children"));
    }
}

/// How many areas meet the planner's `target`.
fn target_figure(out: &mut String, tables: &DistrictTables, target: f64) {
    let met = tables
        .rows
        .iter()
        .filter(|r| r.level != Level::Total && r.meets_target == Some(true))
        .count();
    let of = tables
        .rows
        .iter()
        .filter(|r| r.level != Level::Total)
        .count();
    figure(
        out,
        format!("{met} / {of}"),
        &format!(
            "达到目标 {} 的区域 areas meeting the target",
            percent(target)
        ),
    );
}

fn legend(out: &mut String, a: &Analysis, suggestions: &[Suggestions]) {
    let n = a.profile.categories.len();
    out.push_str("<div class=\"legend\"><span>满足类别数 categories met:</span>");
    for m in 0..=n {
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{m}</span>",
            style::met_colour(m, n).hex()
        );
    }
    let _ = write!(
        out,
        "<span><i style=\"border:2px solid {};background:none\"></i>生活圈达标 in the life circle</span>",
        style::CIRCLE_OUTLINE.hex()
    );
    // Suggested sites in their category's colour, numbered per category.
    for s in suggestions.iter().filter(|s| !s.sites.is_empty()) {
        let c = &a.profile.categories[s.category];
        let _ = write!(
            out,
            "<span class=\"site-key\"><i style=\"background:{}\"></i>建议新址 {} 1–{} · suggested {} (priority)</span>",
            style::category_colour(s.category, c).hex(),
            escape(&c.label_zh),
            s.sites.len(),
            escape(&c.label_en)
        );
    }
    out.push_str("<span><i style=\"background:#b8b2a0;height:3px\"></i>步行网络 walking network</span></div>");
}

/// A horizontal bar chart: `(label, share, colour, text)` rows, an optional
/// target line.
fn bar_chart(rows: &[(String, f64, String, String)], target: Option<f64>) -> String {
    let (label_w, bar_w, row_h) = (300.0, 400.0, 24.0);
    let height = rows.len() as f64 * row_h + 30.0;
    let mut svg = format!(
        "<svg class=\"chart\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\" role=\"img\">",
        label_w + bar_w + 120.0,
        label_w + bar_w + 120.0
    );
    for (i, (label, share, colour, text)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            svg,
            concat!(
                "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{label}</text>",
                "<rect x=\"{bx}\" y=\"{y}\" width=\"{bw}\" height=\"{h}\" fill=\"#eeeeee\"/>",
                "<rect class=\"bar\" x=\"{bx}\" y=\"{y}\" width=\"{w:.1}\" height=\"{h}\" fill=\"{colour}\"/>",
                "<text class=\"value\" x=\"{vx:.1}\" y=\"{ty}\">{text}</text>"
            ),
            lx = label_w - 8.0,
            ty = y + 13.0,
            label = escape(label),
            bx = label_w,
            y = y,
            bw = bar_w,
            h = row_h - 8.0,
            w = bar_w * share.clamp(0.0, 1.0),
            colour = colour,
            vx = label_w + bar_w + 6.0,
            text = escape(text),
        );
    }
    let axis_y = rows.len() as f64 * row_h + 4.0;
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#888\">{}</text>",
            label_w + bar_w * tick,
            axis_y + 14.0,
            percent(tick).replace(".0", "")
        );
    }
    if let Some(t) = target {
        let x = label_w + bar_w * t.clamp(0.0, 1.0);
        let _ = write!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"0\" x2=\"{x:.1}\" y2=\"{axis_y:.1}\" stroke=\"#222\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-weight=\"bold\">目标 target {}</text>",
            x + 4.0,
            axis_y + 26.0,
            percent(t)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn categories_section(out: &mut String, a: &Analysis) {
    let n = a.communities.len();
    let known = a.communities.iter().any(|c| c.population.is_some());
    let all: Vec<usize> = (0..n).collect();
    let total_pop = people(&a.communities, &all, |c| c.population);
    let rows: Vec<(String, f64, String, String)> = a
        .profile
        .categories
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let covered: Vec<usize> = (0..n).filter(|&i| a.coverage[i].covered[k]).collect();
            let share = share(covered.len(), n);
            let pop = people(&a.communities, &covered, |c| c.population);
            let mut text = percent(share);
            if known && total_pop > 0.0 {
                text.push_str(&format!(" · 人口 {}", percent(fraction(pop, total_pop))));
            }
            (
                format!(
                    "{}{} · {} min",
                    if c.required { "" } else { "(可选) " },
                    c.label_zh,
                    c.minutes
                ),
                share,
                style::category_colour(k, c).hex(),
                text,
            )
        })
        .collect();
    let _ = write!(
        out,
        concat!(
            "<h2>各类设施覆盖率 <small>Communities within reach, by category</small></h2>",
            "<p class=\"note\">社区（任一出入口）在标准时间内步行可达该类设施的比例；“人口”为已知人口中的比例。",
            " · Share of communities whose best entrance is within the category's walking threshold ",
            "(and of their known population).</p>{}"
        ),
        bar_chart(&rows, None)
    );
}

/// Places per child served, per category with places
/// ([`childcircle::coverage::capacity`]).
fn places_section(out: &mut String, a: &Analysis) {
    let rows: Vec<_> = a
        .profile
        .categories
        .iter()
        .zip(&a.capacity.by_category)
        .filter_map(|(c, p)| p.as_ref().map(|p| (c, p)))
        .collect();
    if rows.is_empty() {
        return;
    }
    out.push_str(concat!(
        "<h2>学位 <small>Places per child served</small></h2>",
        "<p class=\"note\">每个社区的儿童计入其标准时间内最近的该类设施；每童学位只计容量已知的设施及其服务的儿童，",
        "“容量已知”为这些儿童占服务儿童的比例。 · Each community's children count at its nearest facility of the ",
        "category within the threshold; places per child over the facilities whose capacity is known and the children ",
        "they serve, with the share of the children served that this speaks for.</p>",
        "<table class=\"data\"><tr><th>类别 category</th><th>设施 facilities</th><th>容量已知 with capacity</th>",
        "<th>学位 places</th><th>服务儿童 children served</th><th>每童学位 places per child</th>",
        "<th>容量已知 known share</th><th>无设施可达 children unserved</th></tr>"
    ));
    for (c, p) in rows {
        let _ = write!(
            out,
            "<tr><td>{} {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0}</td><td class=\"num\">{:.0}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{:.0}</td></tr>",
            escape(&c.label_zh),
            escape(&c.label_en),
            p.facilities,
            p.with_capacity,
            p.places,
            p.children_served,
            p.overall.map_or_else(|| "—".to_string(), |v| format!("{v:.2}")),
            p.known_share.map_or_else(|| "—".to_string(), percent),
            p.children_unserved
        );
    }
    out.push_str("</table>");
}

/// The share of communities in the life circle by district and subdistrict:
/// a bar chart and the table of [`DistrictTables`].
fn districts_section(out: &mut String, t: &DistrictTables) {
    let heading = if t.districts_from_file {
        "区县与街道"
    } else {
        "街道"
    };
    let _ = write!(
        out,
        "<h2>分区统计 <small>By district and subdistrict</small></h2><h3>{heading}生活圈达标率 · share of communities in the life circle</h3>"
    );
    out.push_str(&bar_chart(&district_bars(t), t.target));
    district_table_head(out, t);
    for r in &t.rows {
        district_table_row(out, r);
    }
    out.push_str("</table><p class=\"note\">同样的表格见 districts.csv · The same table is in districts.csv.</p>");
}

/// One bar per row of the table: its label, share, colour (whether it meets
/// the target) and value.
fn district_bars(t: &DistrictTables) -> Vec<(String, f64, String, String)> {
    t.rows
        .iter()
        .map(|r| {
            let ok = r.meets_target.unwrap_or(true);
            let colour = if r.level == Level::Total {
                style::INK.hex()
            } else if ok {
                style::COVERED.hex()
            } else {
                style::GAP.hex()
            };
            let indent = if r.level == Level::Subdistrict && t.districts_from_file {
                "  "
            } else {
                ""
            };
            (
                format!("{indent}{} ({})", r.name, r.communities),
                r.share_life_circle,
                colour,
                format!("{} / {}", r.life_circle, r.communities),
            )
        })
        .collect()
}

/// The district table's opening and heading row: one column per category,
/// and one for the target when there is one.
fn district_table_head(out: &mut String, t: &DistrictTables) {
    out.push_str("<table class=\"data\"><tr><th>层级 level</th><th>名称 name</th><th>社区 communities</th><th>人口 population</th>");
    for c in &t.categories {
        let _ = write!(
            out,
            "<th title=\"{}\">{}</th>",
            escape(&format!("{} {} min", c.label_en, c.minutes)),
            escape(&c.label_zh)
        );
    }
    out.push_str(
        "<th>达标 in circle</th><th>达标率 share</th><th>人口达标率 population share</th>",
    );
    if let Some(target) = t.target {
        let _ = write!(out, "<th>达到目标 {} meets target</th>", percent(target));
    }
    out.push_str("</tr>");
}

/// One row of the district table.
fn district_table_row(out: &mut String, r: &DistrictRow) {
    let class = match r.level {
        Level::District => "district",
        Level::Subdistrict => "subdistrict",
        Level::Total => "total",
    };
    let level = match r.level {
        Level::District => "区县 district",
        Level::Subdistrict => "街道 subdistrict",
        Level::Total => "合计 total",
    };
    let _ = write!(
        out,
        "<tr class=\"{class}\"><td>{level}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        escape(&r.name),
        r.communities,
        r.population.map_or(String::new(), |p| format!("{p:.0}"))
    );
    for s in &r.share_covered {
        let _ = write!(out, "<td class=\"num\">{}</td>", percent(*s));
    }
    let _ = write!(
        out,
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>",
        r.life_circle,
        percent(r.share_life_circle),
        r.share_population_life_circle
            .map(percent)
            .unwrap_or_default()
    );
    if let Some(meets) = r.meets_target {
        let _ = write!(
            out,
            "<td class=\"{}\">{}</td>",
            if meets { "ok" } else { "no" },
            if meets { "✓ 是" } else { "✗ 否" }
        );
    }
    out.push_str("</tr>");
}

fn figures_row(out: &mut String, label: &str, before: &Figures, after: &Figures) {
    let pop = |f: &Figures| {
        f.share_population_covered
            .map(percent)
            .unwrap_or_else(|| "–".into())
    };
    let _ = write!(
        out,
        concat!(
            "<tr><td>{}</td><td class=\"num\">{} ({})</td><td class=\"num\">{} ({})</td>",
            "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
            "<td class=\"num\">{} ({})</td><td class=\"num\">{} ({})</td></tr>"
        ),
        escape(label),
        before.covered,
        percent(before.share_covered),
        after.covered,
        percent(after.share_covered),
        pop(before),
        pop(after),
        before.life_circle,
        percent(before.share_life_circle),
        after.life_circle,
        percent(after.share_life_circle),
    );
}

/// Where to build next: the figures before and after each request's sites,
/// then each request's sites.
fn siting_section(out: &mut String, a: &Analysis, suggestions: &[Suggestions]) {
    if suggestions.is_empty() {
        return;
    }
    let _ = write!(
        out,
        concat!(
            "<h2>建议新址 <small>Where to build next</small></h2>",
            "<p class=\"note\">每一步选择新覆盖社区最多的候选点（贪心最大覆盖，结果不低于最优解的 1−1/e ≈ 63%）。",
            " · Method: {}; each pick is the candidate that brings the most communities newly within the threshold.</p>",
            "<table class=\"data\"><tr><th>类别 category</th><th>覆盖社区 现状 covered now</th>",
            "<th>建成后 after</th><th>人口覆盖 现状 population now</th><th>建成后 after</th>",
            "<th>生活圈达标 现状 life circle now</th><th>建成后 after</th></tr>"
        ),
        escape(METHOD)
    );
    for s in suggestions {
        let c = &a.profile.categories[s.category];
        let label = format!(
            "{} {} · {} / {} sites",
            c.label_zh,
            c.label_en,
            s.sites.len(),
            s.requested
        );
        figures_row(out, &label, &s.before, &s.after);
    }
    if suggestions.len() > 1 {
        let now = &suggestions[0].before;
        let (after, share) = life_circle_after(a, suggestions);
        let _ = write!(
            out,
            "<tr class=\"total\"><td>全部建成 all sites built</td><td></td><td></td><td></td><td></td><td class=\"num\">{} ({})</td><td class=\"num\">{after} ({})</td></tr>",
            now.life_circle,
            percent(now.share_life_circle),
            percent(share)
        );
    }
    out.push_str("</table>");
    for s in suggestions {
        sites_table(out, a, s);
    }
}

/// One request's sites: its heading with the candidates evaluated, then a
/// row per site (or a note that none helps).
fn sites_table(out: &mut String, a: &Analysis, s: &Suggestions) {
    let c = &a.profile.categories[s.category];
    let _ = write!(
        out,
        "<h3>{} {} · {} min</h3><p class=\"note\">候选点 {} 个 candidates evaluated{}</p>",
        escape(&c.label_zh),
        escape(&c.label_en),
        c.minutes,
        s.candidates,
        if s.candidates_unattached > 0 {
            format!(
                " · {} 个候选点离路网过远 too far from any way",
                s.candidates_unattached
            )
        } else {
            String::new()
        }
    );
    if s.sites.is_empty() {
        out.push_str(
            "<p>没有候选点能新覆盖社区 · No candidate brings any community newly within reach.</p>",
        );
        return;
    }
    out.push_str("<table class=\"data\"><tr><th>序 rank</th><th>位置 location</th><th>新覆盖 newly covered</th><th>人口 population</th><th>社区 communities</th></tr>");
    for site in &s.sites {
        let names: Vec<&str> = site
            .newly_covered
            .iter()
            .map(|&i| a.communities[i].name.as_str())
            .collect();
        let origin = match site.origin {
            SiteOrigin::Node(_) => "",
            SiteOrigin::Point(_) => " (候选 candidate)",
        };
        let _ = write!(
            out,
            "<tr><td class=\"num\">{}</td><td>{:.5}, {:.5}{origin}</td><td class=\"num\">{}</td><td class=\"num\">{:.0}</td><td>{}</td></tr>",
            site.rank,
            site.lonlat[0],
            site.lonlat[1],
            site.newly_covered.len(),
            site.population,
            escape(&names.join("、"))
        );
    }
    out.push_str("</table>");
}

fn gaps_section(out: &mut String, a: &Analysis) {
    let _ = write!(
        out,
        concat!(
            "<h2>覆盖缺口 <small>Largest gaps</small></h2><p class=\"note\">每个必需类别中人口（未知时按面积）最大的 {} 个未覆盖社区；",
            "完整列表见 gaps.csv · The {} uncovered communities with the most people (else the largest) per required category; ",
            "all of them are in gaps.csv.</p>"
        ),
        GAPS_LISTED, GAPS_LISTED
    );
    for (k, c) in a
        .profile
        .categories
        .iter()
        .enumerate()
        .filter(|(_, c)| c.required)
    {
        let ids = gaps(a, k);
        let _ = write!(
            out,
            "<h3>{} {} · {} min — {} 个未覆盖 uncovered</h3>",
            escape(&c.label_zh),
            escape(&c.label_en),
            c.minutes,
            ids.len()
        );
        if ids.is_empty() {
            continue;
        }
        out.push_str("<table class=\"data\"><tr><th>名称 name</th><th>街道 subdistrict</th><th>人口 population</th><th>面积 area (ha)</th><th>现状步行 now (min)</th></tr>");
        for &i in ids.iter().take(GAPS_LISTED) {
            let cm = &a.communities[i];
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}</td><td class=\"num\">{}</td></tr>",
                escape(&cm.name),
                escape(cm.subdistrict.as_deref().unwrap_or("")),
                cm.population.map_or(String::new(), |p| format!("{p:.0}")),
                cm.area_m2 / 10_000.0,
                a.coverage[i].minutes[k].map_or_else(|| format!("> {}", a.profile.max_minutes()), |m| format!("{m:.1}"))
            );
        }
        out.push_str("</table>");
    }
}
