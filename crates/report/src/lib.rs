//! Planner deliverables: what a planning study hands over.
//!
//! | deliverable | files | module |
//! |---|---|---|
//! | QGIS styles beside every layer, and a project that opens them all | `*.qml`, `childcircle.qgs` | [`qgis`] |
//! | a static coverage map for the report | `map.svg`, `map.png` | [`map`] |
//! | a self-contained, offline HTML report | `report.html` | [`html`] |
//! | coverage per district and subdistrict, against a target | `districts.csv` | [`tables`] |
//!
//! Gaps and siting suggestions live in [`childcircle::findings::siting`]. Every function here
//! returns bytes (or a string); the caller stages them in the run's
//! [`childcircle::write::commit::OutputSet`], so they are committed with the layers they
//! describe. One colour scheme ([`style`]) serves all of them.

pub mod html;
pub mod map;
pub mod qgis;
pub mod snapshot;
pub mod style;

use childcircle::findings::districts::{district_tables, read_districts};
use childcircle::write::layers::suggestions_geojson;
use childcircle::write::tables::{districts_csv, gaps_csv};
pub use html::report_html;
pub use map::{cjk_font_available, map_png, map_svg};
pub use qgis::qgis_files;

/// What the planner asked for beyond the layers.
#[derive(Debug, Clone, Default)]
pub struct PlannerOptions {
    /// District polygons for the tables and the map.
    pub districts: Option<std::path::PathBuf>,
    /// Target share of communities in the life circle (0..1).
    pub target: Option<f64>,
    /// Siting requests, `category:k` (e.g. `kinder:5`).
    pub suggest: Vec<String>,
    /// The planner's candidate sites (GeoJSON points) for the siting requests.
    pub candidates: Option<std::path::PathBuf>,
}

impl PlannerOptions {
    /// Checks the options against the profile before anything is analysed:
    /// the target is a share, every siting request names a category of the
    /// profile and a number of sites.
    pub fn check(&self, profile: &childcircle::Profile) -> childcircle::Result<()> {
        if let Some(t) = self.target {
            if !(0.0..=1.0).contains(&t) {
                return Err(childcircle::Error::BadOption {
                    option: "--target",
                    reason: format!("must be a share between 0 and 1, e.g. 0.3, not {t}"),
                });
            }
        }
        for spec in &self.suggest {
            childcircle::findings::siting::parse_request(spec, profile)?;
        }
        Ok(())
    }
}

/// Every planner deliverable of an analysis, as `(file name, bytes)` to stage
/// with the layers: QGIS styles and project, district table, gaps, siting
/// suggestions, map (SVG and PNG) and the HTML report. What had to be repaired
/// in the district file is added to the analysis's warnings (and so to
/// `summary.json` and the console).
pub fn planner_files(
    a: &mut childcircle::Analysis,
    options: &PlannerOptions,
) -> childcircle::Result<Vec<(String, Vec<u8>)>> {
    Ok(planner_deliverables(a, options)?.files)
}

/// The planner deliverables and what they suggest.
#[derive(Debug, Clone)]
pub struct Deliverables {
    /// `(file name, bytes)` to stage with the layers.
    pub files: Vec<(String, Vec<u8>)>,
    /// The suggested sites per siting request, for the console.
    pub suggestions: Vec<childcircle::findings::siting::SuggestionSummary>,
}

/// [`planner_files`], with the suggestions.
pub fn planner_deliverables(
    analysis: &mut childcircle::Analysis,
    options: &PlannerOptions,
) -> childcircle::Result<Deliverables> {
    use childcircle::findings::siting;
    options.check(&analysis.profile)?;
    let mut clock = childcircle::timings::PhaseClock::start();
    let districts = match &options.districts {
        Some(p) => {
            let file = read_districts(p)?;
            analysis.warnings.extend(file.warnings);
            Some(file.districts)
        }
        None => None,
    };
    let a: &childcircle::Analysis = analysis;
    let candidates = match &options.candidates {
        Some(p) => Some(siting::read_candidates(p)?),
        None => None,
    };
    let n_districts = districts.as_ref().map_or(0, Vec::len) as u64;
    clock.mark("district and candidate files", n_districts, "districts");
    let mut suggestions = Vec::new();
    for spec in &options.suggest {
        let (category, k) = siting::parse_request(spec, &a.profile)?;
        suggestions.push(siting::suggest_sites(a, category, k, candidates.as_deref()));
    }
    clock.mark("siting", options.suggest.len() as u64, "requests");
    let districts = districts.as_deref();
    let tables = district_tables(a, districts, options.target);
    clock.mark("district tables", tables.rows.len() as u64, "rows");
    let mut files = Vec::new();
    // Each file is timed as it is made: serialising or rendering it (staging and committing are the writers').
    let mut made = |files: &mut Vec<(String, Vec<u8>)>, new: Vec<(String, Vec<u8>)>| {
        let bytes = new.iter().map(|(_, b)| b.len() as u64).sum();
        let phase = match &new[..] {
            [(name, _)] => name.clone(),
            _ => "QGIS styles and project".to_owned(),
        };
        clock.mark(phase, bytes, "bytes");
        files.extend(new);
    };
    made(&mut files, qgis_files(a, &suggestions));
    if !suggestions.is_empty() {
        let layer = suggestions_geojson(a, &suggestions);
        made(&mut files, vec![("suggestions.geojson".into(), layer)]);
    }
    made(&mut files, vec![("gaps.csv".into(), gaps_csv(a))]);
    made(
        &mut files,
        vec![("districts.csv".into(), districts_csv(&tables))],
    );
    let svg = map_svg(a, districts, &suggestions).into_bytes();
    made(&mut files, vec![("map.svg".into(), svg)]);
    let png = map_png(a, districts, &suggestions)?;
    made(&mut files, vec![("map.png".into(), png)]);
    let html = report_html(a, &tables, districts, &suggestions).into_bytes();
    made(&mut files, vec![("report.html".into(), html)]);
    let suggestions = suggestions.iter().map(|s| s.summary(a)).collect();
    analysis.timings.extend(clock.into_timings());
    Ok(Deliverables { files, suggestions })
}

/// Escapes text for XML and HTML (element content and quoted attributes).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}
