//! Keeping in touch (METHOD §3.3) on both databases: templates rendered with placeholders (an
//! unknown one refused by name) and used as interactions; events with invitations, replies and
//! attendance that logs meetings; customers' requests as `reply_due` items on the agenda of the
//! person who must reply, overdue after exactly 24 hours, ended by a reply; and scope.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use patron_core::classify::AbcClass;
use patron_core::contact::{ContactSettings, ItemKind};
use patron_core::*;
use patron_store::contact::{self, AgendaAction};
use patron_store::touch::*;
use patron_store::*;
use std::sync::Arc;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn first_error(e: &StoreError) -> FieldError {
    match e {
        StoreError::Invalid(v) => v.first().cloned().expect("an error"),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn user(s: &Arc<dyn Store>, email: &str, level: StaffLevel, manager: Option<UserId>) -> User {
    s.create_user(UserInput {
        email: email.into(),
        name: email.split('@').next().unwrap_or(email).into(),
        staff_level: level,
        manager_id: manager,
    })
    .await
    .expect("user")
}

async fn customer(s: &Arc<dyn Store>, name: &str, owner: Option<UserId>) -> CustomerId {
    s.create_customer(CustomerInput {
        kind: CustomerKind::Organisation,
        name: name.into(),
        company: Some(format!("{name} Co.")),
        owner_id: owner,
        ..Default::default()
    })
    .await
    .expect("customer")
    .id
}

async fn key_person(s: &Arc<dyn Store>, c: CustomerId, name: &str) -> KeyPersonId {
    s.create_key_person(
        c,
        KeyPersonInput {
            name: name.into(),
            ..Default::default()
        },
    )
    .await
    .expect("key person")
    .id
}

async fn order(s: &Arc<dyn Store>, c: CustomerId, day: NaiveDate, minor: i64) {
    s.create_order(OrderInput {
        customer_id: c,
        order_ref: None,
        order_date: day,
        currency: None,
        asked_by_name: false,
        notes: None,
        lines: vec![OrderLineInput {
            product_id: None,
            product_line: Some("Tea".into()),
            quantity: 1,
            unit_price_minor: None,
            amount_minor: Some(minor),
        }],
    })
    .await
    .expect("order");
}

async fn interactions(
    s: &Arc<dyn Store>,
    c: CustomerId,
    kind: InteractionKind,
) -> Vec<Interaction> {
    s.list_interactions(&InteractionQuery {
        customer_id: Some(c),
        kind: Some(kind),
        ..Default::default()
    })
    .await
    .expect("interactions")
    .items
}

fn template(kind: TemplateKind, language: &str, body: &str) -> TemplateInput {
    TemplateInput {
        kind,
        name: format!("{} {language}", kind.as_str()),
        language: language.into(),
        subject: Some("Thank you, {customer}".into()),
        body: body.into(),
        active: true,
    }
}

#[tokio::test]
async fn templates_render_their_placeholders_and_log_interactions() {
    each(|s| async move {
        let ann = user(&s, "ann@x.com", StaffLevel::BusinessManager, None).await;
        let acme = customer(&s, "Acme", Some(ann.id)).await;
        let other = customer(&s, "Other", Some(ann.id)).await;
        let li = key_person(&s, acme, "Ms Li").await;
        let stranger = key_person(&s, other, "Mr Wong").await;

        // An unknown placeholder is refused, naming the field and the placeholder.
        let e = s
            .create_template(
                Some(ann.id),
                template(TemplateKind::Letter, "en", "Dear {custmer}"),
            )
            .await
            .expect_err("typo");
        let f = first_error(&e);
        assert_eq!(
            (f.field.as_str(), f.code.as_str()),
            ("body", "unknown_placeholder")
        );
        assert!(f.message.contains("{custmer}"), "{}", f.message);
        let e = s
            .create_template(None, template(TemplateKind::Card, "fr", "Hello"))
            .await
            .expect_err("language");
        assert_eq!(field_of(&e), "language");

        let letter = s
            .create_template(
                Some(ann.id),
                template(
                    TemplateKind::Letter,
                    "en",
                    "Dear {key_person} of {company},\nthank you. {staff}, {date} {{ref}}",
                ),
            )
            .await
            .expect("letter");
        assert!(letter.active);
        let survey = s
            .create_template(
                Some(ann.id),
                TemplateInput {
                    subject: None,
                    ..template(
                        TemplateKind::Questionnaire,
                        "zh-CN",
                        "{customer}：请评价我们的服务",
                    )
                },
            )
            .await
            .expect("questionnaire");

        let r = s
            .render_template(letter.id, acme, Some(li), Some(ann.id))
            .await
            .expect("render");
        assert_eq!(r.subject.as_deref(), Some("Thank you, Acme"));
        assert!(
            r.body
                .starts_with("Dear Ms Li of Acme Co.,\nthank you. ann, "),
            "{}",
            r.body
        );
        assert!(r.body.ends_with(" {ref}"), "{}", r.body);
        // Without a key person the letter addresses the customer.
        let r = s
            .render_template(letter.id, acme, None, None)
            .await
            .expect("render");
        assert!(r.body.starts_with("Dear Acme of Acme Co."), "{}", r.body);
        let e = s
            .render_template(letter.id, acme, Some(stranger), None)
            .await
            .expect_err("another customer's key person");
        assert_eq!(field_of(&e), "key_person_id");

        // Using a template logs an interaction of its kind with the text as notes.
        let used = s
            .use_template(ann.id, letter.id, acme, Some(li))
            .await
            .expect("use");
        let logged = interactions(&s, acme, InteractionKind::Letter).await;
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].id.0, used.interaction_id);
        assert_eq!(logged[0].staff_id, Some(ann.id));
        assert_eq!(logged[0].key_person_id, Some(li));
        assert_eq!(
            logged[0].notes.as_deref(),
            Some(used.rendered.notes().as_str())
        );
        s.use_template(ann.id, survey.id, acme, None)
            .await
            .expect("questionnaire");
        let q = interactions(&s, acme, InteractionKind::Questionnaire).await;
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].notes.as_deref(), Some("Acme：请评价我们的服务"));

        // Retired templates are not offered; editing is checked like creating.
        let mut input = template(TemplateKind::Questionnaire, "zh-CN", "{customer}");
        input.active = false;
        s.update_template(survey.id, input.clone())
            .await
            .expect("retire");
        let offered = s.list_templates(None, true).await.expect("list");
        assert_eq!(
            offered.iter().map(|t| t.id).collect::<Vec<_>>(),
            [letter.id]
        );
        assert_eq!(s.list_templates(None, false).await.expect("all").len(), 2);
        input.body = "{oops".into();
        let e = s
            .update_template(survey.id, input)
            .await
            .expect_err("unclosed");
        assert_eq!(first_error(&e).code, "unclosed_placeholder");
        s.delete_template(survey.id).await.expect("delete");
        assert!(matches!(
            s.get_template(survey.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn events_invitations_replies_and_attendance() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative, None).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let big = customer(&s, "Big", Some(rep.id)).await;
        let small = customer(&s, "Small", Some(rep.id)).await;
        let theirs = customer(&s, "Theirs", Some(other.id)).await;
        for c in 0..4 {
            let filler = customer(&s, &format!("Filler {c}"), Some(rep.id)).await;
            order(&s, filler, today - Duration::days(30), 1_000).await;
        }
        order(&s, big, today - Duration::days(20), 5_000_000).await;
        order(&s, theirs, today - Duration::days(20), 5_000_000).await;
        order(&s, small, today - Duration::days(20), 2_000).await;
        classes::run_classification(s.as_ref(), Some(today))
            .await
            .expect("classify");
        let boss = key_person(&s, small, "Mrs Park").await;

        // Validation names the field.
        let starts = Utc::now() + Duration::days(10);
        let seminar = EventInput {
            kind: EventKind::Seminar,
            title: "Spring product seminar".into(),
            starts_at: starts,
            ends_at: Some(starts + Duration::hours(3)),
            place: Some("Head office".into()),
            description: None,
        };
        let e = s
            .create_event(
                None,
                EventInput {
                    ends_at: Some(starts - Duration::hours(1)),
                    ..seminar.clone()
                },
            )
            .await
            .expect_err("ends before it starts");
        assert_eq!(field_of(&e), "ends_at");
        let e = s
            .create_event(
                None,
                EventInput {
                    title: " ".into(),
                    ..seminar.clone()
                },
            )
            .await
            .expect_err("title");
        assert_eq!(field_of(&e), "title");

        let ev = s.create_event(Some(rep.id), seminar).await.expect("event");
        let past = s
            .create_event(
                Some(rep.id),
                EventInput {
                    kind: EventKind::Meeting,
                    title: "Last year's meeting".into(),
                    starts_at: Utc::now() - Duration::days(300),
                    ends_at: None,
                    place: None,
                    description: None,
                },
            )
            .await
            .expect("past");
        let upcoming = s
            .list_events(Scope::All, Some(Utc::now()))
            .await
            .expect("upcoming");
        assert_eq!(upcoming.iter().map(|e| e.id).collect::<Vec<_>>(), [ev.id]);
        assert_eq!(s.list_events(Scope::All, None).await.expect("all").len(), 2);

        // Bulk: every A-class customer the representative may see — Big, not Theirs.
        let rep_scope = Scope::of(&rep);
        let rep1 = s
            .invite_class_to_event(Some(rep.id), ev.id, rep_scope, AbcClass::A)
            .await
            .expect("invite A");
        assert_eq!((rep1.invited, rep1.already), (1, 0));
        let again = s
            .invite_class_to_event(Some(rep.id), ev.id, rep_scope, AbcClass::A)
            .await
            .expect("again");
        assert_eq!((again.invited, again.already), (0, 1));
        // One by one, a customer and one of its key persons; twice counts as already invited.
        let targets = [(small, None), (small, Some(boss))];
        let r = s
            .invite_to_event(Some(rep.id), ev.id, &targets)
            .await
            .expect("invite");
        assert_eq!((r.invited, r.already), (2, 0));
        let r = s
            .invite_to_event(Some(rep.id), ev.id, &targets)
            .await
            .expect("invite again");
        assert_eq!((r.invited, r.already), (0, 2));
        let e = s
            .invite_to_event(None, ev.id, &[(small, None), (CustomerId(999_999), None)])
            .await
            .expect_err("unknown customer");
        assert_eq!(field_of(&e), "customer_ids[1]");
        s.invite_to_event(Some(other.id), ev.id, &[(theirs, None)])
            .await
            .expect("other rep invites theirs");

        // Each representative sees their own customers' invitations and counts.
        let mine = s.list_invitations(ev.id, rep_scope).await.expect("mine");
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().all(|i| i.customer_id != theirs));
        assert_eq!(s.get_event(ev.id, rep_scope).await.expect("ev").invited, 3);
        assert_eq!(s.get_event(ev.id, Scope::All).await.expect("ev").invited, 4);

        // Replies and attendance.
        let kp_inv = mine
            .iter()
            .find(|i| i.key_person_id == Some(boss))
            .expect("key person's invitation");
        assert_eq!(kp_inv.key_person_name.as_deref(), Some("Mrs Park"));
        let accepted = s
            .change_invitation(
                Some(rep.id),
                kp_inv.id,
                InvitationChange {
                    reply: Some(InvitationReply::Accepted),
                    attended: None,
                },
            )
            .await
            .expect("accept");
        assert_eq!(accepted.reply, InvitationReply::Accepted);
        assert!(accepted.replied_at.is_some());
        let attended = s
            .change_invitation(
                Some(rep.id),
                kp_inv.id,
                InvitationChange {
                    reply: None,
                    attended: Some(true),
                },
            )
            .await
            .expect("attended");
        assert_eq!(attended.attended, Some(true));
        let meetings = interactions(&s, small, InteractionKind::Meeting).await;
        assert_eq!(meetings.len(), 1, "attending logs one meeting");
        assert_eq!(Some(meetings[0].id.0), attended.interaction_id);
        assert_eq!(meetings[0].key_person_id, Some(boss));
        assert!(meetings[0]
            .notes
            .as_deref()
            .is_some_and(|n| n.contains("Spring product seminar")));
        // Marked again: still one meeting.
        s.change_invitation(
            Some(rep.id),
            kp_inv.id,
            InvitationChange {
                reply: None,
                attended: Some(true),
            },
        )
        .await
        .expect("attended again");
        assert_eq!(
            interactions(&s, small, InteractionKind::Meeting)
                .await
                .len(),
            1
        );
        let big_inv = mine.iter().find(|i| i.customer_id == big).expect("big");
        s.change_invitation(
            Some(rep.id),
            big_inv.id,
            InvitationChange {
                reply: Some(InvitationReply::Declined),
                attended: Some(true),
            },
        )
        .await
        .expect("declined but came");
        let counted = s.get_event(ev.id, Scope::All).await.expect("counts");
        assert_eq!(
            (counted.accepted, counted.declined, counted.attended),
            (1, 1, 2)
        );
        // Taken back: the meeting goes again.
        let back = s
            .change_invitation(
                Some(rep.id),
                kp_inv.id,
                InvitationChange {
                    reply: None,
                    attended: Some(false),
                },
            )
            .await
            .expect("did not come after all");
        assert_eq!((back.attended, back.interaction_id), (Some(false), None));
        assert!(interactions(&s, small, InteractionKind::Meeting)
            .await
            .is_empty());
        assert_eq!(
            interactions(&s, big, InteractionKind::Meeting).await.len(),
            1
        );

        // Deleting the event removes its invitations, not the meetings logged.
        s.delete_event(ev.id).await.expect("delete");
        assert!(matches!(
            s.get_invitation(big_inv.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            interactions(&s, big, InteractionKind::Meeting).await.len(),
            1
        );
        s.delete_event(past.id).await.expect("delete past");
    })
    .await;
}

/// A wall-clock time in Asia/Shanghai (UTC+8 all year, no daylight saving).
fn shanghai(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("time")
        - Duration::hours(8)
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

#[tokio::test]
async fn requests_are_due_within_24_hours_on_the_agenda_of_who_must_reply() {
    each(|s| async move {
        contact::save_settings(
            s.as_ref(),
            &ContactSettings {
                time_zone: "Asia/Shanghai".into(),
                ..Default::default()
            },
        )
        .await
        .expect("settings");
        let boss = user(&s, "boss@x.com", StaffLevel::BusinessManager, None).await;
        let rep = user(
            &s,
            "rep@x.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let rm = user(&s, "rm@x.com", StaffLevel::SalesRepresentative, None).await;
        let other = user(&s, "other@x.com", StaffLevel::SalesRepresentative, None).await;
        let acme = customer(&s, "Acme", Some(rep.id)).await;
        let li = key_person(&s, acme, "Ms Li").await;
        let managed = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "Managed".into(),
                owner_id: Some(rep.id),
                relationship_manager_id: Some(rm.id),
                ..Default::default()
            })
            .await
            .expect("managed")
            .id;

        // Voiced at 23:30 on 5 March, shop time: due by 23:30 on the 6th.
        let voiced = shanghai(2026, 3, 5, 23, 30);
        let input = |c: CustomerId, text: &str| RequestInput {
            customer_id: c,
            key_person_id: None,
            voiced_at: Some(voiced),
            kind: Some(RequestKind::Request),
            text: text.into(),
            assigned_to: None,
        };
        let req = s
            .create_request(
                Some(other.id),
                RequestInput {
                    key_person_id: Some(li),
                    ..input(acme, "Please send the new price list")
                },
            )
            .await
            .expect("request");
        // Whoever takes it down, the owner must reply; a relationship manager comes first.
        assert_eq!(req.assigned_to, Some(rep.id));
        assert_eq!(req.received_by, Some(other.id));
        assert_eq!(req.key_person_name.as_deref(), Some("Ms Li"));
        assert_eq!(req.reply_due_at, voiced + Duration::hours(24));
        let to_rm = s
            .create_request(None, input(managed, "Praise for the fitter"))
            .await
            .expect("rm");
        assert_eq!(to_rm.assigned_to, Some(rm.id));

        // Invalid input names the field.
        let e = s
            .create_request(None, input(acme, "  "))
            .await
            .expect_err("text");
        assert_eq!(field_of(&e), "text");
        let e = s
            .create_request(
                None,
                RequestInput {
                    voiced_at: Some(Utc::now() + Duration::hours(2)),
                    ..input(acme, "x")
                },
            )
            .await
            .expect_err("future");
        assert_eq!(field_of(&e), "voiced_at");
        let e = s
            .create_request(
                None,
                RequestInput {
                    assigned_to: Some(other.id),
                    ..input(acme, "x")
                },
            )
            .await
            .expect_err("cannot see the customer");
        assert_eq!(first_error(&e).code, "outside_scope");
        assert_eq!(field_of(&e), "assigned_to");
        let e = s
            .create_request(None, input(CustomerId(999_999), "x"))
            .await
            .expect_err("customer");
        assert_eq!(field_of(&e), "customer_id");

        // The agenda: due on the 6th (shop time); in the week on the 5th, today on the 6th,
        // overdue on the 7th — for the representative who must reply, nobody else.
        let key = format!("reply_due:{}", req.id);
        for (day, section) in [
            (d(2026, 3, 5), "week"),
            (d(2026, 3, 6), "today"),
            (d(2026, 3, 7), "overdue"),
        ] {
            let a = contact::agenda(s.as_ref(), &rep, Some(day))
                .await
                .expect("agenda");
            let item = a
                .items
                .iter()
                .find(|i| i.key == key)
                .unwrap_or_else(|| panic!("{key} on {day}"));
            assert_eq!(item.kind, ItemKind::ReplyDue);
            assert_eq!(item.due, d(2026, 3, 6));
            assert_eq!(item.section, section, "on {day}");
            assert!(item.reason.contains("24 hours"), "{}", item.reason);
        }
        for u in [&boss, &rm, &other] {
            let a = contact::agenda(s.as_ref(), u, Some(d(2026, 3, 6)))
                .await
                .expect("agenda");
            assert!(a.items.iter().all(|i| i.key != key), "{}", u.name);
        }

        // The list flags it overdue from the exact 24 hours on.
        let list = |as_of: DateTime<Utc>, scope: Scope, overdue: bool| RequestQuery {
            scope,
            overdue,
            as_of: Some(as_of),
            ..Default::default()
        };
        let at_24 = s
            .list_requests(&list(voiced + Duration::hours(24), Scope::All, false))
            .await
            .expect("list");
        assert!(at_24.iter().all(|r| !r.overdue));
        let later = voiced + Duration::hours(24) + Duration::seconds(1);
        let after = s
            .list_requests(&list(later, Scope::All, false))
            .await
            .expect("list");
        assert!(after.iter().all(|r| r.overdue));
        assert_eq!(
            s.list_requests(&list(voiced + Duration::hours(23), Scope::All, true))
                .await
                .expect("none overdue")
                .len(),
            0
        );
        assert_eq!(
            s.list_requests(&list(later, Scope::All, true))
                .await
                .expect("overdue")
                .len(),
            2
        );
        // Scope: the representative and their manager see Acme's; another representative none.
        let of = |u: &User| list(later, Scope::of(u), false);
        assert_eq!(s.list_requests(&of(&rep)).await.expect("rep").len(), 2);
        assert_eq!(s.list_requests(&of(&boss)).await.expect("boss").len(), 2);
        assert!(s
            .list_requests(&of(&other))
            .await
            .expect("other")
            .is_empty());

        // A reply on the request page logs the interaction and ends the agenda item.
        let e = s
            .reply_request(
                rep.id,
                req.id,
                ReplyInput {
                    text: " ".into(),
                    kind: None,
                },
            )
            .await
            .expect_err("empty reply");
        assert_eq!(field_of(&e), "text");
        let done = s
            .reply_request(
                rep.id,
                req.id,
                ReplyInput {
                    text: "Sent it by e-mail".into(),
                    kind: Some(InteractionKind::Letter),
                },
            )
            .await
            .expect("reply");
        assert!(done.replied_at.is_some() && !done.overdue);
        assert!(done.replied_late, "replied long after the 24 hours");
        assert_eq!(done.replied_by, Some(rep.id));
        let letters = interactions(&s, acme, InteractionKind::Letter).await;
        assert_eq!(letters.len(), 1);
        assert_eq!(Some(letters[0].id.0), done.interaction_id);
        assert_eq!(letters[0].key_person_id, Some(li));
        let a = contact::agenda(s.as_ref(), &rep, Some(d(2026, 3, 7)))
            .await
            .expect("agenda");
        assert!(a.items.iter().all(|i| i.key != key));
        assert!(matches!(
            s.reply_request(
                rep.id,
                req.id,
                ReplyInput {
                    text: "again".into(),
                    kind: None
                }
            )
            .await,
            Err(StoreError::Conflict { .. })
        ));
        // Unreplied first in the list.
        let all = s
            .list_requests(&list(later, Scope::All, false))
            .await
            .expect("list");
        assert_eq!(
            all.iter().map(|r| r.id).collect::<Vec<_>>(),
            [to_rm.id, req.id]
        );

        // "Done" on the agenda records the reply too.
        let acted = contact::act(
            s.as_ref(),
            &rm,
            &format!("reply_due:{}", to_rm.id),
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: Some("Thanked them by phone".into()),
            },
        )
        .await
        .expect("done");
        let r = s.get_request(to_rm.id).await.expect("request");
        assert_eq!(r.reply.as_deref(), Some("Thanked them by phone"));
        assert_eq!(r.replied_by, Some(rm.id));
        assert_eq!(r.interaction_id, acted.interaction_id);
        assert!(s
            .list_requests(&RequestQuery {
                open: true,
                ..Default::default()
            })
            .await
            .expect("open")
            .is_empty());
        // Another representative cannot close someone else's item.
        let third = s
            .create_request(None, input(acme, "Another"))
            .await
            .expect("third");
        let e = contact::act(
            s.as_ref(),
            &other,
            &format!("reply_due:{}", third.id),
            AgendaAction::Done {
                kind: None,
                outcome: None,
                notes: None,
            },
        )
        .await
        .expect_err("out of scope");
        assert!(matches!(e, StoreError::NotFound { .. }), "{e:?}");

        // Merging customers keeps the requests.
        let dup = customer(&s, "Acme (dup)", Some(rep.id)).await;
        let moved = s
            .create_request(None, input(dup, "On the duplicate"))
            .await
            .expect("dup");
        s.merge_customers(acme, dup).await.expect("merge");
        assert_eq!(
            s.get_request(moved.id).await.expect("kept").customer_id,
            acme
        );
    })
    .await;
}
