//! Reading a planner's own community polygons (`--communities FILE.geojson`).
//!
//! GeoJSON from other tools is often a little wrong. What can be repaired is
//! repaired and reported as a warning (unclosed rings, empty parts); what cannot
//! is skipped with a warning naming the feature; a file that is clearly not
//! WGS84 lon/lat (a projected CRS, swapped axes) is rejected, because every
//! distance computed from it would be wrong.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{GeoJson, GeometryValue};

use crate::error::{Error, Result};
use crate::ingest::PlaceTags;
use crate::places::CommunityInput;

/// Which properties hold a community's name and population.
#[derive(Debug, Clone, Default)]
pub struct CommunityFields {
    /// Property with the name; when absent, `name`, `名称`, `NAME`, `Name` are tried.
    pub name: Option<String>,
    /// Property with the population; when absent, `population`, `人口`, `pop` are tried.
    pub population: Option<String>,
}

/// Communities read from a file, and what had to be repaired or skipped.
#[derive(Debug, Default)]
pub struct CommunityFile {
    pub communities: Vec<CommunityInput>,
    pub warnings: Vec<String>,
}

/// Reads a GeoJSON FeatureCollection of Polygon/MultiPolygon features.
pub fn read_communities(path: &Path, fields: &CommunityFields) -> Result<CommunityFile> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let fail = |reason: String| Error::GeoJson {
        path: path.to_path_buf(),
        reason,
    };
    let text = String::from_utf8(text).map_err(|_| fail("the file is not UTF-8 text".into()))?;
    let geojson: GeoJson = text
        .parse()
        .map_err(|e| fail(format!("not valid GeoJSON: {e}")))?;
    let collection = match geojson {
        GeoJson::FeatureCollection(fc) => fc,
        GeoJson::Feature(f) => geojson::FeatureCollection {
            bbox: None,
            features: vec![f],
            foreign_members: None,
        },
        GeoJson::Geometry(_) => {
            return Err(fail(
                "a bare geometry has no name; expected a FeatureCollection".into(),
            ))
        }
    };
    if let Some(crs) = collection
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
    {
        let name = crs
            .pointer("/properties/name")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        let wgs84 = ["CRS84", "EPSG::4326", "EPSG:4326"]
            .iter()
            .any(|k| name.contains(k));
        if !wgs84 {
            return Err(fail(format!(
                "the file declares CRS {name:?}; childcircle needs WGS84 longitude/latitude (reproject with: ogr2ogr -t_srs EPSG:4326 out.geojson {})",
                path.display()
            )));
        }
    }

    let mut out = CommunityFile::default();
    for (i, feature) in collection.features.iter().enumerate() {
        let props = feature.properties.as_ref();
        let prop = |explicit: &Option<String>, fallbacks: &[&str]| -> Option<serde_json::Value> {
            let keys: Vec<&str> = match explicit {
                Some(k) => vec![k.as_str()],
                None => fallbacks.to_vec(),
            };
            keys.iter().find_map(|k| {
                props
                    .and_then(|p| p.get(*k))
                    .filter(|v| !v.is_null())
                    .cloned()
            })
        };
        let label = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.trim().to_string(),
            other => other.to_string(),
        };
        let id = feature
            .id
            .as_ref()
            .map(|id| match id {
                geojson::feature::Id::String(s) => s.clone(),
                geojson::feature::Id::Number(n) => n.to_string(),
            })
            .unwrap_or_else(|| format!("f{i}"));
        let name = prop(&fields.name, &["name", "名称", "NAME", "Name"])
            .map(|v| label(&v))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| id.clone());
        let what = format!("feature {i} ({name})");
        let population =
            prop(&fields.population, &["population", "人口", "pop", "POP"]).and_then(|v| match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            });
        let Some(geometry) = feature.geometry.as_ref() else {
            out.warnings.push(format!("{what}: no geometry, skipped"));
            continue;
        };
        let polygons: Vec<&Vec<Vec<geojson::Position>>> = match &geometry.value {
            GeometryValue::Polygon { coordinates } => vec![coordinates],
            GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
            other => {
                out.warnings.push(format!(
                    "{what}: a {} is not an area, skipped",
                    other.type_name()
                ));
                continue;
            }
        };
        let mut parts = Vec::new();
        for rings in polygons {
            let mut converted = Vec::new();
            for (r, ring) in rings.iter().enumerate() {
                let mut coords: Vec<Coord> = Vec::with_capacity(ring.len());
                for p in ring {
                    if p.len() < 2 || !p[0].is_finite() || !p[1].is_finite() {
                        return Err(fail(format!("{what}: a position is not a number pair")));
                    }
                    if p[0].abs() > 180.0 || p[1].abs() > 90.0 {
                        return Err(fail(format!(
                            "{what}: coordinate ({}, {}) is not WGS84 longitude/latitude; the file looks projected (reproject with ogr2ogr -t_srs EPSG:4326)",
                            p[0], p[1]
                        )));
                    }
                    coords.push(Coord { x: p[0], y: p[1] });
                }
                if coords.len() >= 3 && coords.first() != coords.last() {
                    out.warnings
                        .push(format!("{what}: ring {r} was not closed; closed it"));
                    coords.push(coords[0]);
                }
                if coords.len() < 4 {
                    if r == 0 {
                        break; // an empty shell: the whole part is empty
                    }
                    out.warnings.push(format!("{what}: dropped an empty hole"));
                    continue;
                }
                converted.push(LineString(coords));
            }
            if converted.is_empty() {
                out.warnings.push(format!("{what}: dropped an empty part"));
                continue;
            }
            let exterior = converted.remove(0);
            parts.push(Polygon::new(exterior, converted));
        }
        if parts.is_empty() {
            out.warnings
                .push(format!("{what}: no usable polygon, skipped"));
            continue;
        }
        out.communities.push(CommunityInput {
            id: id.clone(),
            name,
            source: "file",
            kind: "file",
            tags: PlaceTags {
                population,
                ..Default::default()
            },
            polygon: MultiPolygon(parts),
        });
    }
    if out.communities.is_empty() {
        return Err(fail(
            "the file has no Polygon or MultiPolygon features".into(),
        ));
    }
    Ok(out)
}

