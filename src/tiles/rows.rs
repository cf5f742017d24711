//! What a tile records of each community it owns for the merged district
//! table (`part/table.json`): the fields [`district_tables_of`] reads, and
//! nothing of the geometry but the representative point.
//!
//! The layers cannot serve: their coordinates and people are rounded for
//! GIS, where the table must sum and place exactly what one run does. So
//! every number is written as Rust prints an `f64` (the shortest text that
//! reads back to the same bits) and read back with [`str::parse`], which is
//! exact, rather than through a JSON number.
//!
//! [`district_tables_of`]: crate::findings::districts::district_tables_of

use std::path::Path;

use geo::{InteriorPoint, MultiPolygon, Point};
use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::coverage::CommunityCoverage;
use crate::error::{Error, Result};
use crate::places::{AccessKind, Community};

/// The file in a tile's part directory.
pub const TABLE_FILE: &str = "table.json";

/// One owned community, as the district table needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    /// The community's id.
    pub id: String,
    /// Its name (nesting is by the parent's name).
    pub name: String,
    /// `neighbourhood`, `compound`, `block`, `file` or `grid`.
    pub kind: String,
    /// The subdistrict (街道), where known.
    pub subdistrict: Option<String>,
    /// The 社区 a 小区 lies in, where known.
    pub parent: Option<String>,
    /// Residents, exact (see the module's note on numbers).
    pub population: Option<String>,
    /// Children, exact.
    pub children: Option<String>,
    /// Covered, per category in profile order.
    pub covered: Vec<bool>,
    /// In the life circle.
    pub life_circle: bool,
    /// The polygon's interior point, lon and lat, exact: it decides the
    /// community's district.
    pub point: Option<[String; 2]>,
}

/// The rows of every community of `a` (after the tile kept what it owns).
pub fn table_rows(a: &Analysis) -> Vec<TableRow> {
    let text = |v: Option<f64>| v.map(|v| v.to_string());
    a.communities
        .iter()
        .zip(&a.coverage)
        .map(|(c, cov)| TableRow {
            id: c.id.clone(),
            name: c.name.clone(),
            kind: c.kind.to_string(),
            subdistrict: c.subdistrict.clone(),
            parent: c.parent.clone(),
            population: text(c.population),
            children: text(c.children),
            covered: cov.covered.clone(),
            life_circle: cov.life_circle,
            point: c
                .polygon
                .interior_point()
                .map(|p| [p.x().to_string(), p.y().to_string()]),
        })
        .collect()
}

/// Communities read back from rows: enough for the district table, nothing
/// more (no outline, no access points).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The communities.
    pub communities: Vec<Community>,
    /// Their coverage, one each.
    pub coverage: Vec<CommunityCoverage>,
    /// Their interior points, one each.
    pub points: Vec<Option<Point<f64>>>,
}

impl Table {
    /// Adds `other`'s communities after these.
    pub fn append(&mut self, mut other: Table) {
        self.communities.append(&mut other.communities);
        self.coverage.append(&mut other.coverage);
        self.points.append(&mut other.points);
    }

    /// The communities in the order of their ids (the layers' order).
    pub fn sorted_by_id(self) -> Table {
        let mut order: Vec<usize> = (0..self.communities.len()).collect();
        order.sort_by(|&a, &b| self.communities[a].id.cmp(&self.communities[b].id));
        let mut communities: Vec<Option<Community>> =
            self.communities.into_iter().map(Some).collect();
        let mut coverage: Vec<Option<CommunityCoverage>> =
            self.coverage.into_iter().map(Some).collect();
        let mut sorted = Table::default();
        for i in order {
            sorted
                .communities
                .push(communities[i].take().expect("each index once"));
            sorted
                .coverage
                .push(coverage[i].take().expect("each index once"));
            sorted.points.push(self.points[i]);
        }
        sorted
    }
}

