//! A day's visits in a short order (METHOD §3.1: "a day's visits can be ordered into a short
//! route"): great-circle distances between the customers' coordinates, a nearest-neighbour
//! tour from the start, improved by 2-opt until no reversal of a stretch shortens it.
//!
//! The route is open (it ends at the last customer, not back at the start): staff go home from
//! wherever the day ends. It starts at the user's start location when one is set, else at the
//! first located customer of the list (the most urgent, as the caller orders them). Customers
//! without coordinates cannot be placed; they are listed apart as "not located", so nobody is
//! silently dropped from the day. Nearest neighbour plus 2-opt is not always the shortest
//! route, but it is within a few per cent of it on the tens of stops a day holds, and it never
//! keeps a crossing: two crossing legs can always be uncrossed into shorter ones.

use crate::ids::CustomerId;
use crate::validation::FieldError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The mean radius of the Earth in km (IUGG).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The most stops a route orders; more located customers are listed in `left_out` (in the
/// order given, so the most urgent are routed).
pub const MAX_STOPS: usize = 300;

/// A place on Earth in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Point {
    /// −90 to 90 (north positive).
    pub latitude: f64,
    /// −180 to 180 (east positive).
    pub longitude: f64,
}

impl Point {
    /// A checked point: latitude −90..90, longitude −180..180, both finite; the error names
    /// the field.
    pub fn new(latitude: f64, longitude: f64) -> Result<Point, FieldError> {
        if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
            return Err(FieldError::new(
                "latitude",
                "out_of_range",
                "a latitude runs from -90 to 90 degrees",
            ));
        }
        if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
            return Err(FieldError::new(
                "longitude",
                "out_of_range",
                "a longitude runs from -180 to 180 degrees",
            ));
        }
        Ok(Point {
            latitude,
            longitude,
        })
    }
}

/// The great-circle distance in km (haversine formula).
pub fn haversine_km(a: Point, b: Point) -> f64 {
    let (p1, p2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dp = p2 - p1;
    let dl = (b.longitude - a.longitude).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

/// A customer to visit, with coordinates when known.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub customer_id: CustomerId,
    pub name: String,
    pub location: Option<Point>,
}

/// One stop of the route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stop {
    /// 1 for the first stop.
    pub position: usize,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub latitude: f64,
    pub longitude: f64,
    /// From the previous stop (or the start location) in km.
    pub leg_km: f64,
    /// From the start in km.
    pub cumulative_km: f64,
}

/// A customer listed apart (no coordinates, or beyond [`MAX_STOPS`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Unrouted {
    pub customer_id: CustomerId,
    pub customer_name: String,
}

/// The ordered route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Route {
    /// The start location used (`None`: the route starts at its first stop).
    pub start: Option<Point>,
    pub stops: Vec<Stop>,
    pub total_km: f64,
    /// Customers without coordinates: they cannot be placed on the route.
    pub not_located: Vec<Unrouted>,
    /// Located customers beyond the [`MAX_STOPS`] a route holds.
    pub left_out: Vec<Unrouted>,
}

/// The length of an open path through `pts` in this order.
#[cfg(test)]
fn length(pts: &[Point]) -> f64 {
    pts.windows(2).map(|w| haversine_km(w[0], w[1])).sum()
}

/// Visits `pts[1..]` from `pts[0]` by always going to the nearest unvisited point; returns the
/// order as indices into `pts`, starting with 0.
fn nearest_neighbour(pts: &[Point]) -> Vec<usize> {
    let mut order = Vec::with_capacity(pts.len());
    if pts.is_empty() {
        return order;
    }
    let mut left: Vec<usize> = (1..pts.len()).collect();
    order.push(0);
    let mut at = 0;
    while !left.is_empty() {
        let (k, _) = left
            .iter()
            .enumerate()
            .fold((0, f64::INFINITY), |best, (k, &i)| {
                let d = haversine_km(pts[at], pts[i]);
                if d < best.1 {
                    (k, d)
                } else {
                    best
                }
            });
        at = left.remove(k);
        order.push(at);
    }
    order
}

/// Improves an open path with a fixed first point by 2-opt: reverses a stretch `i..=j`
/// whenever that shortens the path, until no reversal does (or a generous number of rounds).
pub fn two_opt(pts: &[Point], order: &mut [usize]) {
    let n = order.len();
    if n < 3 {
        return;
    }
    for _round in 0..(4 * n + 10) {
        let mut improved = false;
        for i in 1..n - 1 {
            for j in i + 1..n {
                let a = pts[order[i - 1]];
                let b = pts[order[i]];
                let c = pts[order[j]];
                let before_end = if j + 1 < n {
                    haversine_km(c, pts[order[j + 1]])
                } else {
                    0.0
                };
                let after_end = if j + 1 < n {
                    haversine_km(b, pts[order[j + 1]])
                } else {
                    0.0
                };
                let delta = haversine_km(a, c) + after_end - haversine_km(a, b) - before_end;
                if delta < -1e-9 {
                    order[i..=j].reverse();
                    improved = true;
                }
            }
        }
        if !improved {
            break;
        }
    }
}

