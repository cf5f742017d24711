//! Joining the tiles' parts: the layers with their features sorted by id (a
//! community or facility is owned by exactly one tile, so a duplicate id is
//! an error), a summary counted from the merged communities, and the
//! district table (`districts.csv`) from the rows every tile recorded of its
//! communities ([`super::rows`]).
//!
//! Every merged feature is the line its tile wrote, byte for byte; a single
//! run's layer sorted with [`sort_layer`] is therefore byte-identical to the
//! merged one when the tiles are exact.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::own::PartStats;
use super::plan::Plan;
use crate::error::{Error, Result};
use crate::findings::shares::share;
use crate::write::commit::OutputSet;

/// The layers a tile writes and merge joins.
pub const LAYERS: &[&str] = &["communities.geojson", "facilities.geojson"];

/// One layer split into its parts: the text before the features, the
/// features (one per line, with their `id`), the text after.
struct Layer {
    head: String,
    features: Vec<(String, String)>,
    tail: String,
}

fn parse_layer(bytes: &[u8], path: &Path) -> Result<Layer> {
    let bad = |why: &str| Error::Invalid(format!("{}: {why}", path.display()));
    let text = std::str::from_utf8(bytes).map_err(|_| bad("not UTF-8"))?;
    let mut lines: Vec<&str> = text.split('\n').collect();
    if lines.len() < 3 {
        return Err(bad(
            "not a layer written by childcircle (one feature a line)",
        ));
    }
    let head = lines.remove(0).to_string();
    // The last element is the empty string after the final newline.
    let tail = format!(
        "{}\n{}",
        lines.remove(lines.len() - 2),
        lines.pop().unwrap_or("")
    );
    let mut features = Vec::new();
    for line in lines.into_iter().filter(|l| !l.is_empty()) {
        let line = line.strip_suffix(',').unwrap_or(line);
        let v: Value = serde_json::from_str(line).map_err(|e| bad(&format!("bad feature: {e}")))?;
        let id = v["properties"]["id"]
            .as_str()
            .ok_or_else(|| bad("a feature without an id"))?
            .to_string();
        features.push((id, line.to_string()));
    }
    Ok(Layer {
        head,
        features,
        tail,
    })
}

