//! The search index and record-level scope contract on both backends (issue #3 speed work):
//! short CJK queries answered through the bigram table return exactly the customers whose
//! search text contains the query, the table follows every write path, and every list, search,
//! duplicate scan and export honours the caller's scope — page after page, in every sort.

use chrono::Utc;
use patron_core::*;
use patron_store::export::{export_as, ExportKind};
use patron_store::import::*;
use patron_store::*;
use std::collections::BTreeSet;

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

/// Every customer of `q` (all pages of `page` rows), in the order the store hands them out.
async fn all_pages(s: &dyn Store, q: &CustomerQuery, page: u32) -> Vec<Customer> {
    let mut out = Vec::new();
    let mut q = q.clone();
    q.limit = Some(page);
    loop {
        let p = s.list_customers(&q).await.expect("list");
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => q.cursor = Some(c),
            None => return out,
        }
    }
}

fn ids(cs: &[Customer]) -> Vec<i64> {
    cs.iter().map(|c| c.id.0).collect()
}

/// What the store searches in, built the way the core builds it.
fn search_text_of(c: &Customer) -> String {
    let phone = c.phone.as_deref().map(patron_core::values::phone_key);
    search_text(&[
        Some(&c.name),
        c.company.as_deref(),
        c.email.as_deref(),
        phone.as_deref().filter(|p| !p.is_empty()),
        c.external_ref.as_deref(),
    ])
}

/// The reference answer: customers whose search text contains the (lower-cased) needle.
fn expected(all: &[Customer], needle: &str) -> Vec<i64> {
    let n = needle.trim().to_lowercase();
    all.iter()
        .filter(|c| search_text_of(c).contains(&n))
        .map(|c| c.id.0)
        .collect()
}

/// Names mixing scripts so that two-character windows fall inside names, across a name and a
/// company, at the very start and end of the text, next to ASCII and digits.
const NAMES: &[(&str, Option<&str>, Option<&str>)] = &[
    ("张伟", None, None),
    ("张伟明", Some("伟明贸易"), None),
    ("王张伟", None, Some("zw@example.cn")),
    ("李张", Some("伟业"), None),
    ("张 伟", None, None),
    ("伟张", None, None),
    ("김민", None, None),
    ("김민준", Some("민준상사"), None),
    ("박김민", None, Some("kim@x.kr")),
    ("김 민", None, None),
    ("Zhang Wei", Some("张伟科技"), None),
    ("a张伟b", None, None),
    ("三丰", None, None),
    ("张三丰", Some("武当"), Some("zsf@wudang.cn")),
    ("Ｚ全角", None, None),
    ("Ünal Öz", Some("Özel"), None),
];

/// Queries of every length and script; the two-character non-ASCII ones go through the bigram
/// table, the others through the trigram index or a scan.
const QUERIES: &[&str] = &[
    "张伟",
    "伟明",
    "伟",
    "张",
    "김민",
    "민준",
    "민",
    "三丰",
    "张三",
    "张三丰",
    "伟b",
    "a张",
    "b",
    "zw",
    "张伟科",
    "ü",
    "üN",
    "öz",
    "Öz",
    "ｚ全",
    "全角",
    "伟业",
    "张李",
    "无人",
    "伟 ",
    " 张伟 ",
];

#[tokio::test]
async fn short_cjk_queries_return_exactly_the_substring_matches() {
    each(|s| async move {
        for (name, company, email) in NAMES {
            s.create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: (*name).into(),
                company: company.map(Into::into),
                email: email.map(Into::into),
                ..Default::default()
            })
            .await
            .expect("create");
        }
        let all = all_pages(s.as_ref(), &CustomerQuery::default(), 500).await;
        for q in QUERIES {
            for desc in [false, true] {
                let got = all_pages(
                    s.as_ref(),
                    &CustomerQuery {
                        q: Some((*q).into()),
                        desc,
                        ..Default::default()
                    },
                    3,
                )
                .await;
                let mut want = expected(&all, q);
                if desc {
                    want.reverse();
                }
                assert_eq!(ids(&got), want, "query {q:?} desc={desc}");
            }
        }
        // Sorted by name the same set comes back, in name order.
        let got = all_pages(
            s.as_ref(),
            &CustomerQuery {
                q: Some("张伟".into()),
                sort: CustomerSort::Name,
                ..Default::default()
            },
            2,
        )
        .await;
        let set: BTreeSet<i64> = ids(&got).into_iter().collect();
        assert_eq!(set, expected(&all, "张伟").into_iter().collect());
        let names: Vec<&str> = got.iter().map(|c| c.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
    })
    .await;
}

