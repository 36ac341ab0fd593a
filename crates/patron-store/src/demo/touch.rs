//! Demo data for keeping in touch (METHOD §3.3): message templates in the four languages, one
//! upcoming seminar with invitations in every state, and two customer requests — one answered
//! late and still open (overdue), one voiced on the demo's day (due within 24 hours).
//!
//! Deterministic like the rest of the demo: customers are the first ones (by id) of the first
//! two representatives, and every date hangs off `opts.today` (UTC), not the clock (except
//! that no request is voiced after the clock's now).

use super::{DemoOptions, DemoReport};
use crate::error::StoreResult;
use crate::store::Store;
use crate::touch::{
    EventInput, EventKind, InvitationChange, InvitationReply, RequestInput, RequestKind,
    TemplateInput, TemplateKind,
};
use crate::CustomerQuery;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use patron_core::{CustomerId, StaffLevel, User};

/// Templates: kind, name, language, subject, body.
const TEMPLATES: &[(TemplateKind, &str, &str, Option<&str>, &str)] = &[
    (
        TemplateKind::Letter,
        "Thank-you letter after a purchase",
        "en",
        Some("Thank you, {customer}"),
        "Dear {key_person},\n\nthank you for your recent order. We hope everything arrived as \
         you expected; if anything can be better, please tell us — we answer within a day.\n\n\
         With best regards,\n{staff}\n{date}",
    ),
    (
        TemplateKind::Card,
        "生日贺卡",
        "zh-CN",
        None,
        "亲爱的{key_person}：\n祝您生日快乐，万事如意！感谢{company}一直以来的支持。\n{staff} 敬上\n{date}",
    ),
    (
        TemplateKind::Gift,
        "節日禮品卡片",
        "zh-TW",
        None,
        "{key_person} 您好：\n佳節將至，謹備薄禮一份，感謝{company}長期的支持與信任。\n{staff} 敬上 {date}",
    ),
    (
        TemplateKind::Questionnaire,
        "고객 만족도 설문",
        "ko",
        Some("{customer} 고객님께 드리는 설문"),
        "{key_person}님, 안녕하세요.\n저희 제품과 서비스에 얼마나 만족하시는지 1점에서 5점으로 \
         알려 주세요. 의견은 24시간 안에 답변드리겠습니다.\n{staff} 드림, {date}",
    ),
    (
        TemplateKind::Questionnaire,
        "Satisfaction questionnaire",
        "en",
        Some("How are we doing, {customer}?"),
        "Dear {key_person},\n\nhow satisfied are you with our products, and with our service \
         (1 = not at all, 5 = very)? Every answer is read and replied to within a day.\n\n{staff}",
    ),
];

fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    day.and_hms_opt(hour, 0, 0).unwrap_or_default().and_utc()
}

async fn customers_of(store: &dyn Store, rep: &User, n: u32) -> StoreResult<Vec<CustomerId>> {
    Ok(store
        .list_customers(&CustomerQuery {
            owner_id: Some(rep.id),
            limit: Some(n),
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .map(|c| c.id)
        .collect())
}

pub(super) async fn generate(
    store: &dyn Store,
    opts: &DemoOptions,
    report: &DemoReport,
) -> StoreResult<()> {
    let level = |l: StaffLevel| report.users.iter().find(|u| u.staff_level == l);
    let admin = level(StaffLevel::Administrator).map(|u| u.id);
    for (kind, name, language, subject, body) in TEMPLATES {
        store
            .create_template(
                admin,
                TemplateInput {
                    kind: *kind,
                    name: (*name).into(),
                    language: (*language).into(),
                    subject: subject.map(str::to_owned),
                    body: (*body).into(),
                    active: true,
                },
            )
            .await?;
    }

    let reps: Vec<&User> = report
        .users
        .iter()
        .filter(|u| u.staff_level == StaffLevel::SalesRepresentative)
        .collect();
    let (Some(first), Some(second)) = (reps.first(), reps.get(1)) else {
        return Ok(());
    };

    // A seminar two weeks ahead, organised by the marketing director.
    let starts = at(opts.today + Duration::days(14), 6);
    let seminar = store
        .create_event(
            level(StaffLevel::MarketingDirector).map(|u| u.id),
            EventInput {
                kind: EventKind::Seminar,
                title: "Spring product seminar · 春季新品说明会".into(),
                starts_at: starts,
                ends_at: Some(starts + Duration::hours(3)),
                place: Some("Head office, meeting room 1".into()),
                description: Some(
                    "New products of the season, a tea tasting, and time for questions.".into(),
                ),
            },
        )
        .await?;
    let invited = customers_of(store, first, 6).await?;
    let targets: Vec<(CustomerId, Option<patron_core::KeyPersonId>)> =
        invited.iter().map(|c| (*c, None)).collect();
    store
        .invite_to_event(Some(first.id), seminar.id, &targets)
        .await?;
    let replies = [
        InvitationReply::Accepted,
        InvitationReply::Accepted,
        InvitationReply::Accepted,
        InvitationReply::Declined,
    ];
    let invitations = store
        .list_invitations(seminar.id, patron_core::Scope::All)
        .await?;
    for (inv, reply) in invitations.iter().zip(replies) {
        store
            .change_invitation(
                Some(first.id),
                inv.id,
                InvitationChange {
                    reply: Some(reply),
                    attended: None,
                },
            )
            .await?;
    }

    // Two requests: one three days old and still unanswered (overdue), one from today.
    let voiced = customers_of(store, second, 2).await?;
    let requests = [
        (
            at(opts.today - Duration::days(3), 2),
            RequestKind::Request,
            "Asked for the new price list and delivery terms for next quarter.",
        ),
        (
            at(opts.today, 0),
            RequestKind::Criticism,
            "The last delivery came a day late; would like a fixed delivery window.",
        ),
    ];
    for (customer, (when, kind, text)) in voiced.into_iter().zip(requests) {
        // A request cannot be voiced in the future: a demo dated ahead of the clock (tests)
        // has its requests voiced now. The only clock read of this module.
        let when = when.min(Utc::now());
        store
            .create_request(
                Some(second.id),
                RequestInput {
                    customer_id: customer,
                    key_person_id: None,
                    voiced_at: Some(when),
                    kind: Some(kind),
                    text: text.into(),
                    assigned_to: None,
                },
            )
            .await?;
    }
    Ok(())
}
