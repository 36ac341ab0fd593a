//! The accounts contract on both backends: passwords, sessions, API tokens, sign-in attempts,
//! record-level scopes and the audit log.

use chrono::{Duration, Utc};
use patron_core::*;
use patron_store::testkit::TestDb;
use patron_store::*;

/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

async fn user(s: &dyn Store, email: &str, level: StaffLevel, manager: Option<UserId>) -> User {
    s.create_user(UserInput {
        email: email.into(),
        name: email.into(),
        staff_level: level,
        manager_id: manager,
    })
    .await
    .expect("user")
}

fn visit(customer_id: CustomerId, kind: InteractionKind) -> InteractionInput {
    InteractionInput {
        customer_id,
        kind,
        occurred_at: None,
        staff_id: None,
        key_person_id: None,
        outcome: None,
        notes: None,
        follow_up_on: None,
        follow_up: None,
    }
}

#[tokio::test]
async fn passwords_sessions_and_tokens() {
    each(|s| async move {
        let u = user(
            s.as_ref(),
            "Ann@Example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        assert!(s
            .verify_password("ann@example.com", "whatever12")
            .await
            .expect("v")
            .is_none());
        assert!(s.set_password(u.id, "short").await.is_err());
        s.set_password(u.id, "correct horse battery")
            .await
            .expect("set");
        let ok = s
            .verify_password("ANN@example.com", "correct horse battery")
            .await
            .expect("verify");
        assert_eq!(ok.map(|u| u.id), Some(u.id));
        assert!(s
            .verify_password("ann@example.com", "wrong password")
            .await
            .expect("v")
            .is_none());
        assert!(s
            .verify_password("nobody@example.com", "correct horse battery")
            .await
            .expect("v")
            .is_none());

        let sess = s
            .create_session(u.id, Utc::now() + Duration::hours(1))
            .await
            .expect("session");
        let got = s
            .get_session(&sess.token)
            .await
            .expect("get")
            .expect("live");
        assert_eq!(got.user.id, u.id);
        assert_eq!(got.csrf_token, sess.csrf_token);
        assert!(s.get_session("not-a-token").await.expect("get").is_none());
        let old = s
            .create_session(u.id, Utc::now() - Duration::seconds(1))
            .await
            .expect("session");
        assert!(
            s.get_session(&old.token).await.expect("get").is_none(),
            "expired"
        );
        s.delete_session(&sess.token).await.expect("delete");
        assert!(s.get_session(&sess.token).await.expect("get").is_none());
        let again = s
            .create_session(u.id, Utc::now() + Duration::hours(1))
            .await
            .expect("session");
        s.set_user_active(u.id, false).await.expect("deactivate");
        assert!(s.get_session(&again.token).await.expect("get").is_none());
        assert!(s
            .verify_password("ann@example.com", "correct horse battery")
            .await
            .expect("v")
            .is_none());
        s.set_user_active(u.id, true).await.expect("activate");

        let t = s.create_api_token(u.id, "laptop").await.expect("token");
        assert!(t.secret.starts_with("patron_"));
        assert_eq!(
            s.user_for_api_token(&t.secret)
                .await
                .expect("t")
                .map(|u| u.id),
            Some(u.id)
        );
        // The token's user is the user as stored (read in the same statement as the token).
        assert_eq!(
            s.user_for_api_token(&t.secret).await.expect("t"),
            Some(s.get_user(u.id).await.expect("get"))
        );
        // A deactivated user's token is refused, and works again once the user is back.
        s.set_user_active(u.id, false).await.expect("deactivate");
        assert!(s.user_for_api_token(&t.secret).await.expect("t").is_none());
        s.set_user_active(u.id, true).await.expect("activate");
        assert!(s.user_for_api_token(&t.secret).await.expect("t").is_some());
        let listed = s.list_api_tokens(u.id).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        let other = user(
            s.as_ref(),
            "ben@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        assert!(matches!(
            s.revoke_api_token(other.id, t.token.id).await,
            Err(StoreError::NotFound { .. })
        ));
        s.revoke_api_token(u.id, t.token.id).await.expect("revoke");
        assert!(s.user_for_api_token(&t.secret).await.expect("t").is_none());
        assert!(s.create_api_token(u.id, "  ").await.is_err());
    })
    .await;
}

#[tokio::test]
async fn login_failures_count_until_a_success() {
    each(|s| async move {
        let since = Utc::now() - Duration::minutes(15);
        for _ in 0..3 {
            s.record_login_attempt("a@example.com", "10.0.0.1", false)
                .await
                .expect("rec");
        }
        s.record_login_attempt("b@example.com", "10.0.0.1", false)
            .await
            .expect("rec");
        let f = s
            .login_failures("A@example.com", "10.0.0.1", since)
            .await
            .expect("f");
        assert_eq!((f.by_email, f.by_ip), (3, 4));
        s.record_login_attempt("a@example.com", "10.0.0.2", true)
            .await
            .expect("rec");
        let f = s
            .login_failures("a@example.com", "10.0.0.2", since)
            .await
            .expect("f");
        assert_eq!((f.by_email, f.by_ip), (0, 0));
    })
    .await;
}

