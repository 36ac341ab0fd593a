//! The questions of a questionnaire as a form, shared by the staff's "answers from a call" page
//! and the customer's public page: per aspect "what did you expect" and "what did you get"
//! (1–5), "would you praise us", "did you ask for us by name", free text — and reading the
//! submitted form back into [`Answers`], with errors per field (`expected_product`,
//! `would_praise`, `comment`).

use super::forms::add_error_key;
use patron_core::survey::{Answers, AspectAnswer, SurveyDef, MAX_COMMENT};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// A submitted form's fields (the last value of a repeated name wins).
pub(crate) fn fields(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    pairs.into_iter().collect()
}

fn yes_no(v: Option<&String>) -> Option<bool> {
    match v.map(|s| s.trim()) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    }
}

fn score(v: Option<&String>) -> Option<Result<u8, ()>> {
    let t = v.map(|s| s.trim()).filter(|s| !s.is_empty())?;
    Some(
        t.parse::<u8>()
            .ok()
            .filter(|n| (1..=5).contains(n))
            .ok_or(()),
    )
}

/// Reads the answers; errors map field → message key. An aspect left wholly blank is skipped;
/// half-answered is an error on the missing half.
pub(crate) fn read(def: &SurveyDef, f: &HashMap<String, String>) -> (Answers, Map<String, Value>) {
    let mut errs = Map::new();
    let mut aspects = Vec::new();
    for a in &def.aspects {
        let (ek, pk) = (
            format!("expected_{}", a.code),
            format!("perceived_{}", a.code),
        );
        match (score(f.get(&ek)), score(f.get(&pk))) {
            (None, None) => {}
            (Some(Ok(expected)), Some(Ok(perceived))) => aspects.push(AspectAnswer {
                aspect: a.code.clone(),
                expected,
                perceived,
            }),
            (e, p) => {
                for (key, v) in [(&ek, e), (&pk, p)] {
                    match v {
                        None => add_error_key(&mut errs, key, "required"),
                        Some(Err(())) => add_error_key(&mut errs, key, "out_of_range"),
                        Some(Ok(_)) => {}
                    }
                }
            }
        }
    }
    let comment = f
        .get("comment")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment
        .as_deref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        add_error_key(&mut errs, "comment", "too_long");
    }
    let answers = Answers {
        aspects,
        would_praise: yes_no(f.get("would_praise")),
        asked_by_name: yes_no(f.get("asked_by_name")),
        comment,
    };
    if errs.is_empty() {
        if let Err(e) = answers.normalized(def) {
            // Only "nothing answered" can remain once the fields above are fine.
            for x in &e.0 {
                add_error_key(&mut errs, "form", &x.code);
            }
        }
    }
    (answers, errs)
}

/// The template context of the questions (`survey_questions.html`) in `lang`, filled with what
/// was typed and its errors.
pub(crate) fn questions(
    def: &SurveyDef,
    lang: &str,
    typed: &HashMap<String, String>,
    errs: &Map<String, Value>,
) -> Value {
    let v = |k: &str| typed.get(k).cloned().unwrap_or_default();
    json!({
        "title": def.title.get(lang),
        "intro": def.intro.get(lang),
        "aspects": def.aspects.iter().map(|a| json!({
            "code": a.code,
            "label": a.label.get(lang),
            "expected": v(&format!("expected_{}", a.code)),
            "perceived": v(&format!("perceived_{}", a.code)),
        })).collect::<Vec<_>>(),
        "would_praise": v("would_praise"),
        "asked_by_name": v("asked_by_name"),
        "comment": v("comment"),
        "errors": errs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kv: &[(&str, &str)]) -> HashMap<String, String> {
        kv.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_answers_and_names_the_fields_in_error() {
        let def = SurveyDef::method_default();
        let (a, e) = read(
            &def,
            &form(&[
                ("expected_product", "4"),
                ("perceived_product", "5"),
                ("would_praise", "yes"),
                ("asked_by_name", ""),
                ("comment", "  fine "),
            ]),
        );
        assert!(e.is_empty(), "{e:?}");
        assert_eq!(a.aspects.len(), 1);
        assert_eq!(a.would_praise, Some(true));
        assert_eq!(a.asked_by_name, None);
        assert_eq!(a.comment.as_deref(), Some("fine"));

        let (_, e) = read(
            &def,
            &form(&[("expected_service", "3"), ("perceived_price", "9")]),
        );
        assert_eq!(e["perceived_service"], "error-required");
        assert_eq!(e["perceived_price"], "error-out_of_range");
        assert_eq!(e["expected_price"], "error-required");

        let (_, e) = read(&def, &form(&[]));
        assert_eq!(e["form"], "error-required");
    }
}
