//! Surveys and public links (METHOD §5) on both databases: defining a questionnaire, answers
//! from a call and through a link, the satisfaction ratings and quadrant they make, the
//! summary, the link's life (open, used once, expired, revoked), a complaint through a link,
//! the quadrant filter of the customer list, reputation in the indicators, and merging.

use chrono::{Duration, Utc};
use patron_core::classify::Quadrant;
use patron_core::survey::{Answers, AspectAnswer, SurveyDef};
use patron_core::*;
use patron_store::surveys::{LinkInput, LinkPurpose, LinkState, PublicComplaint, ResponseInput};
use patron_store::*;
use std::sync::Arc;

use patron_store::testkit::each_store as each;

async fn customer(s: &Arc<dyn Store>, name: &str) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn answer(aspect: &str, expected: u8, perceived: u8) -> AspectAnswer {
    AspectAnswer {
        aspect: aspect.into(),
        expected,
        perceived,
    }
}

fn link(purpose: LinkPurpose, survey: Option<i64>, lang: &str) -> LinkInput {
    LinkInput {
        purpose,
        survey_id: survey,
        language: Some(lang.into()),
        days: None,
    }
}

#[tokio::test]
async fn questionnaires_answers_and_the_matrix() {
    each(|s| async move {
        let rep = s
            .create_user(UserInput {
                email: "rep@x.com".into(),
                name: "Rep".into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("user");
        let a = customer(&s, "Alpha").await;
        let b = customer(&s, "Beta").await;

        // A definition is checked field by field.
        let mut bad = SurveyDef::method_default();
        bad.aspects[1].code = "product".into();
        let e = s.create_survey(None, &bad).await.expect_err("duplicate");
        assert_eq!(field_of(&e), "aspects[1].code");
        let survey = s
            .create_survey(Some(rep.id), &SurveyDef::method_default())
            .await
            .expect("survey");
        assert_eq!(survey.def.aspects.len(), 4);
        assert_eq!(survey.def.title.get("zh-CN"), "客户满意度调查");
        assert_eq!(s.list_surveys().await.expect("list").len(), 1);

        // Answers from a call: product met (3), service below expectation (2) → easily taken.
        let now = Utc::now();
        let input = ResponseInput::new(
            survey.id,
            Some("ko".into()),
            Answers {
                aspects: vec![answer("product", 4, 4), answer("service", 5, 4)],
                would_praise: Some(false),
                asked_by_name: Some(true),
                comment: Some(" late again ".into()),
            },
        );
        let r = s
            .record_survey_response(Some(rep.id), a, &input, now)
            .await
            .expect("recorded");
        assert_eq!(r.aspects.len(), 2);
        assert_eq!(r.user_name.as_deref(), Some("Rep"));
        assert_eq!(r.comment.as_deref(), Some("late again"));
        let sat = s.customer_satisfaction(a).await.expect("satisfaction");
        assert_eq!(sat.quadrant, Quadrant::EasilyTaken);
        let product = sat.product.expect("product rating");
        assert_eq!(product.score, 3);
        assert_eq!(product.response_id, Some(r.id));
        assert_eq!(sat.service.expect("service").score, 2);

        // Invalid answers name the field; nothing is kept.
        let mut wrong = input.clone();
        wrong.aspects = vec![answer("colour", 3, 3)];
        let e = s
            .record_survey_response(None, a, &wrong, now)
            .await
            .expect_err("unknown aspect");
        assert_eq!(field_of(&e), "aspects[0].aspect");
        let mut wrong = input.clone();
        wrong.language = Some("fr".into());
        let e = s
            .record_survey_response(None, a, &wrong, now)
            .await
            .expect_err("language");
        assert_eq!(field_of(&e), "language");
        assert_eq!(
            s.customer_survey_responses(a, 10)
                .await
                .expect("answers")
                .len(),
            1
        );

        // A survey link: open, answered once, then used.
        let made = s
            .create_public_link(
                Some(rep.id),
                b,
                &link(LinkPurpose::Survey, Some(survey.id), "zh-CN"),
                now,
            )
            .await
            .expect("link");
        assert_eq!(made.link.language, "zh-CN");
        match s.open_public_link(&made.secret, now).await.expect("open") {
            LinkState::Open {
                link,
                survey: Some(sv),
            } => {
                assert_eq!(link.customer_id, b);
                assert_eq!(sv.id, survey.id);
            }
            other => panic!("expected open, got {other:?}"),
        }
        let theirs = Answers {
            aspects: vec![answer("product", 3, 5), answer("service", 3, 4)],
            would_praise: Some(true),
            ..Answers::default()
        };
        s.answer_public_survey(&made.secret, &theirs, now)
            .await
            .expect("answered");
        assert_eq!(
            s.customer_satisfaction(b).await.expect("b").quadrant,
            Quadrant::Loyal
        );
        let again = s.answer_public_survey(&made.secret, &theirs, now).await;
        assert!(
            matches!(again, Err(StoreError::Conflict { .. })),
            "{again:?}"
        );
        assert_eq!(
            s.open_public_link(&made.secret, now).await.expect("used"),
            LinkState::Used {
                language: "zh-CN".into()
            }
        );
        assert_eq!(
            s.open_public_link("not-a-secret", now)
                .await
                .expect("guess"),
            LinkState::Invalid
        );
        let theirs_answers = s.customer_survey_responses(b, 10).await.expect("b answers");
        assert_eq!(theirs_answers[0].user_id, None);
        assert_eq!(theirs_answers[0].language, "zh-CN");

        // Expired and revoked links show nothing.
        let short = s
            .create_public_link(
                None,
                a,
                &link(LinkPurpose::Survey, Some(survey.id), "en"),
                now,
            )
            .await
            .expect("link");
        assert_eq!(
            s.open_public_link(&short.secret, now + Duration::days(15))
                .await
                .expect("expired"),
            LinkState::Invalid
        );
        s.revoke_public_link(a, short.link.id, now)
            .await
            .expect("revoke");
        assert_eq!(
            s.open_public_link(&short.secret, now)
                .await
                .expect("revoked"),
            LinkState::Invalid
        );
        let e = s
            .create_public_link(None, a, &link(LinkPurpose::Survey, None, "en"), now)
            .await
            .expect_err("no survey");
        assert_eq!(field_of(&e), "survey_id");
        let mut long = link(LinkPurpose::Complaint, None, "en");
        long.days = Some(365);
        let e = s
            .create_public_link(None, a, &long, now)
            .await
            .expect_err("too long");
        assert_eq!(field_of(&e), "days");

        // A complaint through a link: recorded on the customer as a web-form complaint.
        let c = s
            .create_public_link(None, a, &link(LinkPurpose::Complaint, None, "en"), now)
            .await
            .expect("complaint link");
        let empty = PublicComplaint {
            summary: " ".into(),
            details: None,
        };
        let e = s
            .complain_through_link(&c.secret, &empty, now)
            .await
            .expect_err("empty");
        assert_eq!(field_of(&e), "summary");
        // A refused complaint gives the link back.
        let said = PublicComplaint {
            summary: "The delivery was a week late".into(),
            details: Some("Ordered on Monday".into()),
        };
        let id = s
            .complain_through_link(&c.secret, &said, now)
            .await
            .expect("complained");
        let got = s
            .get_complaint(Scope::All, id, now)
            .await
            .expect("complaint");
        assert_eq!(got.complaint.customer_id, a);
        assert_eq!(
            got.complaint.channel,
            patron_core::complaint::Channel::WebForm
        );
        let links = s.public_links(a).await.expect("links");
        assert_eq!(
            links
                .iter()
                .find(|l| l.id == c.link.id)
                .and_then(|l| l.complaint_id),
            Some(id)
        );

        // The summary.
        let sum = s.survey_summary(survey.id).await.expect("summary");
        assert_eq!(sum.responses, 2);
        let product = &sum.aspects[0];
        assert_eq!((product.aspect.as_str(), product.answers), ("product", 2));
        assert_eq!(
            (product.basically_satisfied, product.very_satisfied),
            (1, 1)
        );
        assert_eq!((sum.praise_yes, sum.praise_answers), (1, 2));
        assert_eq!((sum.named_yes, sum.named_answers), (1, 1));
        assert_eq!(sum.aspects[2].answers, 0, "delivery not answered");

        // The customer list filters by quadrant.
        let loyal = s
            .list_customers(&CustomerQuery {
                quadrant: Some(Quadrant::Loyal),
                ..Default::default()
            })
            .await
            .expect("loyal");
        assert_eq!(
            loyal.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![b]
        );
        let taken = s
            .list_customers(&CustomerQuery {
                quadrant: Some(Quadrant::EasilyTaken),
                ..Default::default()
            })
            .await
            .expect("taken");
        assert_eq!(
            taken.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![a]
        );

        // Reputation: of the two customers surveyed this month, one praises us.
        s.refresh_indicators(now.date_naive())
            .await
            .expect("refresh");
        let table = s.indicator_table().await.expect("table");
        let month = now.format("%Y-%m").to_string();
        let row = table
            .rows
            .iter()
            .find(|r| r.period == month && r.dimension == "all")
            .expect("this month");
        assert_eq!((row.counts.surveyed, row.counts.praising), (2, 1));

        // A deactivated questionnaire takes no more answers or links.
        let mut closed = survey.def.clone();
        closed.active = false;
        s.update_survey(survey.id, &closed).await.expect("closed");
        let e = s
            .record_survey_response(None, a, &input, now)
            .await
            .expect_err("inactive");
        assert_eq!(field_of(&e), "survey_id");

        // Merging moves answers and links.
        s.merge_customers(a, b).await.expect("merge");
        assert_eq!(
            s.customer_survey_responses(a, 10)
                .await
                .expect("merged")
                .len(),
            2
        );
    })
    .await;
}
