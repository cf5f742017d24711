//! Tables as planners keep them: CSV (UTF-8, UTF-8 with a byte-order mark,
//! or GBK/GB18030 as Excel saves it in China) and spreadsheets (`.xlsx`,
//! `.xls`, `.ods`, one sheet chosen by name when there are several).
//!
//! A CSV's encoding is detected, not guessed per byte: a UTF-8 BOM wins;
//! text that is valid UTF-8 is UTF-8; anything else is decoded as GB18030
//! (the superset of GBK and GB2312) and rejected if that fails too. The
//! choice is reported in [`Table::source`]. Commas, tabs and semicolons are
//! recognised as delimiters from the header line.

use std::path::Path;

use crate::error::{Error, Result};

/// A table: a header row and data rows of text cells.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The header row's cells.
    pub headers: Vec<String>,
    /// The data rows, cells in header order (a row may have more or fewer cells).
    pub rows: Vec<Vec<String>>,
    /// The line or spreadsheet row number of each data row (1-based, as an
    /// editor or Excel shows it).
    pub lines: Vec<usize>,
    /// How it was read, e.g. `CSV, GBK/GB18030` or `sheet "学校"`.
    pub source: String,
}

impl Table {
    /// The number a user sees for data row `i`.
    pub fn row_number(&self, i: usize) -> usize {
        self.lines.get(i).copied().unwrap_or(i + 2)
    }
}

/// Whether the file is a spreadsheet (by extension).
pub fn is_spreadsheet(path: &Path) -> bool {
    matches!(
        extension(path).as_str(),
        "xlsx" | "xlsm" | "xls" | "ods" | "xlsb"
    )
}

/// The lower-case extension of a path.
pub fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn fail(path: &Path, reason: impl Into<String>) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a CSV or spreadsheet file; `sheet` picks a sheet by name.
pub fn read_table(path: &Path, sheet: Option<&str>) -> Result<Table> {
    let table = if is_spreadsheet(path) {
        read_spreadsheet(path, sheet)?
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        read_csv_bytes(path, &bytes)?
    };
    if table.headers.iter().all(|h| h.is_empty()) {
        return Err(fail(path, "the file is empty (no header row)"));
    }
    if table.rows.is_empty() {
        return Err(fail(
            path,
            format!(
                "the file has a header row ({}) but no data rows",
                table.headers.join(", ")
            ),
        ));
    }
    Ok(table)
}

/// Decodes CSV bytes: the text and a description of the encoding.
///
/// ```
/// use childcircle::places::lists::table::decode;
/// assert_eq!(decode(b"\xef\xbb\xbfa,b").unwrap(), ("a,b".to_string(), "UTF-8 with BOM"));
/// // 幼儿园 in GBK
/// assert_eq!(decode(b"\xd3\xd7\xb6\xf9\xd4\xb0").unwrap().0, "幼儿园");
/// ```
pub fn decode(bytes: &[u8]) -> std::result::Result<(String, &'static str), String> {
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_string(), "UTF-8 with BOM"))
            .map_err(|e| format!("starts with a UTF-8 byte-order mark but is not UTF-8 ({e})"));
    }
    if let Some((encoding, _)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _, bad) = encoding.decode(bytes);
        if bad {
            return Err(format!("not valid {} text", encoding.name()));
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, bad) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if bad {
        return Err(
            "neither UTF-8 nor GBK/GB18030 text; save it again as CSV UTF-8 from Excel".into(),
        );
    }
    Ok((text.into_owned(), "GBK/GB18030"))
}