/// Orders `places` into a short route from `start` (else from the first located place).
pub fn plan(start: Option<Point>, places: &[Place]) -> Route {
    let mut not_located = Vec::new();
    let mut left_out = Vec::new();
    let mut located: Vec<(&Place, Point)> = Vec::new();
    for p in places {
        match p.location {
            Some(pt) if located.len() < MAX_STOPS => located.push((p, pt)),
            Some(_) => left_out.push(Unrouted {
                customer_id: p.customer_id,
                customer_name: p.name.clone(),
            }),
            None => not_located.push(Unrouted {
                customer_id: p.customer_id,
                customer_name: p.name.clone(),
            }),
        }
    }
    // The points: the start (when set) first, then the located customers.
    let mut pts: Vec<Point> = Vec::with_capacity(located.len() + 1);
    let offset = usize::from(start.is_some());
    if let Some(s) = start {
        pts.push(s);
    }
    pts.extend(located.iter().map(|(_, pt)| *pt));
    let mut order = nearest_neighbour(&pts);
    two_opt(&pts, &mut order);
    let mut stops = Vec::with_capacity(located.len());
    let mut total = 0.0;
    let mut prev: Option<Point> = start;
    for &i in &order {
        if i < offset {
            continue;
        }
        let (place, pt) = located[i - offset];
        let leg = prev.map_or(0.0, |p| haversine_km(p, pt));
        total += leg;
        prev = Some(pt);
        stops.push(Stop {
            position: stops.len() + 1,
            customer_id: place.customer_id,
            customer_name: place.name.clone(),
            latitude: pt.latitude,
            longitude: pt.longitude,
            leg_km: round_m(leg),
            cumulative_km: round_m(total),
        });
    }
    Route {
        start,
        total_km: round_m(total),
        stops,
        not_located,
        left_out,
    }
}

