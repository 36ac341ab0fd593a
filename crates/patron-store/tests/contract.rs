//! The store contract: every test body runs against SQLite and PostgreSQL (when
//! PATRON_TEST_DATABASE_URL is set; always in CI), so both backends are held to one behaviour.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use patron_core::*;
use patron_store::import::*;
use patron_store::*;
use std::sync::Arc;

/// Runs `body` once per backend on a fresh database.
/// Each backend in turn (see [`patron_store::testkit::each_store`]).
use patron_store::testkit::each_store as each;

fn person(name: &str) -> CustomerInput {
    CustomerInput {
        kind: CustomerKind::Person,
        name: name.into(),
        ..Default::default()
    }
}

fn field_of(e: &StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.first().map(|f| f.field.clone()).unwrap_or_default(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

async fn user(s: &Arc<dyn Store>, email: &str, level: StaffLevel) -> User {
    s.create_user(UserInput {
        email: email.into(),
        name: email.split('@').next().unwrap_or("x").into(),
        staff_level: level,
        manager_id: None,
    })
    .await
    .expect("user")
}

#[tokio::test]
async fn customer_crud_round_trips_every_field() {
    each(|s| async move {
        let owner = user(&s, "rep@x.com", StaffLevel::SalesRepresentative).await;
        s.define_custom_field(CustomFieldDef {
            key: "size".into(),
            label: "Shop size".into(),
            field_type: CustomFieldType::Number,
            choices: vec![],
        })
        .await
        .expect("field");
        let input = CustomerInput {
            external_ref: Some("C-1".into()),
            kind: CustomerKind::Organisation,
            name: "北京华联商厦".into(),
            company: Some("北京华联商厦股份有限公司".into()),
            address: Some("北京市西城区 1号".into()),
            phone: Some("+86 10-6601-8888".into()),
            fax: Some("010-66018889".into()),
            email: Some("buy@hualian.example.cn".into()),
            level: Some("VIP".into()),
            source: Some("trade fair".into()),
            stage: Some(LifecycleStage::Customer),
            owner_id: Some(owner.id),
            tags: vec!["wholesale".into(), "north".into()],
            custom: [("size".to_string(), "1,200".to_string())].into(),
            notes: Some("prefers morning deliveries".into()),
            background: Some(Background {
                financial_strength: Some("strong".into()),
                buying_values: Some("quality".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let c = s.create_customer(input).await.expect("create");
        assert!(c.id.0 > 0);
        assert_eq!(c.custom.get("size").map(String::as_str), Some("1200"));
        let got = s.get_customer(c.id).await.expect("get");
        assert_eq!(got, c);
        assert_eq!(got.tags, vec!["north".to_string(), "wholesale".to_string()]);
        assert_eq!(
            got.background
                .as_ref()
                .and_then(|b| b.financial_strength.clone())
                .as_deref(),
            Some("strong")
        );
        // Update: move to lost (needs a reason), drop the fax.
        let mut upd = CustomerInput::from(got.clone());
        upd.stage = Some(LifecycleStage::Lost);
        upd.churn_reason = Some("better_product".into());
        upd.fax = None;
        let u = s.update_customer(c.id, upd).await.expect("update");
        assert_eq!(u.stage, LifecycleStage::Lost);
        assert_eq!(u.fax, None);
        assert!(u.updated_at >= c.updated_at);
        assert_eq!(u.created_at, c.created_at);
        s.delete_customer(c.id).await.expect("delete");
        assert!(matches!(
            s.get_customer(c.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.delete_customer(c.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn invalid_customers_are_refused_naming_the_field() {
    each(|s| async move {
        let mut bad = person("A");
        bad.email = Some("not-an-email".into());
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("email")),
            "email"
        );
        let mut bad = person("A");
        bad.phone = Some("call me".into());
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("phone")),
            "phone"
        );
        let mut bad = person("A");
        bad.stage = Some(LifecycleStage::Lost);
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("reason")),
            "churn_reason"
        );
        let mut bad = person("A");
        bad.stage = Some(LifecycleStage::Lost);
        bad.churn_reason = Some("aliens".into());
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("reason code")),
            "churn_reason"
        );
        let mut bad = person("A");
        bad.owner_id = Some(UserId(999));
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("owner")),
            "owner_id"
        );
        let mut bad = person("A");
        bad.custom.insert("nope".into(), "1".into());
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("custom")),
            "custom.nope"
        );
        let mut bad = person("A");
        bad.birth_date = NaiveDate::from_ymd_opt(2999, 1, 1);
        assert_eq!(
            field_of(&s.create_customer(bad).await.expect_err("birth")),
            "birth_date"
        );
        assert_eq!(
            field_of(&s.create_customer(person(" ")).await.expect_err("name")),
            "name"
        );
        let mut dup = person("B");
        dup.external_ref = Some("R1".into());
        s.create_customer(dup.clone()).await.expect("first");
        match s.create_customer(dup).await {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field.as_deref(), Some("ref")),
            other => panic!("expected conflict, got {other:?}"),
        }
        assert_eq!(s.count_customers().await.expect("count"), 1);
    })
    .await;
}

