//! The Mollweide projection (ESRI:54009, "World_Mollweide"), the grid of the
//! GHS-POP population rasters.
//!
//! Mollweide is an equal-area pseudo-cylindrical projection of the sphere. As
//! PROJ does for `+proj=moll` on an ellipsoidal datum (and so GDAL for
//! ESRI:54009 on WGS84), the sphere has the ellipsoid's semi-major axis as its
//! radius and geodetic latitudes are used as they are. With the auxiliary
//! angle θ solving `2θ + sin 2θ = π sin φ`:
//!
//! ```text
//! x = FE + R · (2√2 / π) · (λ − λ0) · cos θ
//! y = FN + R · √2 · sin θ
//! ```
//!
//! θ has no closed form: [`Mollweide::forward`] finds it by Newton's method on
//! `f(ψ) = ψ + sin ψ − π sin φ` with `ψ = 2θ`, whose derivative `1 + cos ψ`
//! vanishes only at the poles (handled apart). The inverse is closed-form.
//!
//! ```
//! use childcircle::places::population::Mollweide;
//! let m = Mollweide::world();
//! let [x, y] = m.forward([10.0, 45.0]);
//! // gdaltransform -s_srs EPSG:4326 -t_srs ESRI:54009: 807702.4836 5340244.9115
//! assert!((x - 807_702.4836).abs() < 1e-3 && (y - 5_340_244.9115).abs() < 1e-3);
//! let back = m.inverse([x, y]).unwrap();
//! assert!((back[0] - 10.0).abs() < 1e-10 && (back[1] - 45.0).abs() < 1e-10);
//! ```

use std::f64::consts::{FRAC_PI_2, PI, SQRT_2};

/// The WGS84 semi-major axis, the sphere radius of ESRI:54009 (metres).
pub const WGS84_SEMI_MAJOR_M: f64 = 6_378_137.0;

/// A Mollweide projection: central meridian, false easting/northing and the
/// sphere radius, all as the raster's GeoKeys or citation give them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mollweide {
    /// Central meridian λ0, degrees.
    pub lon0_deg: f64,
    /// False easting, metres.
    pub false_easting: f64,
    /// False northing, metres.
    pub false_northing: f64,
    /// Sphere radius, metres.
    pub radius: f64,
}

impl Mollweide {
    /// ESRI:54009: central meridian 0, no false origin, R = 6 378 137 m.
    pub fn world() -> Self {
        Mollweide {
            lon0_deg: 0.0,
            false_easting: 0.0,
            false_northing: 0.0,
            radius: WGS84_SEMI_MAJOR_M,
        }
    }

    /// Projects lon/lat degrees to Mollweide metres.
    pub fn forward(&self, lonlat: [f64; 2]) -> [f64; 2] {
        let lambda = wrap_pi((lonlat[0] - self.lon0_deg).to_radians());
        let theta = auxiliary_angle(lonlat[1].to_radians());
        let r = self.radius;
        [
            self.false_easting + r * (2.0 * SQRT_2 / PI) * lambda * theta.cos(),
            self.false_northing + r * SQRT_2 * theta.sin(),
        ]
    }

    /// Lon/lat degrees of a Mollweide point; `None` outside the ellipse the
    /// projection maps the globe onto.
    pub fn inverse(&self, xy: [f64; 2]) -> Option<[f64; 2]> {
        let r = self.radius;
        let (x, y) = (xy[0] - self.false_easting, xy[1] - self.false_northing);
        let s = y / (r * SQRT_2);
        if !s.is_finite() || s.abs() > 1.0 + 1e-12 {
            return None;
        }
        let theta = s.clamp(-1.0, 1.0).asin();
        let phi = (((2.0 * theta) + (2.0 * theta).sin()) / PI)
            .clamp(-1.0, 1.0)
            .asin();
        let cos_t = theta.cos();
        let lambda = if cos_t < 1e-15 {
            0.0 // at a pole every longitude is the same point
        } else {
            PI * x / (2.0 * SQRT_2 * r * cos_t)
        };
        if lambda.abs() > PI + 1e-9 {
            return None;
        }
        Some([self.lon0_deg + lambda.to_degrees(), phi.to_degrees()])
    }
}