fn write_layer(layer: &Layer) -> Vec<u8> {
    let mut out = layer.head.clone().into_bytes();
    out.push(b'\n');
    for (i, (_, f)) in layer.features.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(f.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(layer.tail.as_bytes());
    out
}

/// A layer (as `analyze` or `merge` writes it) with its features sorted by id.
pub fn sort_layer(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let mut layer = parse_layer(bytes, path)?;
    layer.features.sort();
    Ok(write_layer(&layer))
}

/// The merged summary: counted from the merged communities and facilities.
#[derive(Debug, Serialize)]
pub struct MergedSummary {
    /// `childcircle` and its version, marked as merged tiles.
    pub tool: String,
    /// The extract the tiles were cut from, as given to the plan.
    pub extract: String,
    /// The profile and age group walked ([`crate::Profile::label`]).
    pub profile: String,
    /// What the tiles cost.
    pub tiles: TileFigures,
    /// Every category's figures, in profile order.
    pub categories: Vec<CategoryFigures>,
    /// Life-circle figures of all merged communities.
    pub overall: GroupFigures,
    /// Per kind of community (`neighbourhood`, `compound`, ...), each on its
    /// own denominator.
    pub by_kind: Vec<GroupFigures>,
    /// What had to be repaired or skipped in the inputs of merge (the
    /// district file), one sentence each naming the file.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// What the tiles cost.
#[derive(Debug, Serialize)]
pub struct TileFigures {
    /// Tiles in the plan.
    pub tiles: usize,
    /// Grid cells (or quadtree parts) skipped: no residential land in their core.
    pub skipped: usize,
    /// The halo, metres ([`Halo::total_m`](super::plan::Halo::total_m)).
    pub halo_m: f64,
    /// Communities the tiles' analyses found, summed over tiles: one in a halo
    /// is counted by every tile whose extract holds it.
    pub communities_seen: usize,
    /// CPU seconds of all tiles, summed over those that report them.
    pub cpu_seconds: f64,
    /// The largest peak resident memory of a tile's analysis, MiB, where measured.
    pub max_peak_rss_mib: Option<f64>,
    /// The largest walking graph of a tile, in nodes.
    pub max_graph_nodes: usize,
}

/// One category over the whole area.
#[derive(Debug, Serialize)]
pub struct CategoryFigures {
    /// The category's id.
    pub id: String,
    /// Facilities of the category in the merged facilities layer.
    pub facilities: usize,
    /// Merged communities covered by the category (their `ok_<id>`).
    pub communities_covered: usize,
    /// `communities_covered` as a share of all merged communities, 0 to 1.
    pub share_covered: f64,
}

/// Life-circle figures of a group of communities.
#[derive(Debug, Serialize)]
pub struct GroupFigures {
    /// `all`, or the kind of community.
    pub name: String,
    /// Communities in the group.
    pub communities: usize,
    /// Communities in the life circle (their `circle`).
    pub life_circle: usize,
    /// `life_circle` as a share of `communities`, 0 to 1.
    pub share_life_circle: f64,
    /// Sum of the communities' `pop` (0 where unknown), each community's in
    /// full: unlike [`people`](crate::findings::shares::people), nested levels
    /// are not counted once.
    pub population: f64,
    /// Share of `population` living in life-circle communities; `None` when
    /// `population` is 0.
    pub share_population_life_circle: Option<f64>,
}

/// What the merged outputs add, as `analyze` takes it.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// District polygons for `districts.csv` (`--districts`).
    pub districts: Option<PathBuf>,
    /// Target share of communities in the life circle (`--target`).
    pub target: Option<f64>,
}

/// Merges the finished tiles of the plan in `dir` into `out`.
pub fn merge(dir: &Path, out: &Path) -> Result<(MergedSummary, Vec<PathBuf>)> {
    merge_with_options(dir, out, &MergeOptions::default())
}

/// [`merge`] with districts and a target for `districts.csv`.
pub fn merge_with_options(
    dir: &Path,
    out: &Path,
    options: &MergeOptions,
) -> Result<(MergedSummary, Vec<PathBuf>)> {
    let plan = Plan::load(dir)?;
    let districts = options
        .districts
        .as_deref()
        .map(crate::findings::districts::read_districts)
        .transpose()?;
    let profile = plan.load_profile()?;
    let mut layers: Vec<Option<Layer>> = LAYERS.iter().map(|_| None).collect();
    let mut parts = Vec::new();
    let mut rows = super::rows::Table::default();
    for t in &plan.tiles {
        if !super::own::is_done(dir, t.index) {
            return Err(Error::Invalid(format!(
                "tile {} ({}) is not finished: run childcircle tile {} --index {}",
                t.index,
                t.key,
                dir.display(),
                t.index
            )));
        }
        let part = super::tile_dir(dir, t.index).join(super::PART_DIR);
        for (name, merged) in LAYERS.iter().zip(&mut layers) {
            let path = part.join(name);
            let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
            let layer = parse_layer(&bytes, &path)?;
            match merged {
                None => *merged = Some(layer),
                Some(m) => m.features.extend(layer.features),
            }
        }
        let path = part.join(super::rows::TABLE_FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Invalid(format!(
                    "{} is missing: tile {} was analysed by an older childcircle; remove {} and run childcircle tile {} --index {} again",
                    path.display(),
                    t.index,
                    super::tile_dir(dir, t.index).join(super::DONE_FILE).display(),
                    dir.display(),
                    t.index
                ))
            } else {
                Error::io(&path, e)
            }
        })?;
        let these: Vec<super::rows::TableRow> = serde_json::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        rows.append(super::rows::from_rows(these, &path)?);
        let path = part.join("part.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let stats: PartStats = serde_json::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        parts.push(stats);
    }
    let mut set = OutputSet::new(out)?;
    let mut merged = Vec::new();
    for (name, layer) in LAYERS.iter().zip(layers) {
        let Some(mut layer) = layer else {
            return Err(Error::Invalid(format!(
                "{}: the plan has no tiles",
                dir.display()
            )));
        };
        layer.features.sort();
        if let Some(w) = layer.features.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::Invalid(format!(
                "{name}: {} is owned by two tiles (the cores overlap)",
                w[0].0
            )));
        }
        set.write(name, &write_layer(&layer))?;
        merged.push(layer);
    }
    let district_warnings = districts
        .as_ref()
        .map(|d| d.warnings.clone())
        .unwrap_or_default();
    let table = district_table(&plan, &profile, rows, districts, options.target);
    set.write(
        "districts.csv",
        &crate::write::tables::districts_csv(&table),
    )?;
    let mut summary = summarize(&plan, &profile, &merged[0], &merged[1], &parts);
    summary.warnings = district_warnings;
    set.write(
        "summary.json",
        &serde_json::to_vec_pretty(&summary).expect("a summary serializes"),
    )?;
    let written = set.commit()?;
    Ok((summary, written))
}