#[tokio::test]
async fn search_finds_cjk_substrings_phones_and_emails() {
    each(|s| async move {
        for (name, phone, email) in [
            ("张三丰", Some("+86 138-0013-8000"), None),
            ("张三", None, None),
            ("李四", None, Some("lisi@example.cn")),
            ("김민준", Some("010-1234-5678"), None),
            ("김민지", None, None),
            ("王小明", None, None),
            ("Acme Trading Ltd", None, Some("Sales@Acme.example")),
            ("陳大文", None, None),
        ] {
            let mut c = person(name);
            c.phone = phone.map(Into::into);
            c.email = email.map(Into::into);
            s.create_customer(c).await.expect("create");
        }
        let names = |q: &str| {
            let s = s.clone();
            let q = q.to_owned();
            async move {
                let mut v: Vec<String> = s
                    .list_customers(&CustomerQuery {
                        q: Some(q),
                        ..Default::default()
                    })
                    .await
                    .expect("search")
                    .items
                    .into_iter()
                    .map(|c| c.name)
                    .collect();
                v.sort();
                v
            }
        };
        assert_eq!(names("张三").await, vec!["张三", "张三丰"]);
        assert_eq!(names("三丰").await, vec!["张三丰"]);
        assert_eq!(names("张三丰").await, vec!["张三丰"]);
        assert_eq!(names("김민").await, vec!["김민준", "김민지"]);
        assert_eq!(names("김민준").await, vec!["김민준"]);
        assert_eq!(names("민").await, vec!["김민준", "김민지"]);
        assert_eq!(names("acme").await, vec!["Acme Trading Ltd"]);
        assert_eq!(names("TRADING").await, vec!["Acme Trading Ltd"]);
        assert_eq!(names("sales@acme").await, vec!["Acme Trading Ltd"]);
        assert_eq!(names("1380013").await, vec!["张三丰"]);
        assert_eq!(names("138-0013").await, vec!["张三丰"]);
        assert_eq!(names("1234-5678").await, vec!["김민준"]);
        assert_eq!(names("lisi").await, vec!["李四"]);
        assert!(names("nobody").await.is_empty());
        assert!(
            names("%").await.is_empty(),
            "LIKE wildcards match literally"
        );
        assert!(names("_").await.is_empty());
        assert_eq!(names("\"").await, Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn keyset_pagination_is_complete_and_identical_on_both_backends() {
    each(|s| async move {
        let names = ["b", "A", "a", "张", "김", "Z", "b", "ä", "1", "張"];
        let mut ids = Vec::new();
        for i in 0..37 {
            let c = s
                .create_customer(person(&format!("{}{}", names[i % names.len()], i % 3)))
                .await
                .expect("create");
            ids.push((c.name.clone(), c.id.0));
        }
        for (sort, desc) in [
            (CustomerSort::Id, false),
            (CustomerSort::Id, true),
            (CustomerSort::Name, false),
            (CustomerSort::Name, true),
            (CustomerSort::Created, false),
        ] {
            let mut cursor = None;
            let mut got = Vec::new();
            loop {
                let page = s
                    .list_customers(&CustomerQuery {
                        sort,
                        desc,
                        cursor: cursor.clone(),
                        limit: Some(10),
                        ..Default::default()
                    })
                    .await
                    .expect("page");
                assert!(page.items.len() <= 10);
                got.extend(page.items.iter().map(|c| (c.name.clone(), c.id.0)));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            let mut want = ids.clone();
            match sort {
                CustomerSort::Name => {
                    want.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)))
                }
                _ => want.sort_by_key(|x| x.1),
            }
            if desc {
                want.reverse();
            }
            assert_eq!(got, want, "{sort:?} desc={desc}");
        }
        let bad = s
            .list_customers(&CustomerQuery {
                cursor: Some("garbage".into()),
                ..Default::default()
            })
            .await;
        assert_eq!(field_of(&bad.expect_err("cursor")), "cursor");
    })
    .await;
}

#[tokio::test]
async fn filters_by_stage_owner_tag_and_kind() {
    each(|s| async move {
        let rep = user(&s, "rep@x.com", StaffLevel::SalesRepresentative).await;
        let mut a = person("A");
        a.owner_id = Some(rep.id);
        a.tags = vec!["vip".into()];
        let a = s.create_customer(a).await.expect("a");
        let mut b = person("B");
        b.stage = Some(LifecycleStage::Interested);
        s.create_customer(b).await.expect("b");
        let o = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: "Org".into(),
                ..Default::default()
            })
            .await
            .expect("o");
        let q = |q: CustomerQuery| {
            let s = s.clone();
            async move {
                s.list_customers(&q)
                    .await
                    .expect("list")
                    .items
                    .into_iter()
                    .map(|c| c.name)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(
            q(CustomerQuery {
                owner_id: Some(rep.id),
                ..Default::default()
            })
            .await,
            vec!["A"]
        );
        assert_eq!(
            q(CustomerQuery {
                tag: Some("vip".into()),
                ..Default::default()
            })
            .await,
            vec!["A"]
        );
        assert_eq!(
            q(CustomerQuery {
                stage: Some(LifecycleStage::Interested),
                ..Default::default()
            })
            .await,
            vec!["B"]
        );
        assert_eq!(
            q(CustomerQuery {
                kind: Some(CustomerKind::Organisation),
                ..Default::default()
            })
            .await,
            vec!["Org"]
        );
        assert_eq!(
            q(CustomerQuery {
                stage: Some(LifecycleStage::Customer),
                q: Some("a".into()),
                ..Default::default()
            })
            .await,
            vec!["A"]
        );
        let _ = (a, o);
    })
    .await;
}

#[tokio::test]
async fn overview_shows_key_persons_interactions_orders_and_warnings() {
    each(|s| async move {
        let org = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Organisation,
                name: "한빛상사".into(),
                phone: Some("02-555-0100".into()),
                ..Default::default()
            })
            .await
            .expect("org");
        let kp = s
            .create_key_person(
                org.id,
                KeyPersonInput {
                    name: "박지성".into(),
                    title: Some("구매부장".into()),
                    birthday: NaiveDate::from_ymd_opt(1981, 2, 25),
                    hobbies: Some("등산".into()),
                    ..Default::default()
                },
            )
            .await
            .expect("kp");
        s.create_key_person(
            org.id,
            KeyPersonInput {
                name: "이영희".into(),
                ..Default::default()
            },
        )
        .await
        .expect("kp2");
        let now = Utc::now();
        for i in 0..12 {
            s.create_interaction(InteractionInput {
                customer_id: org.id,
                kind: if i % 2 == 0 {
                    InteractionKind::Visit
                } else {
                    InteractionKind::Call
                },
                occurred_at: Some(now - Duration::days(i)),
                staff_id: None,
                key_person_id: Some(kp.id),
                outcome: Some(format!("contact {i}")),
                notes: None,
                follow_up_on: None,
                follow_up: None,
            })
            .await
            .expect("interaction");
        }
        let today = now.date_naive();
        for (days, amount) in [(10, 5000), (100, 7000), (500, 9000)] {
            one_line_order(&s, org.id, today - Duration::days(days), None, amount).await;
        }
        let ov = s.customer_overview(org.id).await.expect("overview");
        assert_eq!(ov.customer.id, org.id);
        assert_eq!(ov.key_persons.len(), 2);
        assert_eq!(ov.recent_interactions.len(), 10);
        assert_eq!(
            ov.recent_interactions[0].outcome.as_deref(),
            Some("contact 0")
        );
        assert!(ov
            .recent_interactions
            .windows(2)
            .all(|w| w[0].occurred_at >= w[1].occurred_at));
        assert_eq!(ov.orders.count, 3);
        assert_eq!(
            ov.orders.first_order_date,
            Some(today - Duration::days(500))
        );
        assert_eq!(ov.orders.last_order_date, Some(today - Duration::days(10)));
        assert_eq!(ov.orders.revenue_12m.len(), 1);
        assert_eq!(ov.orders.revenue_12m[0].amount_minor, 12000);
        assert_eq!(ov.orders.revenue_total[0].amount_minor, 21000);
        // A second currency: its old order counts in the total and the dates, not in the last
        // twelve months; amounts are never added across currencies.
        let eur = Currency::parse("c", "EUR").expect("eur");
        for (days, amount) in [(600, 40_000), (400, 1000)] {
            let day = today - Duration::days(days);
            one_line_order(&s, org.id, day, Some(eur.clone()), amount).await;
        }
        let ov = s.customer_overview(org.id).await.expect("overview");
        assert_eq!(ov.orders.count, 5);
        assert_eq!(
            ov.orders.first_order_date,
            Some(today - Duration::days(600))
        );
        assert_eq!(ov.orders.last_order_date, Some(today - Duration::days(10)));
        assert_eq!(ov.orders.revenue_12m.len(), 1);
        assert_eq!(ov.orders.revenue_12m[0].amount_minor, 12000);
        let totals: Vec<(i64, &str)> = ov
            .orders
            .revenue_total
            .iter()
            .map(|m| (m.amount_minor, m.currency.as_str()))
            .collect();
        assert_eq!(totals, vec![(41_000, "EUR"), (21_000, "USD")]);
        let codes: Vec<_> = ov.warnings.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(codes, vec!["few_key_persons", "missing_email"]);
        // A key person of another customer cannot be named on an interaction.
        let other = s.create_customer(person("X")).await.expect("x");
        let e = s
            .create_interaction(InteractionInput {
                customer_id: other.id,
                kind: InteractionKind::Call,
                occurred_at: None,
                staff_id: None,
                key_person_id: Some(kp.id),
                outcome: None,
                notes: None,
                follow_up_on: None,
                follow_up: None,
            })
            .await
            .expect_err("foreign key person");
        assert_eq!(field_of(&e), "key_person_id");
        assert!(matches!(
            s.customer_overview(CustomerId(424242)).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn orders_validate_lines_and_page_newest_first() {
    each(|s| async move {
        let c = s.create_customer(person("Buyer")).await.expect("c");
        let p = s
            .create_product(ProductInput {
                external_ref: Some("P1".into()),
                name: "Espresso beans".into(),
                product_line: Some("Coffee".into()),
                unit_price_minor: Some(1250),
                ..Default::default()
            })
            .await
            .expect("p");
        let o = s
            .create_order(OrderInput {
                customer_id: c.id,
                order_ref: Some("SO-1".into()),
                order_date: NaiveDate::from_ymd_opt(2025, 3, 1).expect("d"),
                asked_by_name: true,
                lines: vec![
                    OrderLineInput {
                        product_id: Some(p.id),
                        quantity: 2,
                        unit_price_minor: Some(1250),
                        ..Default::default()
                    },
                    OrderLineInput {
                        product_line: Some("Service".into()),
                        quantity: 1,
                        amount_minor: Some(999_999_999_999),
                        ..Default::default()
                    },
                ],
                ..Default::default()
            })
            .await
            .expect("order");
        assert_eq!(o.total_minor, 2500 + 999_999_999_999);
        assert_eq!(
            o.lines[0].product_line.as_deref(),
            Some("Coffee"),
            "line inherits the product's line"
        );
        assert!(o.asked_by_name);
        assert_eq!(s.get_order(o.id).await.expect("get"), o);
        let e = s
            .create_order(OrderInput {
                customer_id: c.id,
                order_date: NaiveDate::from_ymd_opt(2025, 3, 1).expect("d"),
                lines: vec![OrderLineInput {
                    quantity: -2,
                    amount_minor: Some(5),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect_err("negative");
        assert_eq!(field_of(&e), "lines[0].quantity");
        let e = s
            .create_order(OrderInput {
                customer_id: CustomerId(777),
                order_date: NaiveDate::from_ymd_opt(2025, 3, 1).expect("d"),
                lines: vec![OrderLineInput {
                    quantity: 1,
                    amount_minor: Some(5),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect_err("customer");
        assert_eq!(field_of(&e), "customer_id");
        let e = s
            .create_order(OrderInput {
                customer_id: c.id,
                order_date: NaiveDate::from_ymd_opt(2025, 3, 1).expect("d"),
                lines: vec![OrderLineInput {
                    product_id: Some(ProductId(555)),
                    quantity: 1,
                    amount_minor: Some(5),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect_err("product");
        assert_eq!(field_of(&e), "lines[0].product_id");
        for d in 1..=7 {
            s.create_order(OrderInput {
                customer_id: c.id,
                order_date: NaiveDate::from_ymd_opt(2024, 1, d).expect("d"),
                lines: vec![OrderLineInput {
                    quantity: 1,
                    amount_minor: Some(100),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("o");
        }
        let mut dates = Vec::new();
        let mut cursor = None;
        loop {
            let page = s
                .list_orders(&OrderQuery {
                    customer_id: Some(c.id),
                    cursor: cursor.clone(),
                    limit: Some(3),
                    ..Default::default()
                })
                .await
                .expect("list");
            dates.extend(page.items.iter().map(|o| o.order_date));
            match page.next_cursor {
                Some(x) => cursor = Some(x),
                None => break,
            }
        }
        assert_eq!(dates.len(), 8);
        assert!(dates.windows(2).all(|w| w[0] >= w[1]));
        // Deleting the customer removes its orders (cascade on both backends).
        s.delete_customer(c.id).await.expect("delete");
        assert!(matches!(
            s.get_order(o.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

fn order_rec(
    line: u64,
    cref: &str,
    oref: Option<&str>,
    date: (i32, u32, u32),
    qty: i64,
    amount: i64,
) -> OrderRecord {
    OrderRecord {
        line,
        customer_ref: cref.into(),
        order_ref: oref.map(Into::into),
        date: NaiveDate::from_ymd_opt(date.0, date.1, date.2).expect("date"),
        product_ref: None,
        product_line: None,
        quantity: qty,
        unit_price_minor: None,
        amount_minor: amount,
        currency: Currency::default(),
        asked_by_name: false,
    }
}

#[tokio::test]
async fn importing_orders_twice_never_doubles_them() {
    each(|s| async move {
        // Two identical rows are two purchases; a multi-line numbered order; a product reference.
        let mut rows = vec![
            order_rec(1, "00004", None, (1997, 1, 1), 2, 2933),
            order_rec(2, "00004", None, (1997, 1, 1), 2, 2933),
            order_rec(3, "00021", None, (1997, 1, 1), 3, 6334),
            order_rec(4, "00021", Some("SO-9"), (1997, 2, 1), 1, 1000),
            order_rec(5, "00021", Some("SO-9"), (1997, 2, 1), 1, 500),
        ];
        rows[4].product_ref = Some("CD-1".into());
        rows[4].product_line = Some("Music".into());
        let o = s
            .apply_import(ImportBatch::Orders(rows.clone()), ApplyOptions::default())
            .await
            .expect("import");
        assert_eq!(
            (o.created, o.updated, o.unchanged, o.rejected.len()),
            (4, 0, 0, 0)
        );
        assert_eq!(s.count_customers().await.expect("n"), 2);
        let again = s
            .apply_import(ImportBatch::Orders(rows.clone()), ApplyOptions::default())
            .await
            .expect("again");
        assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 4));
        // A third identical row appended is a new purchase; a changed numbered order is an update.
        let mut more = rows.clone();
        more.push(order_rec(6, "00004", None, (1997, 1, 1), 2, 2933));
        more[4].amount_minor = 700;
        let third = s
            .apply_import(ImportBatch::Orders(more), ApplyOptions::default())
            .await
            .expect("third");
        assert_eq!((third.created, third.updated, third.unchanged), (1, 1, 3));
        let c21 = s
            .list_customers(&CustomerQuery {
                q: Some("00021".into()),
                ..Default::default()
            })
            .await
            .expect("c")
            .items;
        assert_eq!(c21.len(), 1);
        let orders = s
            .list_orders(&OrderQuery {
                customer_id: Some(c21[0].id),
                ..Default::default()
            })
            .await
            .expect("o")
            .items;
        let so9 = orders
            .iter()
            .find(|o| o.order_ref.as_deref() == Some("SO-9"))
            .expect("so9");
        assert_eq!(so9.lines.len(), 2);
        assert_eq!(so9.total_minor, 1700);
        assert!(so9.lines[1].product_id.is_some());
        // Dry run counts but writes nothing.
        let dry = s
            .apply_import(
                ImportBatch::Orders(vec![order_rec(1, "NEW", None, (2000, 1, 1), 1, 1)]),
                ApplyOptions {
                    dry_run: true,
                    ..Default::default()
                },
            )
            .await
            .expect("dry");
        assert_eq!(dry.created, 1);
        assert_eq!(s.count_customers().await.expect("n"), 2);
    })
    .await;
}

#[tokio::test]
async fn importing_customers_matches_by_ref_phone_and_email() {
    each(|s| async move {
        user(&s, "kim@shop.kr", StaffLevel::SalesRepresentative).await;
        let rec = |line, r: Option<&str>, name: &str, phone: Option<&str>, email: Option<&str>| {
            CustomerRecord {
                line,
                external_ref: r.map(Into::into),
                name: Some(name.into()),
                phone: phone.map(Into::into),
                email: email.map(Into::into),
                ..Default::default()
            }
        };
        let mut first = vec![
            rec(2, Some("K1"), "김민준", Some("010-1111-2222"), None),
            rec(3, None, "Lee", Some("010-3333-4444"), None),
            rec(4, None, "Park", None, Some("park@x.kr")),
        ];
        first[0].owner = Some("KIM@shop.kr".into());
        first[0].tags = Some(vec!["vip".into()]);
        let o = s
            .apply_import(
                ImportBatch::Customers(first.clone()),
                ApplyOptions::default(),
            )
            .await
            .expect("first");
        assert_eq!((o.created, o.updated, o.unchanged), (3, 0, 0));
        let o = s
            .apply_import(ImportBatch::Customers(first), ApplyOptions::default())
            .await
            .expect("same");
        assert_eq!((o.created, o.updated, o.unchanged), (0, 0, 3));
        let second = vec![
            rec(2, Some("K1"), "김민준", None, Some("minjun@x.kr")), // by ref: adds e-mail, keeps phone
            rec(3, None, "Lee Jiwon", Some("01033334444"), None),    // by phone digits
            rec(4, None, "Park", None, Some("PARK@X.KR")),           // by e-mail, nothing new
            CustomerRecord {
                line: 5,
                name: Some("Ghost".into()),
                owner: Some("nobody".into()),
                ..Default::default()
            },
            CustomerRecord {
                line: 6,
                name: Some("Bad".into()),
                email: Some("bad@".into()),
                ..Default::default()
            },
        ];
        let o = s
            .apply_import(
                ImportBatch::Customers(second.clone()),
                ApplyOptions::default(),
            )
            .await
            .expect("second");
        assert_eq!((o.created, o.updated, o.unchanged), (0, 2, 1));
        let rejected: Vec<_> = o
            .rejected
            .iter()
            .map(|r| (r.line, r.field.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            rejected,
            vec![(5, "owner".to_string()), (6, "email".to_string())]
        );
        let k1 = s
            .list_customers(&CustomerQuery {
                q: Some("k1".into()),
                ..Default::default()
            })
            .await
            .expect("k1")
            .items;
        assert_eq!(k1[0].phone.as_deref(), Some("010-1111-2222"));
        assert_eq!(k1[0].email.as_deref(), Some("minjun@x.kr"));
        assert_eq!(k1[0].tags, vec!["vip".to_string()]);
        assert!(k1[0].owner_id.is_some());
        // Strict: one bad row and nothing changes.
        let mut strict = second;
        strict[0].name = Some("Changed".into());
        let o = s
            .apply_import(
                ImportBatch::Customers(strict),
                ApplyOptions {
                    strict: true,
                    ..Default::default()
                },
            )
            .await
            .expect("strict");
        assert!(!o.rejected.is_empty());
        let k1 = s
            .list_customers(&CustomerQuery {
                q: Some("k1".into()),
                ..Default::default()
            })
            .await
            .expect("k1")
            .items;
        assert_eq!(k1[0].name, "김민준");
        assert_eq!(s.count_customers().await.expect("n"), 3);
    })
    .await;
}

#[tokio::test]
async fn importing_contacts_and_products() {
    each(|s| async move {
        let mut org = CustomerInput {
            kind: CustomerKind::Organisation,
            name: "Org".into(),
            ..Default::default()
        };
        org.external_ref = Some("O1".into());
        let org = s.create_customer(org).await.expect("org");
        let contacts = vec![
            ContactRecord {
                line: 2,
                customer_ref: "O1".into(),
                name: "王经理".into(),
                title: Some("采购经理".into()),
                email: Some("wang@o1.cn".into()),
                ..Default::default()
            },
            ContactRecord {
                line: 3,
                customer_ref: "NOPE".into(),
                name: "X".into(),
                ..Default::default()
            },
        ];
        let o = s
            .apply_import(
                ImportBatch::Contacts(contacts.clone()),
                ApplyOptions::default(),
            )
            .await
            .expect("contacts");
        assert_eq!((o.created, o.rejected.len()), (1, 1));
        assert_eq!(o.rejected[0].field.as_deref(), Some("customer_ref"));
        let o = s
            .apply_import(
                ImportBatch::Contacts(contacts[..1].to_vec()),
                ApplyOptions::default(),
            )
            .await
            .expect("again");
        assert_eq!((o.created, o.unchanged), (0, 1));
        let kps = s
            .list_key_persons(&KeyPersonQuery {
                customer_id: Some(org.id),
                ..Default::default()
            })
            .await
            .expect("kps");
        assert_eq!(kps.items[0].title.as_deref(), Some("采购经理"));
        let products = vec![ProductRecord {
            line: 2,
            external_ref: Some("P9".into()),
            name: Some("Tea".into()),
            product_line: Some("Drinks".into()),
            unit_price_minor: Some(300),
            currency: None,
        }];
        let o = s
            .apply_import(
                ImportBatch::Products(products.clone()),
                ApplyOptions::default(),
            )
            .await
            .expect("products");
        assert_eq!(o.created, 1);
        let o = s
            .apply_import(ImportBatch::Products(products), ApplyOptions::default())
            .await
            .expect("products again");
        assert_eq!((o.created, o.unchanged), (0, 1));
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_found_and_merged_without_losing_anything() {
    each(|s| async move {
        let mut a = person("Northwind Traders");
        a.phone = Some("555-0100".into());
        a.tags = vec!["a".into()];
        let a = s.create_customer(a).await.expect("a");
        let mut b = person("Northwind Traders.");
        b.email = Some("nw@example.com".into());
        b.tags = vec!["b".into()];
        let b = s.create_customer(b).await.expect("b");
        let mut c = person("Someone Else");
        c.phone = Some("(555) 0100".into());
        let c = s.create_customer(c).await.expect("c");
        s.create_customer(person("张三丰")).await.expect("z1");
        s.create_customer(person("张 三丰")).await.expect("z2");
        s.create_customer(person("张三")).await.expect("z3");
        let d = s.find_duplicates(100).await.expect("dups");
        let pairs: Vec<_> = d
            .iter()
            .map(|p| (p.a_name.as_str(), p.b_name.as_str(), p.reason.as_str()))
            .collect();
        assert!(
            pairs.contains(&("Northwind Traders", "Northwind Traders.", "similar_name")),
            "{pairs:?}"
        );
        assert!(
            pairs.contains(&("Northwind Traders", "Someone Else", "same_phone")),
            "{pairs:?}"
        );
        assert!(
            pairs.contains(&("张三丰", "张 三丰", "similar_name")),
            "{pairs:?}"
        );
        assert!(
            !pairs.iter().any(|p| p.1 == "张三" || p.0 == "张三"),
            "{pairs:?}"
        );
        s.create_order(OrderInput {
            customer_id: b.id,
            order_date: NaiveDate::from_ymd_opt(2025, 1, 1).expect("d"),
            lines: vec![OrderLineInput {
                quantity: 1,
                amount_minor: Some(10),
                ..Default::default()
            }],
            ..Default::default()
        })
        .await
        .expect("o");
        s.create_interaction(InteractionInput {
            customer_id: b.id,
            kind: InteractionKind::Call,
            occurred_at: None,
            staff_id: None,
            key_person_id: None,
            outcome: None,
            notes: None,
            follow_up_on: None,
            follow_up: None,
        })
        .await
        .expect("i");
        s.create_key_person(
            b.id,
            KeyPersonInput {
                name: "K".into(),
                ..Default::default()
            },
        )
        .await
        .expect("k");
        let rep = s.merge_customers(a.id, b.id).await.expect("merge");
        assert_eq!(
            (
                rep.orders_moved,
                rep.interactions_moved,
                rep.key_persons_moved,
                rep.tags_added
            ),
            (1, 1, 1, 1)
        );
        assert!(rep.fields_filled.contains(&"email".to_string()));
        let ov = s.customer_overview(a.id).await.expect("ov");
        assert_eq!(ov.orders.count, 1);
        assert_eq!(ov.key_persons.len(), 1);
        assert_eq!(ov.recent_interactions.len(), 1);
        assert_eq!(ov.customer.email.as_deref(), Some("nw@example.com"));
        assert!(matches!(
            s.get_customer(b.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(s.merge_customers(a.id, a.id).await.is_err());
        let _ = c;
    })
    .await;
}

#[tokio::test]
async fn bulk_insert_writes_a_chunk() {
    each(|s| async move {
        let today = Utc::now().date_naive();
        let mut chunk = patron_store::bulk::BulkChunk::default();
        for i in 0..1200 {
            let mut c = person(&format!("Bulk {i}"));
            c.tags = vec!["bulk".into()];
            if i % 2 == 0 {
                c.kind = CustomerKind::Organisation;
                c.background = Some(Background {
                    capital: Some("1M".into()),
                    ..Default::default()
                });
            }
            chunk.customers.push(c.validate(today).expect("valid"));
            chunk.orders.push(patron_store::bulk::BulkOrder {
                customer: i,
                order: OrderInput {
                    customer_id: CustomerId(0),
                    order_date: today,
                    lines: vec![OrderLineInput {
                        quantity: 1,
                        amount_minor: Some(100),
                        ..Default::default()
                    }],
                    ..Default::default()
                }
                .validate(&Currency::default())
                .expect("order"),
            });
            chunk.key_persons.push((
                i,
                KeyPersonInput {
                    name: format!("KP {i}"),
                    ..Default::default()
                },
            ));
            chunk.interactions.push((
                i,
                InteractionInput {
                    customer_id: CustomerId(0),
                    kind: InteractionKind::Visit,
                    occurred_at: Some(
                        Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0)
                            .single()
                            .expect("t"),
                    ),
                    staff_id: None,
                    key_person_id: None,
                    outcome: Some("ok\ttab\\slash\nnewline".into()),
                    notes: None,
                    follow_up_on: None,
                    follow_up: None,
                },
            ));
        }
        let ids = s.bulk_insert(chunk).await.expect("bulk");
        assert_eq!(ids.customers.len(), 1200);
        assert_eq!(s.count_customers().await.expect("n"), 1200);
        let ov = s.customer_overview(ids.customers[0]).await.expect("ov");
        assert_eq!(ov.orders.count, 1);
        assert_eq!(ov.key_persons.len(), 1);
        assert_eq!(ov.customer.tags, vec!["bulk".to_string()]);
        assert_eq!(
            ov.customer.background.and_then(|b| b.capital).as_deref(),
            Some("1M")
        );
        assert_eq!(
            ov.recent_interactions[0].outcome.as_deref(),
            Some("ok\ttab\\slash\nnewline")
        );
        // Ids keep working for ordinary inserts afterwards (sequences advanced on PostgreSQL).
        let c = s
            .create_customer(person("after bulk"))
            .await
            .expect("after");
        assert!(c.id.0 > ids.customers[1199].0);
        assert_eq!(
            s.list_customers(&CustomerQuery {
                q: Some("bulk 11".into()),
                limit: Some(500),
                ..Default::default()
            })
            .await
            .expect("q")
            .items
            .len(),
            111
        );
    })
    .await;
}

#[tokio::test]
async fn settings_upsert_and_vocabularies() {
    each(|s| async move {
        assert_eq!(s.get_setting("x").await.expect("get"), None);
        s.set_setting("x", "1").await.expect("set");
        s.set_setting("x", "2").await.expect("set again");
        assert_eq!(s.get_setting("x").await.expect("get").as_deref(), Some("2"));
        let reasons = s.list_churn_reasons().await.expect("reasons");
        let pct: Vec<_> = reasons
            .iter()
            .map(|r| (r.code.as_str(), r.reference_percent))
            .collect();
        assert_eq!(
            pct,
            vec![
                ("supplier_problems", Some(70)),
                ("better_product", Some(13)),
                ("bankruptcy_relocation", Some(15)),
                ("other", Some(2))
            ]
        );
        let e = s
            .define_custom_field(CustomFieldDef {
                key: "Bad Key".into(),
                label: "x".into(),
                field_type: CustomFieldType::Text,
                choices: vec![],
            })
            .await;
        assert_eq!(field_of(&e.expect_err("key")), "key");
        s.define_custom_field(CustomFieldDef {
            key: "tier".into(),
            label: "Tier".into(),
            field_type: CustomFieldType::Choice,
            choices: vec!["gold".into(), "silver".into()],
        })
        .await
        .expect("def");
        assert_eq!(s.list_custom_fields().await.expect("defs").len(), 1);
        let mut c = person("X");
        c.custom.insert("tier".into(), "bronze".into());
        assert_eq!(
            field_of(&s.create_customer(c).await.expect_err("choice")),
            "custom.tier"
        );
        let u = user(&s, "Boss@Example.com", StaffLevel::GeneralManager).await;
        assert_eq!(
            s.find_user("boss@example.COM")
                .await
                .expect("find")
                .map(|x| x.id),
            Some(u.id)
        );
        assert!(matches!(
            s.create_user(UserInput {
                email: "boss@example.com".into(),
                name: "Dup".into(),
                staff_level: StaffLevel::Administrator,
                manager_id: None
            })
            .await,
            Err(StoreError::Conflict { .. })
        ));
    })
    .await;
}

/// The models' input: orders of one day are one purchase day (amounts summed), later orders and
/// other currencies are left out, customers without orders are absent.
#[tokio::test]
async fn purchase_histories_aggregate_days_per_customer() {
    each(|s| async move {
        // A reference with characters PostgreSQL's COPY text escapes (read back as written).
        let tricky = "A\\1 张\tx";
        let a = s
            .create_customer(CustomerInput {
                external_ref: Some(tricky.into()),
                ..person("甲")
            })
            .await
            .expect("a");
        let b = s.create_customer(person("乙")).await.expect("b");
        s.create_customer(person("丙")).await.expect("no orders");
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).expect("date");
        let usd = Currency::parse("c", "USD").expect("usd");
        let krw = Currency::parse("c", "KRW").expect("krw");
        for (c, date, amount, cur) in [
            (a.id, d(1, 5), 1000, &usd),
            (a.id, d(1, 5), 500, &usd),
            (a.id, d(2, 1), 700, &usd),
            (a.id, d(3, 1), 300, &usd),
            (a.id, d(6, 1), 9900, &usd),
            (a.id, d(2, 2), 50_000, &krw),
            (b.id, d(4, 1), 200, &usd),
        ] {
            one_line_order(&s, c, date, Some(cur.clone()), amount).await;
        }
        let h = s
            .purchase_histories(d(3, 31), &usd)
            .await
            .expect("histories");
        assert_eq!(h.len(), 1, "{h:?}");
        let ha = &h[0];
        assert_eq!(ha.customer_id, a.id);
        assert_eq!(ha.customer_ref.as_deref(), Some(tricky));
        assert_eq!((ha.first_day, ha.last_day), (d(1, 5), d(3, 1)));
        assert_eq!(
            (ha.days, ha.total_minor, ha.first_day_minor),
            (3, 2500, 1500)
        );
        let all = s
            .purchase_histories(d(12, 31), &usd)
            .await
            .expect("histories");
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].days, all[0].total_minor), (4, 12400));
        assert_eq!((all[1].customer_id, all[1].days), (b.id, 1));
        // The same numbers without the references (what a model fit reads).
        let bare = s
            .purchase_histories_without_refs(d(12, 31), &usd)
            .await
            .expect("histories without refs");
        assert_eq!(bare.len(), all.len());
        for (x, y) in bare.iter().zip(&all) {
            assert_eq!(x.customer_ref, None);
            assert_eq!(
                (x.customer_id, x.first_day, x.last_day, x.days),
                (y.customer_id, y.first_day, y.last_day, y.days)
            );
            assert_eq!(
                (x.total_minor, x.first_day_minor),
                (y.total_minor, y.first_day_minor)
            );
        }
        assert!(s
            .purchase_histories(d(1, 1), &usd)
            .await
            .expect("none")
            .is_empty());
    })
    .await;
}

/// Model scores are stored whole and replaced whole; a missing value stays missing (not NaN).
#[tokio::test]
async fn customer_scores_are_replaced_as_a_whole() {
    each(|s| async move {
        use patron_store::analytics::CustomerScore;
        let a = s.create_customer(person("甲")).await.expect("a");
        let b = s.create_customer(person("乙")).await.expect("b");
        let as_of = NaiveDate::from_ymd_opt(2025, 6, 30).expect("d");
        let at = Utc
            .with_ymd_and_hms(2025, 7, 1, 8, 0, 0)
            .single()
            .expect("t");
        let score = |c: CustomerId, p: Option<f64>| CustomerScore {
            customer_id: c,
            p_alive: p,
            expected_purchases: Some(1.2345678901234),
            expected_spend: Some(35.5),
            clv: Some(f64::NAN),
            currency: "USD".into(),
            horizon_days: 364,
            as_of,
            scored_at: at,
        };
        s.replace_customer_scores(&[score(a.id, Some(0.25)), score(b.id, None)])
            .await
            .expect("scores");
        let got = s.customer_score(a.id).await.expect("read").expect("scored");
        assert_eq!(got.p_alive, Some(0.25));
        assert_eq!(got.expected_purchases, Some(1.2345678901234));
        assert_eq!(got.clv, None, "NaN is stored as unknown");
        let c = s.create_customer(person("丁")).await.expect("c");
        let mut page = s.customer_scores(&[a.id, b.id, c.id]).await.expect("page");
        page.sort_by_key(|x| x.customer_id.0);
        let ids: Vec<_> = page.iter().map(|x| x.customer_id).collect();
        assert_eq!(ids, vec![a.id, b.id], "the unscored customer is absent");
        assert_eq!(
            (got.horizon_days, got.as_of, got.scored_at),
            (364, as_of, at)
        );
        assert_eq!(
            s.customer_score(b.id)
                .await
                .expect("read")
                .expect("b")
                .p_alive,
            None
        );
        // The same scores again, a day later: what is stored stays, every row shows the
        // re-run's time.
        let later = at + chrono::Duration::days(1);
        let again = |c, p| CustomerScore {
            scored_at: later,
            ..score(c, p)
        };
        s.replace_customer_scores(&[again(a.id, Some(0.25)), again(b.id, None)])
            .await
            .expect("same scores");
        let got = s.customer_score(a.id).await.expect("read").expect("scored");
        assert_eq!((got.p_alive, got.scored_at), (Some(0.25), later));
        let page = s.customer_scores(&[a.id, b.id]).await.expect("page");
        assert!(page.iter().all(|x| x.scored_at == later), "{page:?}");
        // One value differs: the new scores are stored.
        s.replace_customer_scores(&[again(a.id, Some(0.3)), again(b.id, None)])
            .await
            .expect("changed scores");
        let got = s.customer_score(a.id).await.expect("read").expect("scored");
        assert_eq!(got.p_alive, Some(0.3));
        s.replace_customer_scores(&[score(b.id, Some(0.5))])
            .await
            .expect("again");
        assert!(s.customer_score(a.id).await.expect("read").is_none());
        s.replace_customer_scores(&[]).await.expect("none");
        assert!(s.customer_score(b.id).await.expect("read").is_none());
    })
    .await;
}

/// An order of one line of `amount_minor` (in the shop's currency unless `currency` is given).
async fn one_line_order(
    s: &Arc<dyn Store>,
    customer: CustomerId,
    day: NaiveDate,
    currency: Option<Currency>,
    amount_minor: i64,
) {
    s.create_order(OrderInput {
        customer_id: customer,
        order_date: day,
        currency,
        lines: vec![OrderLineInput {
            quantity: 1,
            amount_minor: Some(amount_minor),
            ..Default::default()
        }],
        ..Default::default()
    })
    .await
    .expect("order");
}
