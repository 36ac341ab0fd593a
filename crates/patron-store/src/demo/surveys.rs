//! Demo surveys (METHOD §5): the method's questionnaire and answers from about a third of the
//! first customers (at most [`MAX_ANSWERED`]) over the last half year — two in three taken by the
//! owner on a call, the rest given by the customer through a public link in a language that
//! suits their name — so the loyalty matrix, the survey summary and the reputation indicator
//! have something to show.
//!
//! Deterministic: its own random stream from the seed; every date hangs off `opts.today`.

use super::{DemoOptions, DemoReport};
use crate::error::StoreResult;
use crate::store::Store;
use crate::surveys::{LinkInput, LinkPurpose, ResponseInput};
use crate::CustomerQuery;
use chrono::{DateTime, Duration, Utc};
use patron_core::survey::{Answers, AspectAnswer, SurveyDef};
use patron_core::StaffLevel;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Salt of the surveys' random stream.
const STREAM: u64 = 0x5355_5256_4559_0000;
/// Customers looked at (the first, by id) and answers made at most.
const LOOKED_AT: u32 = 1500;
const MAX_ANSWERED: usize = 500;

const COMMENTS: &[(&str, &str)] = &[
    (
        "en",
        "Delivery was a day late, but the driver was friendly.",
    ),
    ("en", "Good products; the price could be a little lower."),
    ("zh-CN", "产品质量很好，售后服务也很及时。"),
    ("zh-CN", "希望送货能更准时一些。"),
    ("zh-TW", "服務人員很親切，會推薦給朋友。"),
    ("ko", "제품은 좋지만 배송이 조금 늦었습니다."),
];

/// The customer's language guessed from the script of their name.
fn language_of(name: &str) -> &'static str {
    if name.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)) {
        "ko"
    } else if name.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)) {
        // Traditional-only characters common in the demo's names and addresses.
        if name.chars().any(|c| "陳黃劉張楊趙吳鄭謝臺灣".contains(c)) {
            "zh-TW"
        } else {
            "zh-CN"
        }
    } else {
        "en"
    }
}

fn answers(rng: &mut ChaCha8Rng, def: &SurveyDef, lang: &str) -> Answers {
    // A customer's mood moves all their aspects the same way, so quadrants are not uniform.
    let mood: i8 = rng.gen_range(-1..=1);
    let aspects: Vec<AspectAnswer> = def
        .aspects
        .iter()
        .map(|a| {
            let expected: u8 = rng.gen_range(3..=5);
            let step: i8 = mood + rng.gen_range(-1..=1);
            let perceived = (expected as i8 + step).clamp(1, 5) as u8;
            AspectAnswer {
                aspect: a.code.clone(),
                expected,
                perceived,
            }
        })
        .collect();
    let comment = rng
        .gen_bool(0.3)
        .then(|| {
            let mine: Vec<&str> = COMMENTS
                .iter()
                .filter(|(l, _)| *l == lang)
                .map(|(_, t)| *t)
                .collect();
            mine.get(rng.gen_range(0..mine.len().max(1))).copied()
        })
        .flatten()
        .map(str::to_owned);
    Answers {
        aspects,
        would_praise: Some(mood >= 0 && rng.gen_bool(0.8)),
        asked_by_name: rng.gen_bool(0.9).then(|| rng.gen_bool(0.4)),
        comment,
    }
}

pub(super) async fn generate(
    store: &dyn Store,
    opts: &DemoOptions,
    report: &DemoReport,
) -> StoreResult<()> {
    let director = report
        .users
        .iter()
        .find(|u| u.staff_level == StaffLevel::MarketingDirector)
        .map(|u| u.id);
    let survey = store
        .create_survey(director, &SurveyDef::method_default())
        .await?;
    let customers = store
        .list_customers(&CustomerQuery {
            limit: Some(LOOKED_AT),
            ..Default::default()
        })
        .await?
        .items;
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed ^ STREAM);
    let noon = opts
        .today
        .and_hms_opt(12, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let mut made = 0;
    for c in customers {
        if made >= MAX_ANSWERED {
            break;
        }
        if !rng.gen_bool(0.33) {
            continue;
        }
        made += 1;
        let lang = language_of(&c.name);
        let when: DateTime<Utc> = noon - Duration::days(rng.gen_range(1..180));
        let a = answers(&mut rng, &survey.def, lang);
        if rng.gen_bool(0.67) {
            let input = ResponseInput::new(survey.id, Some(lang.to_owned()), a);
            store
                .record_survey_response(c.owner_id, c.id, &input, when)
                .await?;
        } else {
            let link = LinkInput {
                purpose: LinkPurpose::Survey,
                survey_id: Some(survey.id),
                language: Some(lang.to_owned()),
                days: None,
            };
            let sent = when - Duration::days(rng.gen_range(1..6));
            let made = store
                .create_public_link(director, c.id, &link, sent)
                .await?;
            store.answer_public_survey(&made.secret, &a, when).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_suggests_a_language() {
        assert_eq!(language_of("김민준"), "ko");
        assert_eq!(language_of("王伟"), "zh-CN");
        assert_eq!(language_of("陳美玲"), "zh-TW");
        assert_eq!(language_of("Acme Ltd"), "en");
    }
}
