//! CSV as the bureau opens it: UTF-8 with a byte-order mark (without one,
//! Excel reads UTF-8 as the local code page and Chinese names turn to
//! mojibake), CRLF line ends and RFC 4180 quoting.

/// A CSV file being built row by row, written by the `csv` crate.
pub(crate) struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Csv {
    /// A file that starts with the BOM and the header row.
    pub(crate) fn new<S: AsRef<str>>(header: &[S]) -> Csv {
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .flexible(true)
            .from_writer("\u{feff}".as_bytes().to_vec());
        let mut csv = Csv { writer };
        csv.row(header);
        csv
    }

    /// Appends one row; fields are quoted when they hold a comma, a quote or a
    /// line break.
    pub(crate) fn row<S: AsRef<str>>(&mut self, fields: &[S]) {
        self.writer
            .write_record(fields.iter().map(|f| f.as_ref().as_bytes()))
            .expect("writing CSV to memory cannot fail");
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.writer
            .into_inner()
            .expect("flushing CSV to memory cannot fail")
    }
}

/// A number with `digits` decimals, or an empty field.
pub(crate) fn num(v: Option<f64>, digits: usize) -> String {
    // Rounded as the GeoJSON layers round (half away from zero), so a
    // table and a layer never differ in the last digit.
    v.map_or_else(String::new, |x| {
        format!("{:.digits$}", crate::geodesy::round(x, digits as i32) + 0.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_quoting() {
        let mut csv = Csv::new(&["a", "b"]);
        csv.row(&["德城区", "x, \"y\""]);
        csv.row(&["line\nbreak", ""]);
        let text = String::from_utf8(csv.into_bytes()).unwrap();
        assert_eq!(
            text,
            "\u{feff}a,b\r\n德城区,\"x, \"\"y\"\"\"\r\n\"line\nbreak\",\r\n"
        );
    }
}