#[tokio::test]
async fn the_bigram_index_follows_update_delete_merge_import_and_bulk_insert() {
    each(|s| async move {
        let find = |q: &'static str| {
            let s = s.clone();
            async move {
                let mut v: Vec<String> = all_pages(
                    s.as_ref(),
                    &CustomerQuery {
                        q: Some(q.into()),
                        ..Default::default()
                    },
                    50,
                )
                .await
                .into_iter()
                .map(|c| c.name)
                .collect();
                v.sort();
                v
            }
        };
        let person = |name: &str| CustomerInput {
            kind: CustomerKind::Person,
            name: name.into(),
            ..Default::default()
        };
        // Update: the old windows go, the new ones come.
        let a = s.create_customer(person("张伟")).await.expect("a");
        assert_eq!(find("张伟").await, vec!["张伟"]);
        s.update_customer(a.id, person("李娜"))
            .await
            .expect("update");
        assert!(find("张伟").await.is_empty());
        assert_eq!(find("李娜").await, vec!["李娜"]);
        // A change that leaves the search text alone keeps the windows.
        let mut same = person("李娜");
        same.notes = Some("note".into());
        s.update_customer(a.id, same).await.expect("notes");
        assert_eq!(find("李娜").await, vec!["李娜"]);
        // Delete.
        s.delete_customer(a.id).await.expect("delete");
        assert!(find("李娜").await.is_empty());
        // Merge: the other card disappears from the index, the kept one gains its filled fields.
        let keep = s.create_customer(person("陈大文")).await.expect("keep");
        let mut other = person("陈大文");
        other.company = Some("大文商行".into());
        let other = s.create_customer(other).await.expect("other");
        assert_eq!(find("商行").await, vec!["陈大文"]);
        s.merge_customers(keep.id, other.id).await.expect("merge");
        let hits = all_pages(
            s.as_ref(),
            &CustomerQuery {
                q: Some("商行".into()),
                ..Default::default()
            },
            50,
        )
        .await;
        assert_eq!(ids(&hits), vec![keep.id.0]);
        assert_eq!(find("大文").await, vec!["陈大文"]);
        // Import.
        let o = s
            .apply_import(
                ImportBatch::Customers(vec![CustomerRecord {
                    line: 2,
                    name: Some("최민호".into()),
                    ..Default::default()
                }]),
                ApplyOptions::default(),
            )
            .await
            .expect("import");
        assert_eq!(o.created, 1);
        assert_eq!(find("민호").await, vec!["최민호"]);
        // The demo generator's bulk path.
        let mut chunk = patron_store::bulk::BulkChunk::default();
        chunk.customers.push(
            person("林志明")
                .validate(Utc::now().date_naive())
                .expect("valid"),
        );
        // A name repeating a window: the bulk path's INSERT OR ROLLBACK overrides any conflict
        // clause inside a trigger, so a repeated window must not even be attempted twice.
        chunk.customers.push(
            person("张伟张伟")
                .validate(Utc::now().date_naive())
                .expect("valid"),
        );
        s.bulk_insert(chunk).await.expect("bulk");
        assert_eq!(find("志明").await, vec!["林志明"]);
        assert_eq!(find("伟张").await, vec!["张伟张伟"]);
    })
    .await;
}

/// A small team: a manager with two representatives, a third representative elsewhere, and
/// customers owned and relationship-managed across them (some by nobody).
struct Team {
    boss: User,
    ann: User,
    ben: User,
    cat: User,
}

