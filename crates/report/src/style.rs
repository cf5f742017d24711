//! One colour scheme for every deliverable — QGIS styles, the static map and
//! the HTML report — so a community is the same colour in all three.

use childcircle::profile::Category;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb`, for SVG, CSS and JavaScript.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// `r,g,b,a` as QGIS writes colours; `alpha` from 0 to 255.
    pub fn qgis(self, alpha: u8) -> String {
        format!("{},{},{},{alpha}", self.0, self.1, self.2)
    }

    fn mix(self, other: Rgb, t: f64) -> Rgb {
        let m = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// ColorBrewer RdYlGn (diverging, colour-blind-aware in its 8-class form):
/// red for communities that meet nothing, green for those that meet all.
const RD_YL_GN: [Rgb; 8] = [
    Rgb(215, 48, 39),
    Rgb(244, 109, 67),
    Rgb(253, 174, 97),
    Rgb(254, 224, 139),
    Rgb(217, 239, 139),
    Rgb(166, 217, 106),
    Rgb(102, 189, 99),
    Rgb(26, 152, 80),
];

/// Colour of a community that meets `met` of `of` categories.
pub fn met_colour(met: usize, of: usize) -> Rgb {
    let t = if of == 0 {
        1.0
    } else {
        met.min(of) as f64 / of as f64
    };
    let x = t * (RD_YL_GN.len() - 1) as f64;
    let i = (x.floor() as usize).min(RD_YL_GN.len() - 2);
    RD_YL_GN[i].mix(RD_YL_GN[i + 1], x - i as f64)
}

/// Outline of communities in the life circle.
pub const CIRCLE_OUTLINE: Rgb = Rgb(0, 68, 27);
/// Covered land (coverage layer), drawn translucent.
pub const COVERED: Rgb = Rgb(26, 152, 80);
/// Gaps: residential land outside the threshold, hatched.
pub const GAP: Rgb = Rgb(215, 48, 39);
/// District outlines.
pub const DISTRICT: Rgb = Rgb(90, 60, 110);
/// Suggested new sites.
pub const SUGGESTION: Rgb = Rgb(255, 215, 0);
/// Dark text and outlines.
pub const INK: Rgb = Rgb(40, 40, 40);

/// A distinct colour per category: by id for the built-in ones (kindergartens
/// pink, schools blue, parks green, ...), else from a qualitative palette.
pub fn category_colour(index: usize, category: &Category) -> Rgb {
    match category.id.as_str() {
        "kinder" => Rgb(231, 41, 138),
        "childcare" => Rgb(247, 129, 191),
        "play" => Rgb(255, 127, 0),
        "primary" => Rgb(55, 126, 184),
        "middle" => Rgb(31, 61, 122),
        "school" => Rgb(106, 140, 175),
        "culture" => Rgb(152, 78, 163),
        "park" => Rgb(51, 160, 44),
        "sports" => Rgb(23, 190, 207),
        _ => {
            const TABLEAU: [Rgb; 10] = [
                Rgb(78, 121, 167),
                Rgb(242, 142, 43),
                Rgb(225, 87, 89),
                Rgb(118, 183, 178),
                Rgb(89, 161, 79),
                Rgb(237, 201, 72),
                Rgb(176, 122, 161),
                Rgb(255, 157, 167),
                Rgb(156, 117, 95),
                Rgb(186, 176, 172),
            ];
            TABLEAU[index % TABLEAU.len()]
        }
    }
}

/// Isochrone band colours, shortest band darkest (Blues).
pub fn band_colour(band: usize, bands: usize) -> Rgb {
    let t = if bands <= 1 {
        0.0
    } else {
        band as f64 / (bands - 1) as f64
    };
    Rgb(8, 81, 156).mix(Rgb(158, 202, 225), t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn met_ramp_runs_red_to_green() {
        assert_eq!(met_colour(0, 9), RD_YL_GN[0]);
        assert_eq!(met_colour(9, 9), RD_YL_GN[7]);
        assert_eq!(met_colour(12, 9), RD_YL_GN[7]);
        assert_ne!(met_colour(4, 9), met_colour(5, 9));
    }
}