#[tokio::test]
async fn scopes_filter_lists_and_single_reads() {
    each(|s| async move {
        let boss = user(
            s.as_ref(),
            "boss@example.com",
            StaffLevel::BusinessManager,
            None,
        )
        .await;
        let ann = user(
            s.as_ref(),
            "ann@example.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let ben = user(
            s.as_ref(),
            "ben@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let mk = |name: &str, owner: UserId, rm: Option<UserId>| CustomerInput {
            kind: CustomerKind::Person,
            name: name.into(),
            owner_id: Some(owner),
            relationship_manager_id: rm,
            ..Default::default()
        };
        let a = s
            .create_customer(mk("张三丰", ann.id, None))
            .await
            .expect("a");
        let b = s
            .create_customer(mk("张无忌", ben.id, None))
            .await
            .expect("b");
        let shared = s
            .create_customer(mk("张翠山", ben.id, Some(ann.id)))
            .await
            .expect("c");
        let names = |scope: Scope| {
            let s = s.clone();
            async move {
                let q = CustomerQuery {
                    q: Some("张".into()),
                    scope,
                    ..Default::default()
                };
                let mut v: Vec<String> = s
                    .list_customers(&q)
                    .await
                    .expect("list")
                    .items
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(names(Scope::All).await.len(), 3);
        assert_eq!(names(Scope::Own(ann.id)).await, vec!["张三丰", "张翠山"]);
        assert_eq!(names(Scope::Own(ben.id)).await, vec!["张无忌", "张翠山"]);
        assert_eq!(names(Scope::Team(boss.id)).await, vec!["张三丰", "张翠山"]);
        assert!(s
            .customer_in_scope(a.id, Scope::Own(ann.id))
            .await
            .expect("s"));
        assert!(!s
            .customer_in_scope(b.id, Scope::Own(ann.id))
            .await
            .expect("s"));
        assert!(s
            .customer_in_scope(shared.id, Scope::Team(boss.id))
            .await
            .expect("s"));
        assert!(!s
            .customer_in_scope(CustomerId(999_999), Scope::All)
            .await
            .expect("s"));
        // Records of other customers are filtered the same way.
        s.create_interaction(visit(b.id, InteractionKind::Visit))
            .await
            .expect("interaction");
        let q = InteractionQuery {
            scope: Scope::Own(ann.id),
            ..Default::default()
        };
        assert!(s
            .list_interactions(&q)
            .await
            .expect("list")
            .items
            .is_empty());
        let q = InteractionQuery {
            scope: Scope::Own(ben.id),
            ..Default::default()
        };
        assert_eq!(s.list_interactions(&q).await.expect("list").items.len(), 1);
    })
    .await;
}

#[tokio::test]
async fn audit_log_follows_every_record_and_cannot_be_edited() {
    each(|s| async move {
        let u = user(
            s.as_ref(),
            "gm@example.com",
            StaffLevel::GeneralManager,
            None,
        )
        .await;
        let by = Some(u.id);
        let c = s
            .create_customer_by(
                by,
                CustomerInput {
                    kind: CustomerKind::Organisation,
                    name: "ACME".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("c");
        let kp = s
            .create_key_person_by(
                by,
                c.id,
                KeyPersonInput {
                    name: "王五".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("kp");
        let mut kin = KeyPersonInput::from(kp.clone());
        kin.title = Some("经理".into());
        s.update_key_person_by(by, kp.id, kin)
            .await
            .expect("kp update");
        let i = s
            .create_interaction_by(by, visit(c.id, InteractionKind::Call))
            .await
            .expect("i");
        s.delete_interaction_by(by, i.id).await.expect("del");
        // An update that changes nothing leaves no entry.
        s.update_customer_by(by, c.id, CustomerInput::from(c.clone()))
            .await
            .expect("noop");
        let h = s.customer_history(c.id, 50).await.expect("history");
        let seen: Vec<(String, &str)> = h
            .iter()
            .map(|e| (e.entity.as_str().to_owned(), e.action.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("interaction".to_owned(), "delete"),
                ("interaction".to_owned(), "create"),
                ("key_person".to_owned(), "update"),
                ("key_person".to_owned(), "create"),
                ("customer".to_owned(), "create"),
            ]
        );
        assert!(h
            .iter()
            .all(|e| e.user_id == by && e.user_name.as_deref() == Some("gm@example.com")));
        assert_eq!(h[2].changes["title"]["after"], "经理");
        // The history outlives the customer.
        s.delete_customer_by(by, c.id).await.expect("delete");
        assert_eq!(
            s.customer_history(c.id, 50).await.expect("history").len(),
            6
        );
    })
    .await;
}

/// The append-only rule is the database's, not just the code's: UPDATE and DELETE on the audit
/// log are refused by triggers on both backends, even for a client that bypasses the store.
#[tokio::test]
async fn audit_log_triggers_refuse_update_and_delete() {
    use sqlx::Connection;
    for db in TestDb::each().await {
        let s = connect(&db.url).await.expect("connect");
        s.create_customer_by(
            None,
            CustomerInput {
                kind: CustomerKind::Person,
                name: "审计".into(),
                ..Default::default()
            },
        )
        .await
        .expect("customer");
        let statements = [
            "UPDATE audit_log SET action = 'delete'",
            "UPDATE audit_log SET changes = '{}'",
            "DELETE FROM audit_log",
        ];
        let count = match db.backend {
            Backend::Sqlite => {
                let mut c = sqlx::SqliteConnection::connect(&db.url)
                    .await
                    .expect("sqlite");
                for sql in statements {
                    let r = sqlx::query(sql).execute(&mut c).await;
                    assert!(r.is_err(), "sqlite accepted {sql}");
                }
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                n
            }
            Backend::Postgres => {
                let mut c = sqlx::PgConnection::connect(&db.url).await.expect("pg");
                for sql in statements {
                    let r = sqlx::query(sql).execute(&mut c).await;
                    assert!(r.is_err(), "postgres accepted {sql}");
                }
                let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                    .fetch_one(&mut c)
                    .await
                    .expect("count");
                n
            }
        };
        assert_eq!(count, 1, "{:?}", db.backend);
        db.cleanup().await;
    }
}