/// Kilometres to the metre: enough for a route and stable in JSON.
fn round_m(km: f64) -> f64 {
    (km * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(lat: f64, lon: f64) -> Point {
        Point::new(lat, lon).expect("point")
    }

    fn place(id: i64, at: Option<Point>) -> Place {
        Place {
            customer_id: CustomerId(id),
            name: format!("c{id}"),
            location: at,
        }
    }

    #[test]
    fn haversine_matches_known_distances() {
        // One degree of latitude is about 111.2 km.
        let d = haversine_km(pt(0.0, 0.0), pt(1.0, 0.0));
        assert!((d - 111.195).abs() < 0.01, "{d}");
        // Seoul City Hall to Busan City Hall: about 325 km as the crow flies.
        let d = haversine_km(pt(37.5663, 126.9779), pt(35.1798, 129.0750));
        assert!((d - 325.0).abs() < 5.0, "{d}");
        assert_eq!(haversine_km(pt(10.0, 20.0), pt(10.0, 20.0)), 0.0);
        // Antipodes: half the circumference.
        let d = haversine_km(pt(0.0, 0.0), pt(0.0, 180.0));
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_KM).abs() < 1e-6);
    }

    #[test]
    fn points_out_of_range_name_the_field() {
        assert_eq!(Point::new(91.0, 0.0).expect_err("lat").field, "latitude");
        assert_eq!(Point::new(0.0, -180.5).expect_err("lon").field, "longitude");
        assert_eq!(
            Point::new(f64::NAN, 0.0).expect_err("nan").field,
            "latitude"
        );
        assert!(Point::new(-90.0, 180.0).is_ok());
    }

    #[test]
    fn no_located_customer_is_an_empty_route_with_the_unlocated_listed() {
        let r = plan(None, &[place(1, None), place(2, None)]);
        assert!(r.stops.is_empty());
        assert_eq!(r.total_km, 0.0);
        assert_eq!(r.not_located.len(), 2);
        assert!(plan(Some(pt(1.0, 1.0)), &[]).stops.is_empty());
    }

    #[test]
    fn one_located_customer_is_one_stop_of_zero_km() {
        let r = plan(None, &[place(1, None), place(2, Some(pt(31.2, 121.5)))]);
        assert_eq!(r.stops.len(), 1);
        assert_eq!(r.stops[0].customer_id, CustomerId(2));
        assert_eq!((r.stops[0].leg_km, r.total_km), (0.0, 0.0));
        assert_eq!(r.not_located[0].customer_id, CustomerId(1));
        // With a start location the one leg is from there.
        let r = plan(Some(pt(31.2, 121.4)), &[place(2, Some(pt(31.2, 121.5)))]);
        assert!(r.total_km > 9.0 && r.total_km < 10.0, "{}", r.total_km);
    }

    #[test]
    fn two_opt_removes_a_crossing() {
        // Near the equator, where degrees are nearly square. The path 0 → 1 → 2 → 3 over the
        // corners (0,0), (1,1), (1,0), (0,1) crosses itself; 0 → 2 → 1 → 3 does not.
        let pts = [pt(0.0, 0.0), pt(1.0, 1.0), pt(1.0, 0.0), pt(0.0, 1.0)];
        let mut order = vec![0, 1, 2, 3];
        let crossing = length(&[pts[0], pts[1], pts[2], pts[3]]);
        two_opt(&pts, &mut order);
        assert_eq!(order, vec![0, 2, 1, 3]);
        let fixed = length(&order.iter().map(|&i| pts[i]).collect::<Vec<_>>());
        assert!(fixed < crossing - 50.0, "{fixed} vs {crossing}");
    }

    /// The shortest open path from point 0, by trying every order (small instances only).
    fn brute_force(pts: &[Point]) -> f64 {
        fn go(pts: &[Point], path: &mut Vec<usize>, left: &mut Vec<usize>, best: &mut f64) {
            if left.is_empty() {
                *best = best.min(length(&path.iter().map(|&i| pts[i]).collect::<Vec<_>>()));
                return;
            }
            for k in 0..left.len() {
                let i = left.remove(k);
                path.push(i);
                go(pts, path, left, best);
                path.pop();
                left.insert(k, i);
            }
        }
        let mut best = f64::INFINITY;
        go(pts, &mut vec![0], &mut (1..pts.len()).collect(), &mut best);
        best
    }

    #[test]
    fn nearest_neighbour_is_improved_on_a_known_instance() {
        // On the equator at longitudes 0, 1, -1.5, -5, 4 (distances in degrees of arc), nearest
        // neighbour from 0 zigzags 0 → 1 → -1.5 → -5 → 4 (1 + 2.5 + 3.5 + 9 = 16), its last
        // leg crossing back over everything. 2-opt uncrosses it into the best open path, east
        // first and then west: 0 → 4 → 1 → -1.5 → -5 (4 + 3 + 2.5 + 3.5 = 13), the optimum
        // that trying every order finds.
        let xs = [0.0, 1.0, -1.5, -5.0, 4.0];
        let pts: Vec<Point> = xs.iter().map(|x| pt(0.0, *x)).collect();
        let deg = haversine_km(pt(0.0, 0.0), pt(0.0, 1.0));
        let len_of = |o: &[usize]| length(&o.iter().map(|&i| pts[i]).collect::<Vec<_>>()) / deg;
        let nn = nearest_neighbour(&pts);
        assert_eq!(nn, vec![0, 1, 2, 3, 4]);
        assert!((len_of(&nn) - 16.0).abs() < 1e-6, "{}", len_of(&nn));
        let mut better = nn.clone();
        two_opt(&pts, &mut better);
        assert_eq!(better, vec![0, 4, 1, 2, 3]);
        assert!((len_of(&better) - 13.0).abs() < 1e-6, "{}", len_of(&better));
        assert!((brute_force(&pts) / deg - 13.0).abs() < 1e-6);
    }

    #[test]
    fn two_opt_never_lengthens_and_leaves_no_improving_reversal() {
        // A deterministic scatter of 12 points around Seoul.
        let mut x: u64 = 12345;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) as f64) / f64::from(1u32 << 31)
        };
        let pts: Vec<Point> = (0..12)
            .map(|_| pt(37.4 + 0.3 * next(), 126.8 + 0.4 * next()))
            .collect();
        let nn = nearest_neighbour(&pts);
        let mut o = nn.clone();
        two_opt(&pts, &mut o);
        let len = |o: &[usize]| length(&o.iter().map(|&i| pts[i]).collect::<Vec<_>>());
        assert!(len(&o) <= len(&nn) + 1e-9);
        for i in 1..o.len() - 1 {
            for j in i + 1..o.len() {
                let mut t = o.clone();
                t[i..=j].reverse();
                assert!(len(&t) >= len(&o) - 1e-6, "reversing {i}..{j} still helps");
            }
        }
        let mut sorted = o.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..12).collect::<Vec<_>>(), "every point once");
    }

    #[test]
    fn stops_carry_legs_and_running_totals() {
        let places = [
            place(1, Some(pt(0.0, 0.0))),
            place(2, Some(pt(0.0, 2.0))),
            place(3, None),
            place(4, Some(pt(0.0, 1.0))),
        ];
        let r = plan(None, &places);
        let ids: Vec<i64> = r.stops.iter().map(|s| s.customer_id.0).collect();
        assert_eq!(ids, vec![1, 4, 2]);
        assert_eq!(r.stops[0].leg_km, 0.0);
        let deg = haversine_km(pt(0.0, 0.0), pt(0.0, 1.0));
        assert!((r.stops[2].cumulative_km - 2.0 * deg).abs() < 0.01);
        assert_eq!(r.stops[2].cumulative_km, r.total_km);
        assert_eq!(
            r.stops.iter().map(|s| s.position).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(r.not_located.len(), 1);
    }

    #[test]
    fn too_many_stops_are_left_out_in_order() {
        let places: Vec<Place> = (0..(MAX_STOPS as i64 + 5))
            .map(|i| place(i, Some(pt(0.0, (i as f64) / 1000.0))))
            .collect();
        let r = plan(None, &places);
        assert_eq!(r.stops.len(), MAX_STOPS);
        assert_eq!(r.left_out.len(), 5);
        assert_eq!(r.left_out[0].customer_id, CustomerId(MAX_STOPS as i64));
    }
}