/// Parses CSV bytes (any of the supported encodings).
pub fn read_csv_bytes(path: &Path, bytes: &[u8]) -> Result<Table> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(path, "the file is empty"));
    }
    let (text, encoding) = decode(bytes).map_err(|r| fail(path, r))?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|&d| first_line.bytes().filter(|&b| b == d).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            fail(path, format!("line {line}: not valid CSV ({e})"))
        })?;
        let line = line_of(&text, record.position().map_or(0, |p| p.byte() as usize));
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        lines.push(line);
        records.push(cells);
    }
    let mut records = records.into_iter();
    let headers = records.next().unwrap_or_default();
    let rows: Vec<Vec<String>> = records.collect();
    Ok(Table {
        headers,
        rows,
        lines: lines.into_iter().skip(1).collect(),
        source: format!("CSV, {encoding}"),
    })
}

/// The 1-based line of the record that starts at or after byte `at`
/// (past any blank lines the reader skipped).
fn line_of(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    let before = text.as_bytes()[..at]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    let blank = text.as_bytes()[at..]
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .filter(|&&b| b == b'\n')
        .count();
    1 + before + blank
}

/// Reads one sheet of a spreadsheet.
fn read_spreadsheet(path: &Path, sheet: Option<&str>) -> Result<Table> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto(path)
        .map_err(|e| fail(path, format!("not a readable spreadsheet ({e})")))?;
    let names = book.sheet_names();
    let name = match (sheet, names.as_slice()) {
        (_, []) => return Err(fail(path, "the workbook has no sheets")),
        (Some(s), _) if names.iter().any(|n| n == s) => s.to_string(),
        (Some(s), _) => {
            return Err(fail(
                path,
                format!("no sheet named {s:?}; the sheets are: {}", quoted(&names)),
            ))
        }
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(fail(
                path,
                format!(
                    "the workbook has {} sheets ({}); pick one with --sheet NAME",
                    names.len(),
                    quoted(&names)
                ),
            ))
        }
    };
    let range = book
        .worksheet_range(&name)
        .map_err(|e| fail(path, format!("sheet {name:?} cannot be read ({e})")))?;
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows: Vec<(usize, Vec<String>)> = range
        .rows()
        .enumerate()
        .map(|(i, cells)| (start_row + i + 1, cells.iter().map(cell_text).collect()))
        .filter(|(_, cells): &(usize, Vec<String>)| cells.iter().any(|c| !c.is_empty()))
        .collect();
    if rows.is_empty() {
        return Err(fail(path, format!("sheet {name:?} is empty")));
    }
    let (_, headers) = rows.remove(0);
    Ok(Table {
        headers,
        lines: rows.iter().map(|(n, _)| *n).collect(),
        rows: rows.into_iter().map(|(_, cells)| cells).collect(),
        source: format!("sheet {name:?}"),
    })
}

/// A cell as text: whole numbers without a decimal point (so 12-digit codes
/// stay codes), other values as calamine displays them.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        other => other.to_string().trim().to_string(),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_and_bom_csv_read_alike() {
        let utf8 = "名称,经度,纬度\n第一幼儿园,116.3,37.45\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(utf8);
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(utf8.as_bytes());
        let p = Path::new("x.csv");
        let a = read_csv_bytes(p, utf8.as_bytes()).unwrap();
        let b = read_csv_bytes(p, &gbk).unwrap();
        let c = read_csv_bytes(p, &bom).unwrap();
        assert_eq!(
            (a.source.as_str(), b.source.as_str(), c.source.as_str()),
            ("CSV, UTF-8", "CSV, GBK/GB18030", "CSV, UTF-8 with BOM")
        );
        for t in [&a, &b, &c] {
            assert_eq!(t.headers, ["名称", "经度", "纬度"]);
            assert_eq!(t.rows, [["第一幼儿园", "116.3", "37.45"]]);
            assert_eq!(t.lines, [2]);
        }
    }

    #[test]
    fn tabs_and_quoted_fields() {
        let t = read_csv_bytes(Path::new("x.tsv"), b"name\tlon\n\"a\tb\"\t1\n\nc\t2\n").unwrap();
        assert_eq!(t.rows, [["a\tb", "1"], ["c", "2"]]);
        assert_eq!(t.row_number(1), 4);
    }
}