async fn team(s: &dyn Store) -> Team {
    let boss = user(s, "boss@example.com", StaffLevel::BusinessManager, None).await;
    let ann = user(
        s,
        "ann@example.com",
        StaffLevel::SalesRepresentative,
        Some(boss.id),
    )
    .await;
    let ben = user(
        s,
        "ben@example.com",
        StaffLevel::SalesRepresentative,
        Some(boss.id),
    )
    .await;
    let cat = user(s, "cat@example.com", StaffLevel::SalesRepresentative, None).await;
    Team {
        boss,
        ann,
        ben,
        cat,
    }
}

/// 90 customers: names cycle through a few CJK/Latin stems so searches hit across owners.
async fn book(s: &dyn Store, t: &Team) {
    let holders = [
        None,
        Some(t.ann.id),
        Some(t.ben.id),
        Some(t.cat.id),
        Some(t.boss.id),
    ];
    let stems = ["张伟", "김민", "Lee", "王芳", "张三丰"];
    for i in 0..90usize {
        let owner = holders[i % holders.len()];
        // Every seventh customer has a relationship manager from another holder.
        let rm = if i % 7 == 0 {
            holders[(i / 7) % holders.len()]
        } else {
            None
        };
        s.create_customer(CustomerInput {
            kind: CustomerKind::Person,
            name: format!("{}{}", stems[(i / 3) % stems.len()], i),
            stage: Some(if i % 4 == 0 {
                LifecycleStage::Interested
            } else {
                LifecycleStage::Customer
            }),
            owner_id: owner,
            relationship_manager_id: rm,
            tags: if i % 5 == 0 {
                vec!["vip".into()]
            } else {
                vec![]
            },
            ..Default::default()
        })
        .await
        .expect("customer");
    }
}

