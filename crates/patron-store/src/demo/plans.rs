//! Coordinates for the demo customers, so the day's route (METHOD §3.1) has something to order.
//!
//! A customer whose address names one of the demo's cities is placed within about 8 km of that
//! city's centre — but only when that city lies within [`REACH_KM`] of its owner's home city (the
//! city most of the owner's customers are in): the demo's representatives serve customers on
//! several continents, and a day's route from Seoul to Chicago shows nothing. The others stay unlocated, as many are
//! in a real archive, so the route page shows its "not located" list too. The offset comes from the seed and the
//! customer's id (never the clock), so the same demo gets the same coordinates on both
//! databases. Only the first [`MAX_LOCATED`] customers are read: a route needs a few dozen
//! located customers per person, not a million.

use super::DemoOptions;
use crate::error::StoreResult;
use crate::query::CustomerQuery;
use crate::store::Store;
use patron_core::contact::Point;
use patron_core::CustomerId;
use std::collections::HashMap;

/// How far from their owner's home city demo customers are located.
pub const REACH_KM: f64 = 200.0;

/// The most customers the demo locates.
pub const MAX_LOCATED: usize = 20_000;

/// The demo's cities (as its addresses spell them) and their centres.
#[rustfmt::skip]
const CITIES: &[(&str, f64, f64)] = &[
    ("上海市", 31.2304, 121.4737), ("北京市", 39.9042, 116.4074),
    ("广州市", 23.1291, 113.2644), ("深圳市", 22.5431, 114.0579),
    ("杭州市", 30.2741, 120.1551), ("成都市", 30.5728, 104.0668),
    ("南京市", 32.0603, 118.7969), ("武汉市", 30.5928, 114.3055),
    ("西安市", 34.3416, 108.9398), ("苏州市", 31.2989, 120.5853),
    ("天津市", 39.3434, 117.3616), ("重庆市", 29.5630, 106.5516),
    ("青岛市", 36.0671, 120.3826), ("厦门市", 24.4798, 118.0894),
    ("长沙市", 28.2282, 112.9388),
    ("台北市", 25.0330, 121.5654), ("新北市", 25.0120, 121.4657),
    ("台中市", 24.1477, 120.6736), ("高雄市", 22.6273, 120.3014),
    ("台南市", 22.9999, 120.2270), ("桃園市", 24.9936, 121.3010),
    ("新竹市", 24.8138, 120.9675),
    ("서울특별시", 37.5665, 126.9780), ("부산광역시", 35.1796, 129.0756),
    ("인천광역시", 37.4563, 126.7052), ("대구광역시", 35.8714, 128.6014),
    ("대전광역시", 36.3504, 127.3845), ("광주광역시", 35.1595, 126.8526),
    ("성남시", 37.4201, 127.1265), ("수원시", 37.2636, 127.0286),
    ("제주시", 33.4996, 126.5312),
    ("Portland, OR", 45.5152, -122.6784), ("Seattle, WA", 47.6062, -122.3321),
    ("Austin, TX", 30.2672, -97.7431), ("Denver, CO", 39.7392, -104.9903),
    ("Boston, MA", 42.3601, -71.0589), ("Chicago, IL", 41.8781, -87.6298),
    ("San Francisco, CA", 37.7749, -122.4194), ("Brooklyn, NY", 40.6782, -73.9442),
];

/// A number in [0, 1) from the seed, the customer and a salt (SplitMix64).
fn unit(seed: u64, id: i64, salt: u64) -> f64 {
    let mut z = seed ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ salt;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The demo city an address names, by its index in [`CITIES`].
fn city(address: &str) -> Option<usize> {
    CITIES
        .iter()
        .position(|(name, _, _)| address.contains(name))
}

/// Where a demo customer with this address lies, if its city is known.
fn place(seed: u64, id: CustomerId, address: &str) -> Option<Point> {
    let &(_, lat, lon) = CITIES.get(city(address)?)?;
    // Up to about 8 km from the centre in each direction (a degree of latitude is 111 km).
    let dlat = (unit(seed, id.0, 1) - 0.5) * 0.144;
    let dlon = (unit(seed, id.0, 2) - 0.5) * 0.144 / lat.to_radians().cos().max(0.2);
    Some(Point {
        latitude: (lat + dlat).clamp(-90.0, 90.0),
        longitude: (lon + dlon).clamp(-180.0, 180.0),
    })
}

/// Whether two demo cities lie within [`REACH_KM`] of each other.
fn near(a: usize, b: usize) -> bool {
    let centre = |k: usize| {
        CITIES.get(k).map(|&(_, latitude, longitude)| Point {
            latitude,
            longitude,
        })
    };
    match (centre(a), centre(b)) {
        (Some(x), Some(y)) => patron_core::contact::route::haversine_km(x, y) <= REACH_KM,
        _ => false,
    }
}

/// Locates the demo customers (see the module); returns how many were located.
pub async fn locate(store: &dyn Store, opts: &DemoOptions) -> StoreResult<u64> {
    // (customer, owner, city, point)
    let mut found: Vec<(CustomerId, Option<i64>, usize, Point)> = Vec::new();
    let mut cursor = None;
    let mut seen = 0usize;
    while seen < MAX_LOCATED {
        let page = store
            .list_customers(&CustomerQuery {
                limit: Some(500),
                cursor: cursor.take(),
                ..Default::default()
            })
            .await?;
        seen += page.items.len();
        for c in &page.items {
            let Some(address) = c.address.as_deref() else {
                continue;
            };
            if let (Some(k), Some(p)) = (city(address), place(opts.seed, c.id, address)) {
                found.push((c.id, c.owner_id.map(|u| u.0), k, p));
            }
        }
        match page.next_cursor {
            Some(next) if !page.items.is_empty() => cursor = Some(next),
            _ => break,
        }
    }
    // Each owner's home city: where most of their customers are (ties: the first city).
    let mut counts: HashMap<(i64, usize), usize> = HashMap::new();
    for (_, owner, k, _) in &found {
        if let Some(o) = owner {
            *counts.entry((*o, *k)).or_default() += 1;
        }
    }
    let mut home: HashMap<i64, (usize, usize)> = HashMap::new();
    for ((o, k), n) in counts {
        let best = home.entry(o).or_insert((k, n));
        if n > best.1 || (n == best.1 && k < best.0) {
            *best = (k, n);
        }
    }
    let rows: Vec<(CustomerId, Point)> = found
        .into_iter()
        .filter(|(_, owner, k, _)| {
            owner.is_none_or(|o| home.get(&o).is_some_and(|h| near(h.0, *k)))
        })
        .map(|(id, _, _, p)| (id, p))
        .collect();
    store.set_customer_locations(&rows).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use patron_core::contact::route::haversine_km;

    #[test]
    fn addresses_in_a_known_city_land_near_it() {
        let p = place(42, CustomerId(7), "서울특별시강남구 테헤란로 1").expect("Seoul");
        let d = haversine_km(
            p,
            Point {
                latitude: 37.5665,
                longitude: 126.9780,
            },
        );
        assert!(d < 12.0, "{d}");
        assert_eq!(
            place(42, CustomerId(7), "서울특별시강남구"),
            Some(p),
            "deterministic"
        );
        assert_ne!(place(43, CustomerId(7), "서울특별시강남구"), Some(p));
        assert!(place(42, CustomerId(7), "Nowhere 1").is_none());
    }
}
