//! `--facility-overrides FILE`: the planner's corrections of what the data gets
//! wrong. Each row maps an OSM object (`w123`, `n45`, `r6`) or a name (exact,
//! trimmed) to category ids (`primary`, `primary;middle`) or to `exclude`.
//!
//! CSV: a header with `id` and/or `name`, and `category`; GeoJSON: features whose
//! properties hold the same fields (geometry ignored). An id wins over a name.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::profile::Profile;

/// One override as read from the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Override {
    /// `w123` or the name.
    pub key: String,
    /// `id` or `name`.
    pub by: &'static str,
    /// As written: category ids or `exclude`.
    pub category: String,
    /// The category bit set it gives (0: excluded).
    #[serde(skip)]
    pub categories: u32,
}

/// The overrides of one file.
#[derive(Debug, Clone, Default)]
pub struct FacilityOverrides {
    /// The file read.
    pub path: PathBuf,
    /// Its overrides, in file order.
    pub entries: Vec<Override>,
    by_id: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
}

impl FacilityOverrides {
    /// Reads a CSV or GeoJSON overrides file, checking categories against the profile.
    pub fn from_file(path: &Path, profile: &Profile) -> Result<FacilityOverrides> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let err = |reason: String| Error::Overrides {
            path: path.to_path_buf(),
            reason,
        };
        let rows = if text.trim_start().starts_with('{') {
            geojson_rows(&text).map_err(err)?
        } else {
            csv_rows(&text).map_err(err)?
        };
        let mut out = FacilityOverrides {
            path: path.to_path_buf(),
            ..Default::default()
        };
        for (row, id, name, category) in rows {
            let categories = resolve(&category, profile).map_err(|e| err(format!("{row}: {e}")))?;
            let (key, by) = match (id, name) {
                (Some(id), _) => {
                    check_id(&id).map_err(|e| err(format!("{row}: {e}")))?;
                    (id, "id")
                }
                (None, Some(name)) => (name, "name"),
                (None, None) => return Err(err(format!("{row}: neither an id nor a name"))),
            };
            let map = if by == "id" {
                &mut out.by_id
            } else {
                &mut out.by_name
            };
            if map.insert(key.clone(), out.entries.len()).is_some() {
                return Err(err(format!("{row}: {key:?} is overridden twice")));
            }
            out.entries.push(Override {
                key,
                by,
                category,
                categories,
            });
        }
        Ok(out)
    }

    /// The override of an object, by its id (`w123`) or else its name.
    pub fn get(&self, id: &str, name: Option<&str>) -> Option<(usize, &Override)> {
        let i = self
            .by_id
            .get(id)
            .or_else(|| name.and_then(|n| self.by_name.get(n.trim())))?;
        Some((*i, &self.entries[*i]))
    }
}

fn check_id(id: &str) -> std::result::Result<(), String> {
    let ok = id.len() > 1
        && matches!(id.as_bytes()[0], b'n' | b'w' | b'r')
        && id[1..].bytes().all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "id {id:?} is not an OSM id like n123, w456 or r789"
        ))
    }
}

/// Category ids (`;`-separated) or `exclude` as a bit set.
fn resolve(category: &str, profile: &Profile) -> std::result::Result<u32, String> {
    if category.trim() == "exclude" {
        return Ok(0);
    }
    let mut set = 0;
    for id in category.split(';').map(str::trim) {
        let Some(i) = profile.category_index(id) else {
            return Err(format!(
                "unknown category {id:?} (use exclude or one of: {})",
                profile.category_ids()
            ));
        };
        set |= 1 << i;
    }
    Ok(set)
}

type Row = (String, Option<String>, Option<String>, String);

fn csv_rows(text: &str) -> std::result::Result<Vec<Row>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or("the file is empty")?;
    let header: Vec<String> = split_csv(header)
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let category = col("category").ok_or("the header has no `category` column")?;
    let (id, name) = (col("id"), col("name"));
    if id.is_none() && name.is_none() {
        return Err("the header needs an `id` or a `name` column".into());
    }
    let mut rows = Vec::new();
    for (i, line) in lines {
        let cells = split_csv(line);
        let cell = |c: Option<usize>| {
            c.and_then(|c| cells.get(c))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let row = format!("line {}", i + 1);
        let cat = cell(Some(category)).ok_or(format!("{row}: no category"))?;
        rows.push((row, cell(id), cell(name), cat));
    }
    Ok(rows)
}

/// Splits one CSV line (RFC 4180 quotes, no line breaks inside fields).
fn split_csv(line: &str) -> Vec<String> {
    let (mut cells, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => cells.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

fn geojson_rows(text: &str) -> std::result::Result<Vec<Row>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let features = v["features"]
        .as_array()
        .ok_or("not a GeoJSON FeatureCollection")?;
    let mut rows = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let p = &f["properties"];
        let s = |k: &str| {
            p[k].as_str()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let row = format!("feature {i}");
        let cat = s("category").ok_or(format!("{row}: no category"))?;
        rows.push((row, s("id"), s("name"), cat));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_splits_quotes() {
        assert_eq!(split_csv(r#"a,"b, c","d""e""#), ["a", "b, c", "d\"e"]);
    }
}