#[tokio::test]
async fn scoped_lists_and_searches_match_the_core_rule_in_every_sort_and_page() {
    each(|s| async move {
        let t = team(s.as_ref()).await;
        book(s.as_ref(), &t).await;
        let all = all_pages(s.as_ref(), &CustomerQuery::default(), 500).await;
        assert_eq!(all.len(), 90);
        let members = [t.ann.id, t.ben.id];
        let scopes = [
            Scope::All,
            Scope::Own(t.ann.id),
            Scope::Own(t.cat.id),
            Scope::Own(t.boss.id),
            Scope::Team(t.boss.id),
            Scope::Team(t.cat.id),
        ];
        let queries: [Option<&str>; 6] = [
            None,
            Some("张伟"),
            Some("김민"),
            Some("张三丰"),
            Some("e"),
            Some("伟"),
        ];
        for scope in scopes {
            let team: &[UserId] = match scope {
                Scope::Team(m) if m == t.boss.id => &members,
                _ => &[],
            };
            for q in queries {
                for stage in [None, Some(LifecycleStage::Customer)] {
                    for (sort, desc) in [
                        (CustomerSort::Id, false),
                        (CustomerSort::Id, true),
                        (CustomerSort::Name, false),
                        (CustomerSort::Updated, true),
                    ] {
                        let query = CustomerQuery {
                            q: q.map(Into::into),
                            stage,
                            sort,
                            desc,
                            scope,
                            ..Default::default()
                        };
                        let got = all_pages(s.as_ref(), &query, 4).await;
                        let want: BTreeSet<i64> = all
                            .iter()
                            .filter(|c| scope.allows(c, team))
                            .filter(|c| stage.is_none_or(|st| c.stage == st))
                            .filter(|c| q.is_none_or(|q| search_text_of(c).contains(q)))
                            .map(|c| c.id.0)
                            .collect();
                        let got_ids = ids(&got);
                        let got_set: BTreeSet<i64> = got_ids.iter().copied().collect();
                        assert_eq!(got_set.len(), got_ids.len(), "no customer twice");
                        assert_eq!(
                            got_set, want,
                            "scope {scope:?} q {q:?} stage {stage:?} sort {sort:?} desc {desc}"
                        );
                        if sort == CustomerSort::Id {
                            let mut ordered = got_ids.clone();
                            ordered.sort_unstable();
                            if desc {
                                ordered.reverse();
                            }
                            assert_eq!(got_ids, ordered, "id order");
                        }
                    }
                }
            }
            // The tag filter and an owner filter inside a scope.
            let tagged = all_pages(
                s.as_ref(),
                &CustomerQuery {
                    tag: Some("vip".into()),
                    owner_id: Some(t.ann.id),
                    scope,
                    ..Default::default()
                },
                3,
            )
            .await;
            let want: Vec<i64> = all
                .iter()
                .filter(|c| scope.allows(c, team))
                .filter(|c| c.tags.contains(&"vip".to_string()) && c.owner_id == Some(t.ann.id))
                .map(|c| c.id.0)
                .collect();
            assert_eq!(ids(&tagged), want, "tag+owner in {scope:?}");
        }
        // A single read by id follows the same rule.
        for c in &all {
            for scope in scopes {
                let team: &[UserId] = match scope {
                    Scope::Team(m) if m == t.boss.id => &members,
                    _ => &[],
                };
                assert_eq!(
                    s.customer_in_scope(c.id, scope).await.expect("in scope"),
                    scope.allows(c, team),
                    "customer {} in {scope:?}",
                    c.id
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn one_customers_records_are_scoped_by_that_customer() {
    each(|s| async move {
        let t = team(s.as_ref()).await;
        let mine = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "mine".into(),
                owner_id: Some(t.ann.id),
                ..Default::default()
            })
            .await
            .expect("mine");
        let theirs = s
            .create_customer(CustomerInput {
                kind: CustomerKind::Person,
                name: "theirs".into(),
                owner_id: Some(t.cat.id),
                relationship_manager_id: Some(t.ben.id),
                ..Default::default()
            })
            .await
            .expect("theirs");
        for c in [mine.id, theirs.id] {
            s.create_order(OrderInput {
                customer_id: c,
                order_date: Utc::now().date_naive(),
                lines: vec![OrderLineInput {
                    quantity: 1,
                    amount_minor: Some(100),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .await
            .expect("order");
            s.create_key_person(
                c,
                KeyPersonInput {
                    name: "K".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("kp");
        }
        let count = |customer: CustomerId, scope: Scope| {
            let s = s.clone();
            async move {
                let o = s
                    .list_orders(&OrderQuery {
                        customer_id: Some(customer),
                        scope,
                        ..Default::default()
                    })
                    .await
                    .expect("orders")
                    .items
                    .len();
                let k = s
                    .list_key_persons(&KeyPersonQuery {
                        customer_id: Some(customer),
                        scope,
                        ..Default::default()
                    })
                    .await
                    .expect("kps")
                    .items
                    .len();
                (o, k)
            }
        };
        assert_eq!(count(mine.id, Scope::Own(t.ann.id)).await, (1, 1));
        assert_eq!(count(theirs.id, Scope::Own(t.ann.id)).await, (0, 0));
        // Relationship manager and the manager of one.
        assert_eq!(count(theirs.id, Scope::Own(t.ben.id)).await, (1, 1));
        assert_eq!(count(theirs.id, Scope::Team(t.boss.id)).await, (1, 1));
        assert_eq!(count(theirs.id, Scope::Own(t.boss.id)).await, (0, 0));
        assert_eq!(count(mine.id, Scope::Own(t.cat.id)).await, (0, 0));
    })
    .await;
}

#[tokio::test]
async fn duplicates_are_only_paired_inside_the_scope() {
    each(|s| async move {
        let t = team(s.as_ref()).await;
        let mk = |name: &str, phone: &str, owner: UserId| CustomerInput {
            kind: CustomerKind::Person,
            name: name.into(),
            phone: Some(phone.into()),
            owner_id: Some(owner),
            ..Default::default()
        };
        // Same phone: one pair inside ann's book, one across ann and cat.
        s.create_customer(mk("Alpha One", "555-0101", t.ann.id))
            .await
            .expect("a1");
        s.create_customer(mk("Beta Two", "555 0101", t.ann.id))
            .await
            .expect("a2");
        s.create_customer(mk("Gamma Three", "555-0202", t.ann.id))
            .await
            .expect("a3");
        s.create_customer(mk("Delta Four", "5550202", t.cat.id))
            .await
            .expect("c1");
        // Similar names across owners.
        s.create_customer(mk("张三丰", "010-1111-2222", t.ben.id))
            .await
            .expect("b1");
        s.create_customer(mk("张 三丰", "010-3333-4444", t.cat.id))
            .await
            .expect("c2");
        let pairs = |scope: Scope| {
            let s = s.clone();
            async move {
                let mut v: Vec<(String, String)> = s
                    .find_duplicates_in(scope, 100)
                    .await
                    .expect("dups")
                    .into_iter()
                    .map(|p| (p.a_name, p.b_name))
                    .collect();
                v.sort();
                v
            }
        };
        let everything = pairs(Scope::All).await;
        assert!(everything.contains(&("Gamma Three".into(), "Delta Four".into())));
        assert!(everything.contains(&("张三丰".into(), "张 三丰".into())));
        assert_eq!(
            s.find_duplicates(100).await.expect("all").len(),
            everything.len()
        );
        assert_eq!(
            pairs(Scope::Own(t.ann.id)).await,
            vec![("Alpha One".to_string(), "Beta Two".to_string())]
        );
        assert!(pairs(Scope::Own(t.ben.id)).await.is_empty());
        assert_eq!(
            pairs(Scope::Own(t.cat.id)).await,
            Vec::<(String, String)>::new()
        );
        assert_eq!(
            pairs(Scope::Team(t.boss.id)).await,
            vec![("Alpha One".to_string(), "Beta Two".to_string())]
        );
    })
    .await;
}

#[tokio::test]
async fn export_as_a_user_writes_only_their_records() {
    each(|s| async move {
        let t = team(s.as_ref()).await;
        book(s.as_ref(), &t).await;
        let all = all_pages(s.as_ref(), &CustomerQuery::default(), 500).await;
        let ann_customers: Vec<&Customer> = all
            .iter()
            .filter(|c| Scope::Own(t.ann.id).allows(c, &[]))
            .collect();
        for c in &ann_customers {
            s.create_key_person(
                c.id,
                KeyPersonInput {
                    name: format!("kp of {}", c.name),
                    ..Default::default()
                },
            )
            .await
            .expect("kp");
        }
        let cat_customer = all
            .iter()
            .find(|c| c.owner_id == Some(t.cat.id))
            .expect("cat has customers");
        s.create_key_person(
            cat_customer.id,
            KeyPersonInput {
                name: "cat's contact".into(),
                ..Default::default()
            },
        )
        .await
        .expect("kp");
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("mine.csv");
        let n = export_as(
            s.as_ref(),
            ExportKind::Customers,
            &path,
            Scope::Own(t.ann.id),
        )
        .await
        .expect("export");
        assert_eq!(n as usize, ann_customers.len());
        let text = std::fs::read_to_string(&path).expect("read");
        for c in &all {
            let line_has = text.lines().any(|l| l.contains(&format!(",{},", c.name)));
            assert_eq!(
                line_has,
                Scope::Own(t.ann.id).allows(c, &[]),
                "{} in ann's export",
                c.name
            );
        }
        let path = dir.path().join("contacts.csv");
        let n = export_as(
            s.as_ref(),
            ExportKind::Contacts,
            &path,
            Scope::Own(t.ann.id),
        )
        .await
        .expect("export");
        assert_eq!(n as usize, ann_customers.len());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains("cat's contact"));
        let path = dir.path().join("everything.csv");
        let n = export_as(s.as_ref(), ExportKind::Customers, &path, Scope::All)
            .await
            .expect("export");
        assert_eq!(n as usize, all.len());
    })
    .await;
}
