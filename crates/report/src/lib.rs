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
use childcircle::write::jobs::FileJob;
use childcircle::write::layers::suggestions_geojson;
use childcircle::write::tables::{districts_csv, gaps_csv};
pub use html::report_html;
pub use map::{cjk_font_available, map_png, map_png_from_svg, map_svg};
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
/// suggestions, map (SVG and PNG) and the HTML report, made side by side.
/// What had to be repaired in the district file is added to the analysis's
/// warnings (and so to `summary.json` and the console).
pub fn planner_files(
    a: &mut childcircle::Analysis,
    options: &PlannerOptions,
) -> childcircle::Result<Vec<(String, Vec<u8>)>> {
    let deliverables = planner_deliverables(a, options)?;
    let a: &childcircle::Analysis = a;
    use rayon::prelude::*;
    let made: Vec<_> = deliverables
        .jobs(a)
        .into_par_iter()
        .map(FileJob::make)
        .collect::<childcircle::Result<_>>()?;
    Ok(made.concat())
}

/// What the planner deliverables are made from: the district file, the siting
/// suggestions and the district tables, read and worked out once
/// ([`planner_deliverables`]); [`Deliverables::jobs`] makes the files.
#[derive(Debug, Clone)]
pub struct Deliverables {
    districts: Option<Vec<childcircle::findings::districts::District>>,
    sites: Vec<childcircle::findings::siting::Suggestions>,
    tables: childcircle::findings::districts::DistrictTables,
    /// The suggested sites per siting request, for the console.
    pub suggestions: Vec<childcircle::findings::siting::SuggestionSummary>,
}

/// Reads the district and candidate files, answers the siting requests and
/// works out the district tables, each a row of the analysis's timings; what
/// had to be repaired in the district file is added to its warnings.
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
    let mut sites = Vec::new();
    for spec in &options.suggest {
        let (category, k) = siting::parse_request(spec, &a.profile)?;
        sites.push(siting::suggest_sites(a, category, k, candidates.as_deref()));
    }
    clock.mark("siting", options.suggest.len() as u64, "requests");
    let tables = district_tables(a, districts.as_deref(), options.target);
    clock.mark("district tables", tables.rows.len() as u64, "rows");
    let suggestions = sites.iter().map(|s| s.summary(a)).collect();
    analysis.timings.extend(clock.into_timings());
    Ok(Deliverables {
        districts,
        sites,
        tables,
        suggestions,
    })
}

impl Deliverables {
    /// The files to make from `a` (the analysis [`planner_deliverables`] was
    /// given), one job each (the PNG map marked as the longest), for
    /// [`childcircle::write::layers::write_outputs_with`] to make side by side
    /// with the layers.
    pub fn jobs<'a>(&'a self, a: &'a childcircle::Analysis) -> Vec<FileJob<'a>> {
        let districts = self.districts.as_deref();
        let sites = &self.sites[..];
        let mut jobs = vec![FileJob::many("QGIS styles and project", move || {
            Ok(qgis_files(a, sites))
        })];
        if !sites.is_empty() {
            jobs.push(FileJob::one("suggestions.geojson", move || {
                Ok(suggestions_geojson(a, sites))
            }));
        }
        jobs.extend([
            FileJob::one("gaps.csv", move || Ok(gaps_csv(a))),
            FileJob::one("districts.csv", move || Ok(districts_csv(&self.tables))),
            FileJob::one("map.svg", move || {
                Ok(map_svg(a, districts, sites).into_bytes())
            })
            .then("map.png", move |svg| {
                map_png_from_svg(svg, a, districts, sites)
            })
            .long(),
            FileJob::one("report.html", move || {
                Ok(report_html(a, &self.tables, districts, sites).into_bytes())
            }),
        ]);
        jobs
    }
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
