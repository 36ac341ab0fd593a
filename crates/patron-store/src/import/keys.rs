//! Re-import keys of order rows. A row with an order number is identified by that number. A row
//! without one is identified by a hash of its content plus its occurrence count within the file:
//! the CDNOW log has identical rows that are separate purchases, so the 2nd identical row is key
//! `<hash>:2` on every import, and importing the same file twice never doubles an order.
//!
//! The key is 96 bits of the hash in hex, and the count only from the second occurrence on: a
//! key is stored with every imported order, and the earlier form (`row:<128 bits>:<n>`,
//! 38 bytes) was more than a third of an imported order row. 96 bits keep a chance collision
//! out of reach (about 10⁻¹⁵ among ten million rows). Keys stored in the earlier
//! form are read through [`stored_key`], so a file imported before still matches.

use super::records::OrderRecord;
use std::collections::HashMap;
use std::fmt::Write as _;

/// Gives each unnumbered row its key, counting identical rows in file order.
#[derive(Debug, Default)]
pub struct OrderKeyer {
    /// Occurrences per content hash. The keys are hash output already: a fast hash suffices.
    seen: HashMap<[u8; 16], u32, foldhash::fast::RandomState>,
}

impl OrderKeyer {
    /// The row's key, or `None` for a row with an order number (its number is its key).
    /// Must be called for the rows in file order.
    pub fn key(&mut self, r: &OrderRecord) -> Option<String> {
        if r.order_ref.is_some() {
            return None;
        }
        let h = row_hash(r);
        let mut short = [0u8; 16];
        short.copy_from_slice(&h.as_bytes()[..16]);
        let n = self.seen.entry(short).or_insert(0);
        *n += 1;
        Some(row_key(&short, *n))
    }
}

/// Hex digits of the hash in a row key (96 bits).
const KEY_HEX: usize = 24;

/// The key of the `n`th row with this content: `<24 hex digits>`, then `:<n>` from the second.
fn row_key(hash: &[u8; 16], n: u32) -> String {
    let mut s = String::with_capacity(KEY_HEX + 6);
    push_hex(&mut s, &hash[..KEY_HEX / 2]);
    if n > 1 {
        let _ = write!(s, ":{n}");
    }
    s
}

/// A stored key as [`OrderKeyer::key`] makes it now: keys of the earlier form
/// (`row:<32 hex digits>:<n>`) are shortened the same way; any other key is returned as it is.
pub fn stored_key(key: String) -> String {
    let Some(rest) = key.strip_prefix("row:") else {
        return key;
    };
    match rest.split_once(':') {
        Some((hex, n)) if hex.len() == 32 && hex.is_ascii() => {
            let mut s = String::with_capacity(KEY_HEX + 6);
            s.push_str(&hex[..KEY_HEX]);
            if n != "1" {
                s.push(':');
                s.push_str(n);
            }
            s
        }
        _ => key,
    }
}

fn push_hex(s: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// 128 bits of a hash as 32 hex digits.
pub fn hex16(h: &blake3::Hash) -> String {
    let mut s = String::with_capacity(32);
    push_hex(&mut s, &h.as_bytes()[..16]);
    s
}

/// The hash of one order row's content. Fields are fed to the hasher directly (no string is
/// built per row), each text followed by a separator byte that cannot occur in it, numbers as
/// fixed-width bytes.
pub fn row_hash(r: &OrderRecord) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    for text in [
        r.customer_ref.as_str(),
        r.product_ref.as_deref().unwrap_or(""),
        r.product_line.as_deref().unwrap_or(""),
        r.currency.as_str(),
    ] {
        h.update(text.as_bytes());
        h.update(&[0x1f]);
    }
    h.update(&i64::from(chrono::Datelike::num_days_from_ce(&r.date)).to_le_bytes());
    h.update(&r.quantity.to_le_bytes());
    // The completed unit price, not the file's: an export writes the derived price, and
    // re-importing that export must give the same key.
    h.update(
        &r.unit_price_minor
            .unwrap_or(r.amount_minor / r.quantity.max(1))
            .to_le_bytes(),
    );
    h.update(&r.amount_minor.to_le_bytes());
    h.update(&[u8::from(r.asked_by_name)]);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use patron_core::Currency;

    fn rec(amount: i64) -> OrderRecord {
        OrderRecord {
            line: 2,
            customer_ref: "00001".into(),
            order_ref: None,
            date: NaiveDate::from_ymd_opt(1997, 1, 1).expect("date"),
            product_ref: None,
            product_line: None,
            quantity: 1,
            unit_price_minor: None,
            amount_minor: amount,
            currency: Currency::default(),
            asked_by_name: false,
        }
    }

    #[test]
    fn identical_rows_count_up_and_others_do_not() {
        let mut k = OrderKeyer::default();
        let a1 = k.key(&rec(1177)).expect("key");
        let b1 = k.key(&rec(999)).expect("key");
        let a2 = k.key(&rec(1177)).expect("key");
        assert_eq!(a1.len(), 24, "{a1}");
        assert_eq!(b1.len(), 24, "{b1}");
        assert_ne!(a1, b1);
        assert_eq!(a2, format!("{a1}:2"));
        assert_eq!(a1, hex16(&row_hash(&rec(1177)))[..24]);
        // A fresh file gives the same keys.
        assert_eq!(OrderKeyer::default().key(&rec(1177)).expect("key"), a1);
    }

    #[test]
    fn keys_of_the_earlier_form_read_as_the_new_ones() {
        let mut k = OrderKeyer::default();
        let a1 = k.key(&rec(1177)).expect("key");
        let a2 = k.key(&rec(1177)).expect("key");
        let full = hex16(&row_hash(&rec(1177)));
        assert_eq!(stored_key(format!("row:{full}:1")), a1);
        assert_eq!(stored_key(format!("row:{full}:2")), a2);
        // Keys of numbered orders and anything unexpected stay as they are.
        for other in ["ref:SO-1", "row:abc:1", "row:", &a1, &a2] {
            assert_eq!(stored_key(other.to_owned()), other);
        }
    }

    #[test]
    fn numbered_rows_have_no_row_key() {
        let mut r = rec(5);
        r.order_ref = Some("SO-1".into());
        assert_eq!(OrderKeyer::default().key(&r), None);
    }
}