/// θ of `2θ + sin 2θ = π sin φ`, by Newton's method on ψ = 2θ.
fn auxiliary_angle(phi: f64) -> f64 {
    let k = PI * phi.sin();
    // Within ~1e-7 rad of a pole the derivative vanishes and θ = φ to
    // better than a millimetre on the ground.
    if FRAC_PI_2 - phi.abs() < 1e-7 {
        return phi.signum() * FRAC_PI_2;
    }
    let mut psi = phi; // a good start: ψ and 2θ agree at 0 and at the poles
    for _ in 0..50 {
        let step = (psi + psi.sin() - k) / (1.0 + psi.cos());
        psi -= step;
        if step.abs() < 1e-15 {
            break;
        }
    }
    psi / 2.0
}

/// An angle in radians brought into [−π, π].
fn wrap_pi(a: f64) -> f64 {
    if (-PI..=PI).contains(&a) {
        a
    } else {
        (a + PI).rem_euclid(2.0 * PI) - PI
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// θ satisfies its defining equation everywhere, including near the poles.
    #[test]
    fn auxiliary_angle_solves_its_equation() {
        for i in -900..=900 {
            let phi = f64::from(i) / 10.0;
            let t = auxiliary_angle(phi.to_radians());
            let residual = 2.0 * t + (2.0 * t).sin() - PI * phi.to_radians().sin();
            assert!(residual.abs() < 1e-12, "φ = {phi}: residual {residual}");
        }
    }

    /// forward then inverse returns the point, over the whole globe and with
    /// a shifted central meridian and false origin.
    #[test]
    fn round_trip() {
        let shifted = Mollweide {
            lon0_deg: 105.0,
            false_easting: 500_000.0,
            false_northing: -100_000.0,
            radius: 6_371_007.0,
        };
        for m in [Mollweide::world(), shifted] {
            for i in -17..=17 {
                for j in -89..=89 {
                    let lon = m.lon0_deg + f64::from(i) * 10.5;
                    let lat = f64::from(j) + 0.25;
                    let back = m.inverse(m.forward([lon, lat])).unwrap();
                    assert!(
                        (back[0] - lon).abs() < 1e-9 && (back[1] - lat).abs() < 1e-9,
                        "{lon} {lat} -> {back:?}"
                    );
                }
            }
        }
    }

    /// Outside the ellipse there is no point.
    #[test]
    fn inverse_outside_the_ellipse() {
        let m = Mollweide::world();
        assert!(m.inverse([0.0, 9.1e6]).is_none());
        assert!(m.inverse([1.81e7, 0.0]).is_none());
    }

    /// Equal area: a 0.1° × 0.1° box keeps the area of its spherical quadrangle.
    #[test]
    fn equal_area() {
        let m = Mollweide::world();
        for lat in [0.0, 30.0, 60.0] {
            let c: Vec<[f64; 2]> = [[0.0, lat], [0.1, lat], [0.1, lat + 0.1], [0.0, lat + 0.1]]
                .iter()
                .map(|&p| m.forward(p))
                .collect();
            let shoelace: f64 = (0..4)
                .map(|i| {
                    let (a, b) = (c[i], c[(i + 1) % 4]);
                    a[0] * b[1] - b[0] * a[1]
                })
                .sum::<f64>()
                / 2.0;
            let r = m.radius;
            let sphere = r
                * r
                * 0.1f64.to_radians()
                * ((lat + 0.1f64).to_radians().sin() - lat.to_radians().sin());
            // The projected meridians are slightly curved, the shoelace's
            // sides straight: 2e-7 relative at this size.
            assert!(
                (shoelace / sphere - 1.0).abs() < 1e-6,
                "{lat}: {shoelace} vs {sphere}"
            );
        }
    }
}