/// The communities of rows read from `path` (named in errors).
pub fn from_rows(rows: Vec<TableRow>, path: &Path) -> Result<Table> {
    let bad = |id: &str, why: String| Error::Invalid(format!("{}: {id}: {why}", path.display()));
    let number = |id: &str, v: &Option<String>| -> Result<Option<f64>> {
        v.as_deref()
            .map(|t| t.parse::<f64>().map_err(|e| bad(id, format!("{t:?}: {e}"))))
            .transpose()
    };
    let mut communities = Vec::with_capacity(rows.len());
    let mut coverage = Vec::with_capacity(rows.len());
    let mut points = Vec::with_capacity(rows.len());
    for r in rows {
        let kind = static_kind(&r.kind)
            .ok_or_else(|| bad(&r.id, format!("unknown kind of community {:?}", r.kind)))?;
        let point = match &r.point {
            Some([x, y]) => Some(Point::new(
                number(&r.id, &Some(x.clone()))?.unwrap_or_default(),
                number(&r.id, &Some(y.clone()))?.unwrap_or_default(),
            )),
            None => None,
        };
        let population = number(&r.id, &r.population)?;
        let children = number(&r.id, &r.children)?;
        let n = r.covered.len();
        coverage.push(CommunityCoverage {
            minutes: vec![None; n],
            met: r.covered.iter().filter(|&&c| c).count(),
            covered: r.covered,
            share: vec![None; n],
            roads_crossed: vec![None; n],
            life_circle: r.life_circle,
        });
        communities.push(Community {
            id: r.id,
            name: r.name,
            source: "tile",
            kind,
            rule: "tile",
            code: None,
            subdistrict: r.subdistrict,
            parent: r.parent,
            population,
            pop_source: "tile",
            children,
            polygon: MultiPolygon::new(Vec::new()),
            area_m2: 0.0,
            access: Vec::new(),
            access_kind: AccessKind::None,
            inside_nodes: Vec::new(),
        });
        points.push(point);
    }
    Ok(Table {
        communities,
        coverage,
        points,
    })
}

/// The kinds of community the analysis makes (see [`Community::kind`]).
fn static_kind(kind: &str) -> Option<&'static str> {
    ["neighbourhood", "compound", "block", "file", "grid"]
        .into_iter()
        .find(|&k| k == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers come back with the same bits, where a JSON number read by
    /// serde_json's default parser may be one unit off in the last place.
    #[test]
    fn rows_read_back_exactly() {
        let mut rng = crate::rng::SplitMix64::new(0x7ab1e);
        for _ in 0..10_000 {
            let v = rng.range(-1e7, 1e7) * 10f64.powi(rng.below(12) as i32 - 6);
            let row = TableRow {
                id: "w1".into(),
                name: "a".into(),
                kind: "compound".into(),
                subdistrict: None,
                parent: None,
                population: Some(v.to_string()),
                children: None,
                covered: vec![true, false],
                life_circle: false,
                point: Some([v.to_string(), (-v).to_string()]),
            };
            let text = serde_json::to_string(&row).unwrap();
            let back: TableRow = serde_json::from_str(&text).unwrap();
            let t = from_rows(vec![back], Path::new("t")).unwrap();
            let population = t.communities[0].population.unwrap();
            assert_eq!(population.to_bits(), v.to_bits(), "seed 0x7ab1e: {v:e}");
            assert_eq!(t.points[0].unwrap().y().to_bits(), (-v).to_bits());
            assert_eq!(t.coverage[0].met, 1);
        }
    }

    #[test]
    fn sorting_by_id_keeps_each_community_with_its_coverage_and_point() {
        let row = |id: &str, circle: bool, x: f64| TableRow {
            id: id.into(),
            name: id.into(),
            kind: "compound".into(),
            subdistrict: None,
            parent: None,
            population: None,
            children: None,
            covered: vec![circle],
            life_circle: circle,
            point: Some([x.to_string(), "0".into()]),
        };
        let mut t = from_rows(vec![row("w2", true, 2.0)], Path::new("a")).unwrap();
        t.append(
            from_rows(
                vec![row("n1", false, 1.0), row("w10", true, 10.0)],
                Path::new("b"),
            )
            .unwrap(),
        );
        let t = t.sorted_by_id();
        let ids: Vec<&str> = t.communities.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["n1", "w10", "w2"]);
        let circles: Vec<bool> = t.coverage.iter().map(|c| c.life_circle).collect();
        assert_eq!(circles, [false, true, true]);
        let xs: Vec<f64> = t.points.iter().map(|p| p.unwrap().x()).collect();
        assert_eq!(xs, [1.0, 10.0, 2.0]);
    }

    #[test]
    fn an_unknown_kind_is_an_error_naming_the_file_and_community() {
        let row = TableRow {
            id: "w7".into(),
            name: "a".into(),
            kind: "castle".into(),
            subdistrict: None,
            parent: None,
            population: None,
            children: None,
            covered: vec![],
            life_circle: false,
            point: None,
        };
        let e = from_rows(vec![row], Path::new("tiles/3/part/table.json"))
            .unwrap_err()
            .to_string();
        let sorted = Table::default().sorted_by_id();
        assert!(sorted.communities.is_empty());
        assert!(
            e.contains("tiles/3/part/table.json: w7: unknown kind"),
            "{e}"
        );
    }
}
