//! The report of a what-if scenario: its edited state, as an analysis
//! ([`childcircle::scenario::snapshot::analysis`]), handed to the same writers
//! as `analyze`'s deliverables.

use childcircle::findings::districts::{district_tables, District};
use childcircle::scenario::{snapshot::analysis, Scenario};

/// The scenario's coverage map as PNG (the report's `map.png`).
pub fn map_png(s: &Scenario, districts: Option<&[District]>) -> childcircle::Result<Vec<u8>> {
    crate::map_png(&analysis(s), districts, &[])
}

/// The scenario's HTML report (the report's `report.html`), with the
/// districts table against `target`.
pub fn report_html(s: &Scenario, districts: Option<&[District]>, target: Option<f64>) -> String {
    let a = analysis(s);
    let tables = district_tables(&a, districts, target);
    crate::report_html(&a, &tables, districts, &[])
}