/// Rejects community polygons that cannot belong to the extract: all far
/// outside its bounds, or inside them only with longitude and latitude swapped.
pub fn check_overlap(
    path: &Path,
    communities: &[CommunityInput],
    bounds: geo::Rect<f64>,
) -> Result<()> {
    use geo::{BoundingRect, Intersects};
    let margin = 0.05; // degrees, a few km
    let grown = geo::Rect::new(
        Coord {
            x: bounds.min().x - margin,
            y: bounds.min().y - margin,
        },
        Coord {
            x: bounds.max().x + margin,
            y: bounds.max().y + margin,
        },
    );
    let mut inside = 0;
    let mut swapped = 0;
    for c in communities {
        let Some(r) = c.polygon.bounding_rect() else {
            continue;
        };
        if r.intersects(&grown) {
            inside += 1;
        }
        let s = geo::Rect::new(
            Coord {
                x: r.min().y,
                y: r.min().x,
            },
            Coord {
                x: r.max().y,
                y: r.max().x,
            },
        );
        if s.intersects(&grown) {
            swapped += 1;
        }
    }
    let fail = |reason: String| Error::GeoJson {
        path: path.to_path_buf(),
        reason,
    };
    if inside == 0 && swapped > 0 {
        return Err(fail(
            "latitude and longitude appear swapped: GeoJSON positions are [longitude, latitude]"
                .into(),
        ));
    }
    if inside == 0 {
        return Err(fail(format!(
            "no community lies within the extract (lon {:.3}..{:.3}, lat {:.3}..{:.3})",
            bounds.min().x,
            bounds.max().x,
            bounds.min().y,
            bounds.max().y
        )));
    }
    Ok(())
}
