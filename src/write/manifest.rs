//! The output manifest: every file an analysis's output set may hold, with
//! what it is, who writes it and when. One list, read by the commit (a run
//! removes the manifest's files it did not write, so none goes stale), by the
//! tests (every file written is here, every file here is described in the
//! README) and by anyone who wants to know what `out/` holds.

/// One file of an output set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Output {
    /// The file's name inside the output folder.
    pub name: &'static str,
    /// Which part of the project writes it.
    pub writer: Writer,
    /// When a run writes it.
    pub when: When,
    /// What it holds, in a line.
    pub what: &'static str,
}

/// Which part of the project writes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// The core library's writers ([`crate::write::layers`]).
    Core,
    /// The report crate (`childcircle-report`): styles, project, tables, map,
    /// report.
    Report,
}

/// When a run writes a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Every run.
    Always,
    /// Runs with isochrones (not `--no-isochrones`).
    Isochrones,
    /// Runs that write the planner deliverables (the CLI's `analyze`).
    Deliverables,
    /// Runs with the planner deliverables and isochrones.
    DeliverablesWithIsochrones,
    /// Runs with `--suggest`.
    Suggestions,
}

/// Every file an output set may contain, layers first.
pub const OUTPUTS: &[Output] = &[
    Output {
        name: "communities.geojson",
        writer: Writer::Core,
        when: When::Always,
        what: "one polygon per community: minutes to every category, covered, in the life circle",
    },
    Output {
        name: "facilities.geojson",
        writer: Writer::Core,
        when: When::Always,
        what: "one point per facility: category, source, communities and people within reach",
    },
    Output {
        name: "isochrones.geojson",
        writer: Writer::Core,
        when: When::Isochrones,
        what: "each facility's walking isochrones, one polygon per band",
    },
    Output {
        name: "coverage.geojson",
        writer: Writer::Core,
        when: When::Isochrones,
        what: "per category, the area within its threshold and the gaps",
    },
    Output {
        name: "suggestions.geojson",
        writer: Writer::Report,
        when: When::Suggestions,
        what: "the suggested sites, ranked by greedy maximal covering",
    },
    Output {
        name: "communities.qml",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "QGIS style of the communities layer",
    },
    Output {
        name: "facilities.qml",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "QGIS style of the facilities layer",
    },
    Output {
        name: "isochrones.qml",
        writer: Writer::Report,
        when: When::DeliverablesWithIsochrones,
        what: "QGIS style of the isochrones layer",
    },
    Output {
        name: "coverage.qml",
        writer: Writer::Report,
        when: When::DeliverablesWithIsochrones,
        what: "QGIS style of the coverage layer",
    },
    Output {
        name: "suggestions.qml",
        writer: Writer::Report,
        when: When::Suggestions,
        what: "QGIS style of the suggested sites",
    },
    Output {
        name: "childcircle.qgs",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "a QGIS project with every layer and its style",
    },
    Output {
        name: "summary.json",
        writer: Writer::Core,
        when: When::Always,
        what:
            "the run's figures: shares overall, per level and subdistrict; what was read; timings",
    },
    Output {
        name: "districts.csv",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "coverage per district and subdistrict against the target",
    },
    Output {
        name: "gaps.csv",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "per category, the uncovered communities ranked by population",
    },
    Output {
        name: "map.svg",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "the static coverage map",
    },
    Output {
        name: "map.png",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "the static coverage map, 3200 px",
    },
    Output {
        name: "report.html",
        writer: Writer::Report,
        when: When::Deliverables,
        what: "the self-contained HTML report",
    },
];

/// The names of every file in the manifest, in its order.
///
/// ```
/// let names: Vec<&str> = childcircle::write::manifest::names().collect();
/// assert_eq!(names[0], "communities.geojson");
/// assert!(names.contains(&"summary.json"));
/// ```
pub fn names() -> impl Iterator<Item = &'static str> {
    OUTPUTS.iter().map(|o| o.name)
}

/// The manifest's entry for a file name.
///
/// ```
/// use childcircle::write::manifest::{output, When};
/// assert_eq!(output("isochrones.geojson").unwrap().when, When::Isochrones);
/// assert!(output("notes.txt").is_none());
/// ```
pub fn output(name: &str) -> Option<&'static Output> {
    OUTPUTS.iter().find(|o| o.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_plain() {
        let mut names: Vec<&str> = names().collect();
        names.sort_unstable();
        let n = names.len();
        names.dedup();
        assert_eq!(names.len(), n, "a name listed twice");
        assert!(names
            .iter()
            .all(|n| !n.contains('/') && !n.starts_with('.')));
    }
}