/// The district table of the tiles' rows, sorted by id (the layers' order).
/// The tiles ran with `analyze`'s default coverage rules, and the data note
/// is added when the plan's extract is the shipped model, as in one run.
fn district_table(
    plan: &Plan,
    profile: &crate::Profile,
    rows: super::rows::Table,
    districts: Option<crate::findings::districts::DistrictFile>,
    target: Option<f64>,
) -> crate::findings::districts::DistrictTables {
    use crate::findings::districts::{district_tables_of, Placed, TableInput};
    let rows = rows.sorted_by_id();
    let rules = crate::analysis::AnalyzeOptions::default().coverage_rules;
    let input = TableInput {
        communities: &rows.communities,
        coverage: &rows.coverage,
        categories: &profile.categories,
        coverage_rules: &rules,
        synthetic: crate::defaults::is_dezhou_model(&plan.extract),
    };
    district_tables_of(
        &input,
        districts.as_ref().map(|d| Placed {
            districts: &d.districts,
            points: &rows.points,
        }),
        target,
    )
}

fn summarize(
    plan: &Plan,
    profile: &crate::Profile,
    communities: &Layer,
    facilities: &Layer,
    parts: &[PartStats],
) -> MergedSummary {
    let props: Vec<Value> = communities
        .features
        .iter()
        .map(|(_, f)| {
            serde_json::from_str::<Value>(f).expect("parsed before")["properties"].clone()
        })
        .collect();
    let all: Vec<&Value> = props.iter().collect();
    let mut kinds: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for p in &all {
        kinds
            .entry(p["kind"].as_str().unwrap_or("").to_string())
            .or_default()
            .push(p);
    }
    let categories = category_figures(profile, &all, facilities);
    MergedSummary {
        tool: format!("childcircle {} (merged tiles)", env!("CARGO_PKG_VERSION")),
        extract: plan.extract.display().to_string(),
        profile: profile.label(),
        tiles: TileFigures {
            tiles: plan.tiles.len(),
            skipped: plan.skipped,
            halo_m: plan.halo.total_m,
            communities_seen: parts.iter().map(|p| p.communities_seen).sum(),
            cpu_seconds: parts.iter().filter_map(|p| p.cpu_seconds).sum(),
            max_peak_rss_mib: parts.iter().filter_map(|p| p.peak_rss_mib).reduce(f64::max),
            max_graph_nodes: parts.iter().map(|p| p.graph_nodes).max().unwrap_or(0),
        },
        categories,
        overall: group_figures("all", &all),
        by_kind: kinds.iter().map(|(k, m)| group_figures(k, m)).collect(),
        warnings: Vec::new(),
    }
}

/// The life circle of some merged communities (their GeoJSON properties).
fn group_figures(name: &str, members: &[&Value]) -> GroupFigures {
    let n = members.len();
    let circle = members.iter().filter(|p| p["circle"] == true).count();
    let pop = |p: &&&Value| p["pop"].as_f64().unwrap_or(0.0);
    let population: f64 = members.iter().map(|p| pop(&p)).sum();
    let pop_circle: f64 = members
        .iter()
        .filter(|p| p["circle"] == true)
        .map(|p| pop(&p))
        .sum();
    GroupFigures {
        name: name.to_string(),
        communities: n,
        life_circle: circle,
        share_life_circle: share(circle, n),
        population,
        share_population_life_circle: (population > 0.0).then(|| pop_circle / population),
    }
}

/// Facilities and communities covered per category, from the merged layers.
fn category_figures(
    profile: &crate::Profile,
    all: &[&Value],
    facilities: &Layer,
) -> Vec<CategoryFigures> {
    let mut per_category: BTreeMap<String, usize> = BTreeMap::new();
    for (_, f) in &facilities.features {
        let v: Value = serde_json::from_str(f).expect("parsed before");
        if let Some(c) = v["properties"]["category"].as_str() {
            *per_category.entry(c.to_string()).or_default() += 1;
        }
    }
    profile
        .categories
        .iter()
        .map(|c| {
            let covered = all
                .iter()
                .filter(|p| p[format!("ok_{}", c.id)] == true)
                .count();
            CategoryFigures {
                id: c.id.clone(),
                facilities: per_category.get(&c.id).copied().unwrap_or(0),
                communities_covered: covered,
                share_covered: share(covered, all.len()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_a_layer_keeps_every_feature_byte_for_byte() {
        let f = |id: &str| -> geojson::Feature {
            let mut p = geojson::JsonObject::new();
            p.insert("id".into(), serde_json::json!(id));
            crate::write::commit::feature(crate::write::commit::point_geometry([1.0, 2.0]), p)
        };
        let layer = crate::write::commit::feature_collection(&[f("w2"), f("n1"), f("w10")], "x");
        let sorted = sort_layer(&layer, Path::new("x")).unwrap();
        let want = crate::write::commit::feature_collection(&[f("n1"), f("w10"), f("w2")], "x");
        assert_eq!(
            String::from_utf8(sorted).unwrap(),
            String::from_utf8(want).unwrap()
        );
        let empty = crate::write::commit::feature_collection(&[], "x");
        assert_eq!(sort_layer(&empty, Path::new("x")).unwrap(), empty);
    }
}
