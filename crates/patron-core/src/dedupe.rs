//! Likely-duplicate detection (METHOD §1: the archive is checked for duplicates). Names are
//! compared after normalisation — case, width, spaces and punctuation folded — so "ACME Ltd."
//! and "acme ltd" match, and CJK names compare character by character.

/// Folds a name for comparison: lower case, full-width ASCII to half-width, and only letters and
/// digits kept (spaces and punctuation dropped, which also removes the ·/・ in transliterations).
pub fn normalise_name(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric())
        .collect()
}

/// Similarity of two normalised names in 0..=1 (1 = identical), by edit distance over
/// characters so one CJK character counts as one edit.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    strsim::normalized_levenshtein(a, b)
}

/// Names at least this similar are reported as likely duplicates. A one-character difference in
/// a three-character CJK name (0.67) is not enough; "Acme Trading Ltd" vs "Acme Trading Ltd."
/// or a typo in a long name is.
pub const NAME_SIMILARITY_THRESHOLD: f64 = 0.85;

/// Whether two names are near-identical.
pub fn names_match(a: &str, b: &str) -> bool {
    let (a, b) = (normalise_name(a), normalise_name(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    a == b || name_similarity(&a, &b) >= NAME_SIMILARITY_THRESHOLD
}

/// The key duplicates are grouped by before names are compared pairwise: the first two
/// normalised characters. Keeps the comparison near-linear on a million customers.
pub fn block_key(name: &str) -> String {
    normalise_name(name).chars().take(2).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds() {
        assert_eq!(normalise_name("ＡＣＭＥ Ltd."), "acmeltd");
        assert_eq!(normalise_name("张 三丰"), "张三丰");
    }

    #[test]
    fn matches_near_identical() {
        assert!(names_match("Acme Trading Ltd", "ACME Trading Ltd."));
        assert!(names_match("张三丰", "张三丰 "));
        assert!(names_match("주식회사 한빛상사", "(주식회사)한빛상사"));
        assert!(names_match("Northwind Traders", "Northwind Tradres"));
        assert!(!names_match("张三丰", "张三"));
        assert!(!names_match("김민준", "김민지"));
        assert!(!names_match("", ""));
    }
}
