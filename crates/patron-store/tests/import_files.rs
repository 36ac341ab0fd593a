//! End-to-end imports and exports through a real database (SQLite always, PostgreSQL when
//! `PATRON_TEST_DATABASE_URL` is set): file → `run_import` → store → `export` → file.

use patron_core::{Currency, Customer, Gender, StaffLevel, UserInput};
use patron_store::export::{export, ExportError, ExportKind};
use patron_store::import::mapping::CUSTOMER_FIELDS;
use patron_store::import::{run_import, Delimiter, Entity, ImportOptions, ImportReport};
use patron_store::testkit::TestDb;
use patron_store::{connect, CustomerQuery, Store};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

fn opts(entity: Entity) -> ImportOptions {
    ImportOptions::new(entity)
}

fn cdnow_opts() -> ImportOptions {
    ImportOptions {
        header: false,
        columns: Some(
            ["customer_ref", "-", "date", "quantity", "amount"]
                .map(String::from)
                .to_vec(),
        ),
        delimiter: Some(Delimiter::Whitespace),
        date_format: Some("%Y%m%d".into()),
        ..opts(Entity::Orders)
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

async fn import(store: &dyn Store, path: &Path, o: &ImportOptions) -> ImportReport {
    run_import(store, path, o, None)
        .await
        .unwrap_or_else(|e| panic!("import of {} failed: {e}", path.display()))
}

async fn all_customers(store: &dyn Store) -> Vec<Customer> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_customers(&CustomerQuery {
                limit: Some(500),
                cursor,
                ..Default::default()
            })
            .await
            .expect("list customers");
        out.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn by_ref<'a>(cs: &'a [Customer], r: &str) -> &'a Customer {
    cs.iter()
        .find(|c| c.external_ref.as_deref() == Some(r))
        .unwrap_or_else(|| panic!("no customer with ref {r}"))
}

/// Reads a CSV we wrote (UTF-8 with BOM) into records.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).expect("read csv");
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "{} has a BOM",
        path.display()
    );
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[3..])
        .records()
        .map(|r| r.expect("record").iter().map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn cdnow_import_twice_creates_once() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/CDNOW_sample.txt");
        let path = write(
            dir.path(),
            "CDNOW_sample.txt",
            &std::fs::read(src).expect("fixture"),
        );

        // A dry run counts but leaves nothing behind.
        let dry = import(
            &*store,
            &path,
            &ImportOptions {
                dry_run: true,
                ..cdnow_opts()
            },
        )
        .await;
        assert!(dry.dry_run);
        assert_eq!(dry.created, 6919, "{:?}", db.backend);
        assert_eq!(store.count_customers().await.expect("count"), 0);

        let seen = Arc::new(AtomicU64::new(0));
        let s2 = seen.clone();
        let progress: Arc<dyn Fn(u64) + Send + Sync> = Arc::new(move |n| {
            s2.fetch_max(n, Ordering::Relaxed);
        });
        let first = run_import(&*store, &path, &cdnow_opts(), Some(progress))
            .await
            .expect("import");
        assert_eq!(
            (
                first.rows,
                first.created,
                first.updated,
                first.unchanged,
                first.rejected
            ),
            (6919, 6919, 0, 0, 0),
            "{:?}: {first:?}",
            db.backend
        );
        assert!(first.rejects_file.is_none());
        assert!(!first.refused);
        assert!(seen.load(Ordering::Relaxed) > 0, "progress was reported");
        assert_eq!(store.count_customers().await.expect("count"), 2357);

        let second = import(&*store, &path, &cdnow_opts()).await;
        assert_eq!(
            (
                second.created,
                second.updated,
                second.unchanged,
                second.rejected
            ),
            (0, 0, 6919, 0),
            "{:?}: {second:?}",
            db.backend
        );

        // Keys are 24 hex digits, with the occurrence from the second identical row on.
        let first_of_their_kind = db
            .scalar("SELECT COUNT(*) FROM orders WHERE length(import_key) = 24")
            .await;
        let repeated = db
            .scalar(
                "SELECT COUNT(*) FROM orders WHERE length(import_key) > 24 \
                 AND substr(import_key, 25, 1) = ':'",
            )
            .await;
        assert_eq!(first_of_their_kind + repeated, 6919);
        assert!(repeated > 0, "the CDNOW log has identical rows");
        // Orders imported before keys were shortened carry `row:<32 hex digits>:<n>`: the
        // same file imported again still finds every one of them.
        let rewritten = db
            .execute(
                "UPDATE orders SET import_key = 'row:' || substr(import_key, 1, 24) || \
                 'a1b2c3d4' || CASE WHEN length(import_key) > 24 \
                 THEN substr(import_key, 25) ELSE ':1' END",
            )
            .await;
        assert_eq!(rewritten, 6919);
        let third = import(&*store, &path, &cdnow_opts()).await;
        assert_eq!(
            (
                third.created,
                third.updated,
                third.unchanged,
                third.rejected
            ),
            (0, 0, 6919, 0),
            "{:?}: {third:?}",
            db.backend
        );
        db.cleanup().await;
    }
}

/// The same customer list as a Chinese shop's WPS export: GB18030, Chinese header.
const ZH_CUSTOMERS: &str = "客户编号,姓名,性别,生日,电话,邮箱,地址,标签,备注\r\n\
C001,张伟,男,1980-05-06,138-0013-8000,zhang.wei@example.com,北京市朝阳区建国路88号,\"VIP、老客户\",喜欢红色包装\r\n\
C002,王芳,女,1985年3月7日,+86 139 0000 1111,wang.fang@example.cn,上海市浦东新区,新客户,\r\n\
C003,李娜,,,,,,,\r\n";

#[tokio::test]
async fn customers_with_chinese_header_in_gb18030() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let (bytes, _, bad) = encoding_rs::GB18030.encode(ZH_CUSTOMERS);
        assert!(!bad);
        let path = write(dir.path(), "客户.csv", &bytes);
        let r = import(&*store, &path, &opts(Entity::Customers)).await;
        assert_eq!(
            (r.rows, r.created, r.rejected),
            (3, 3, 0),
            "{:?}: {r:?}",
            db.backend
        );

        let cs = all_customers(&*store).await;
        let a = by_ref(&cs, "C001");
        assert_eq!(a.name, "张伟");
        assert_eq!(a.gender, Some(Gender::Male));
        assert_eq!(a.birth_date, chrono::NaiveDate::from_ymd_opt(1980, 5, 6));
        assert_eq!(a.phone.as_deref(), Some("138-0013-8000"));
        assert_eq!(a.email.as_deref(), Some("zhang.wei@example.com"));
        assert_eq!(a.address.as_deref(), Some("北京市朝阳区建国路88号"));
        assert_eq!(a.tags, vec!["VIP".to_string(), "老客户".to_string()]);
        let b = by_ref(&cs, "C002");
        assert_eq!(b.birth_date, chrono::NaiveDate::from_ymd_opt(1985, 3, 7));
        assert_eq!(b.gender, Some(Gender::Female));

        // Importing it again changes nothing.
        let again = import(&*store, &path, &opts(Entity::Customers)).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 3),
            "{again:?}"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn customers_from_korean_xlsx() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("고객.xlsx");
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        for (c, h) in ["고객번호", "이름", "성별", "생년월일", "연락처", "이메일"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h).expect("write");
        }
        ws.write_string(1, 0, "K1").expect("write");
        ws.write_string(1, 1, "김민준").expect("write");
        ws.write_string(1, 2, "남").expect("write");
        let d = rust_xlsxwriter::ExcelDateTime::from_ymd(1990, 12, 31).expect("date");
        ws.write_datetime_with_format(1, 3, &d, &date)
            .expect("write");
        ws.write_string(1, 4, "010-1234-5678").expect("write");
        ws.write_string(1, 5, "minjun@example.co.kr")
            .expect("write");
        ws.write_number(2, 0, 2.0).expect("write");
        ws.write_string(2, 1, "이서연").expect("write");
        ws.write_string(2, 5, "not an email").expect("write");
        wb.save(&path).expect("save");

        let r = import(&*store, &path, &opts(Entity::Customers)).await;
        assert_eq!((r.created, r.rejected), (1, 1), "{:?}: {r:?}", db.backend);
        assert_eq!(r.rejects[0].line, 3);
        assert_eq!(r.rejects[0].field.as_deref(), Some("email"));
        let cs = all_customers(&*store).await;
        let k = by_ref(&cs, "K1");
        assert_eq!(k.birth_date, chrono::NaiveDate::from_ymd_opt(1990, 12, 31));
        assert_eq!(k.gender, Some(Gender::Male));
        db.cleanup().await;
    }
}

const WITH_BAD_ROWS: &str = "ref,name,email,phone\n\
R1,Alice,alice@example.com,\n\
R2,Bob,not-an-email,\n\
R3,Carol,,12\n\
R4,Dave,dave@example.com,010-1234-5678\n";

#[tokio::test]
async fn bad_rows_go_to_the_rejects_file_and_good_rows_are_in() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "people.csv", WITH_BAD_ROWS.as_bytes());
        let r = import(&*store, &path, &opts(Entity::Customers)).await;
        assert_eq!(
            (r.rows, r.created, r.rejected),
            (4, 2, 2),
            "{:?}: {r:?}",
            db.backend
        );
        assert!(!r.refused);
        let rejects_file = r.rejects_file.clone().expect("rejects file");
        assert_eq!(rejects_file, dir.path().join("people.csv.rejects.csv"));
        let recs = read_csv(&rejects_file);
        assert_eq!(
            recs[0],
            ["line", "field", "reason", "ref", "name", "email", "phone"]
        );
        assert_eq!(recs[1][..2], ["3", "email"]);
        assert!(recs[1][2].contains("not-an-email"), "{:?}", recs[1]);
        assert_eq!(recs[1][3..], ["R2", "Bob", "not-an-email", ""]);
        assert_eq!(recs[2][..2], ["4", "phone"]);
        assert_eq!(recs.len(), 3);
        assert_eq!(
            r.rejects.iter().map(|x| x.line).collect::<Vec<_>>(),
            vec![3, 4]
        );

        let cs = all_customers(&*store).await;
        let mut refs: Vec<_> = cs.iter().filter_map(|c| c.external_ref.clone()).collect();
        refs.sort();
        assert_eq!(refs, ["R1", "R4"]);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn strict_with_a_bad_row_imports_nothing() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(dir.path(), "people.csv", WITH_BAD_ROWS.as_bytes());
        let out = dir.path().join("elsewhere.csv");
        let o = ImportOptions {
            strict: true,
            rejects_path: Some(out.clone()),
            ..opts(Entity::Customers)
        };
        let r = import(&*store, &path, &o).await;
        assert!(r.refused, "{r:?}");
        assert_eq!(
            (r.created, r.updated, r.unchanged, r.rejected),
            (0, 0, 0, 2)
        );
        assert_eq!(r.rejects_file.as_deref(), Some(out.as_path()));
        assert_eq!(read_csv(&out).len(), 3);
        assert_eq!(store.count_customers().await.expect("count"), 0);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn store_rejects_are_merged_with_parser_rejects_in_line_order() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let orgs = write(
            dir.path(),
            "orgs.csv",
            "ref,name,kind\nORG1,ACME,company\n".as_bytes(),
        );
        assert_eq!(
            import(&*store, &orgs, &opts(Entity::Customers))
                .await
                .created,
            1
        );
        let contacts = write(
            dir.path(),
            "contacts.csv",
            "客户编号,联系人,邮箱\nNOPE,王经理,wang@example.com\nORG1,李总,bad-email\nORG1,张主任,zhang@example.com\n"
                .as_bytes(),
        );
        let r = import(&*store, &contacts, &opts(Entity::Contacts)).await;
        assert_eq!((r.created, r.rejected), (1, 2), "{:?}: {r:?}", db.backend);
        let lines: Vec<_> = r
            .rejects
            .iter()
            .map(|x| (x.line, x.field.clone()))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, Some("customer_ref".to_string())),
                (3, Some("email".to_string()))
            ]
        );
        let recs = read_csv(r.rejects_file.as_deref().expect("file"));
        assert_eq!(recs[1][3..], ["NOPE", "王经理", "wang@example.com"]);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn export_customers_to_csv_and_xlsx_then_reimport_creates_nothing() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        store
            .create_user(UserInput {
                email: "li@example.com".into(),
                name: "Li".into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("user");
        let dir = tempfile::tempdir().expect("tempdir");
        let src = write(
            dir.path(),
            "in.csv",
            "ref,kind,name,gender,birth_date,phone,email,owner,tags,company,level,source,notes\n\
             E1,person,张伟,male,1980-05-06,138-0013-8000,zw@example.com,li@example.com,\"vip, 北京\",ACME,A,fair,\"two\nlines\"\n\
             E2,company,Hanbit 상사,,,02-555-0100,,,,,,,\n\
             E3,,Plain,,,,,,,,,,\n\
             E4,,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\",,,+86 138 0013 9999,,,,,,,@SUM(1)\n"
                .as_bytes(),
        );
        let r = import(&*store, &src, &opts(Entity::Customers)).await;
        assert_eq!((r.created, r.rejected), (4, 0), "{:?}: {r:?}", db.backend);

        let csv_out = dir.path().join("customers.csv");
        assert_eq!(
            export(&*store, ExportKind::Customers, &csv_out)
                .await
                .expect("csv"),
            4
        );
        let recs = read_csv(&csv_out);
        assert_eq!(recs[0], CUSTOMER_FIELDS);
        let e1 = recs.iter().find(|r| r[0] == "E1").expect("E1 row");
        assert_eq!(e1[8], "li@example.com", "owner as e-mail");
        assert_eq!(e1[10], "vip, 北京");
        assert_eq!(e1[15], "two\nlines");
        // Formula-looking cells are quoted for spreadsheets; the re-import below undoes it.
        let e4 = recs.iter().find(|r| r[0] == "E4").expect("E4 row");
        assert_eq!(e4[2], "'=HYPERLINK(\"http://evil.example\",\"x\")");
        assert_eq!(e4[5], "'+86 138 0013 9999");
        assert_eq!(e4[15], "'@SUM(1)");

        let xlsx_out = dir.path().join("customers.xlsx");
        assert_eq!(
            export(&*store, ExportKind::Customers, &xlsx_out)
                .await
                .expect("xlsx"),
            4
        );

        for path in [&csv_out, &xlsx_out] {
            let again = import(&*store, path, &opts(Entity::Customers)).await;
            assert_eq!(
                (
                    again.created,
                    again.updated,
                    again.unchanged,
                    again.rejected
                ),
                (0, 0, 4, 0),
                "{:?} re-import of {}: {again:?}",
                db.backend,
                path.display()
            );
        }

        let bad = export(
            &*store,
            ExportKind::Customers,
            &dir.path().join("customers.txt"),
        )
        .await;
        assert!(matches!(bad, Err(ExportError::Format(_))), "{bad:?}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn export_contacts_and_orders() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let orgs = write(
            dir.path(),
            "orgs.csv",
            "ref,name,kind\nORG1,ACME,company\n".as_bytes(),
        );
        import(&*store, &orgs, &opts(Entity::Customers)).await;
        let contacts = write(
            dir.path(),
            "contacts.csv",
            "customer_ref,name,title,mobile,birthday\nORG1,王经理,经理,13800138000,1970-02-03\nORG1,李总,总经理,,\n"
                .as_bytes(),
        );
        assert_eq!(
            import(&*store, &contacts, &opts(Entity::Contacts))
                .await
                .created,
            2
        );
        let orders = write(
            dir.path(),
            "orders.csv",
            "customer_ref,order_ref,date,product_ref,quantity,unit_price,currency\n\
             ORG1,SO-1,2024-03-05,P1,2,1.50,USD\n\
             ORG1,SO-1,2024-03-05,P2,1,10,USD\n\
             ORG1,SO-2,2024-04-01,P1,3,1.50,USD\n"
                .as_bytes(),
        );
        let r = import(&*store, &orders, &opts(Entity::Orders)).await;
        assert_eq!((r.created, r.rejected), (2, 0), "{:?}: {r:?}", db.backend);

        let c_out = dir.path().join("contacts.csv");
        assert_eq!(
            export(&*store, ExportKind::Contacts, &c_out)
                .await
                .expect("contacts"),
            2
        );
        let recs = read_csv(&c_out);
        assert_eq!(recs[0][0], "customer_ref");
        assert!(recs[1..].iter().all(|r| r[0] == "ORG1"));
        let again = import(&*store, &c_out, &opts(Entity::Contacts)).await;
        assert_eq!((again.created, again.unchanged), (0, 2), "{again:?}");

        let o_out = dir.path().join("orders.csv");
        assert_eq!(
            export(&*store, ExportKind::Orders, &o_out)
                .await
                .expect("orders"),
            3
        );
        let recs = read_csv(&o_out);
        let line = recs
            .iter()
            .find(|r| r[1] == "SO-1" && r[3] == "P1")
            .expect("SO-1 P1");
        assert_eq!(
            line[..],
            [
                "ORG1",
                "SO-1",
                "2024-03-05",
                "P1",
                "",
                "2",
                "1.50",
                "3.00",
                "USD",
                "no"
            ]
        );
        let again = import(&*store, &o_out, &opts(Entity::Orders)).await;
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 2),
            "{again:?}"
        );

        let x_out = dir.path().join("orders.xlsx");
        assert_eq!(
            export(&*store, ExportKind::Orders, &x_out)
                .await
                .expect("orders xlsx"),
            3
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn file_errors_stop_before_the_database() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let empty = write(dir.path(), "empty.csv", b"name,phone\n");
        let e = run_import(&*store, &empty, &opts(Entity::Customers), None)
            .await
            .expect_err("empty");
        assert!(e.to_string().contains("is empty"), "{e}");
        let unknown = write(dir.path(), "unknown.csv", "姓名,微信\n张三,zs\n".as_bytes());
        let e = run_import(&*store, &unknown, &opts(Entity::Customers), None)
            .await
            .expect_err("unknown");
        assert!(e.to_string().contains("--map '微信=-'"), "{e}");
        let same = ImportOptions {
            rejects_path: Some(unknown.clone()),
            ..opts(Entity::Customers)
        };
        let e = run_import(&*store, &unknown, &same, None)
            .await
            .expect_err("overwrite");
        assert!(e.to_string().contains("overwrite the input"), "{e}");
        db.cleanup().await;
    }
}

/// 60,000 order rows: more than two of the streamed import's chunks (25,000 rows), with
/// identical rows on both sides of each chunk boundary (separate purchases, keyed `…:1`, `…:2`).
fn many_orders(rows: usize, bad_line_at: Option<usize>) -> String {
    let mut s = String::from("customer_ref,date,product_ref,product_line,quantity,amount\n");
    for i in 0..rows {
        // Every row repeats the one 25,000 rows before it (same content, so a 2nd/3rd
        // occurrence), crossing the chunk boundaries.
        let k = i % 25_000;
        if Some(i) == bad_line_at {
            s.push_str(&format!("C{:05},2024-02-30,P001,Tea,1,9.99\n", k % 3000));
            continue;
        }
        s.push_str(&format!(
            "C{:05},2024-{:02}-{:02},P{:03},{},{},{}.{:02}\n",
            k % 3000,
            k % 12 + 1,
            k % 28 + 1,
            k % 40,
            ["Tea", "Gifts", "茶具"][k % 3],
            k % 4 + 1,
            k % 500 + 1,
            k % 100
        ));
    }
    s
}

/// External references of the customers a search finds, sorted.
async fn search_refs(store: &dyn Store, q: &str) -> Vec<String> {
    let page = store
        .list_customers(&CustomerQuery {
            q: Some(q.into()),
            limit: Some(50),
            ..Default::default()
        })
        .await
        .expect("search");
    let mut refs: Vec<String> = page
        .items
        .into_iter()
        .filter_map(|c| c.external_ref)
        .collect();
    refs.sort();
    refs
}

#[tokio::test]
async fn streamed_orders_import_spans_chunks_and_reimports_unchanged() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write(
            dir.path(),
            "orders.csv",
            many_orders(60_000, None).as_bytes(),
        );

        let first = import(&*store, &path, &opts(Entity::Orders)).await;
        assert_eq!(
            (first.rows, first.created, first.unchanged, first.rejected),
            (60_000, 60_000, 0, 0),
            "{:?}: {first:?}",
            db.backend
        );
        assert_eq!(store.count_customers().await.expect("count"), 3000);
        // Customers the import created are in the search index (on SQLite it is filled once,
        // at the end of the import, rather than row by row).
        let expected: Vec<String> = (1230..1240).map(|k| format!("C{k:05}")).collect();
        assert_eq!(search_refs(&*store, "C0123").await, expected);
        assert_eq!(search_refs(&*store, "c02999").await, ["C02999"]);

        let again = import(&*store, &path, &opts(Entity::Orders)).await;
        assert_eq!(
            (
                again.created,
                again.updated,
                again.unchanged,
                again.rejected
            ),
            (0, 0, 60_000, 0),
            "{:?}: {again:?}",
            db.backend
        );

        // With --strict, one bad row in the last chunk refuses everything written before it.
        let bad = write(
            dir.path(),
            "bad.csv",
            many_orders(55_000, Some(54_321))
                .replace("C0", "D0")
                .as_bytes(),
        );
        let strict = import(
            &*store,
            &bad,
            &ImportOptions {
                strict: true,
                ..opts(Entity::Orders)
            },
        )
        .await;
        assert!(strict.refused, "{strict:?}");
        assert_eq!((strict.created, strict.rejected), (0, 1));
        assert_eq!(strict.rejects[0].line, 54_321 + 2);
        assert_eq!(store.count_customers().await.expect("count"), 3000);

        // Without it, the good rows are in and the bad one is reported by line.
        let lenient = import(&*store, &bad, &opts(Entity::Orders)).await;
        assert_eq!((lenient.created, lenient.rejected), (54_999, 1));
        assert_eq!(store.count_customers().await.expect("count"), 6000);
        assert_eq!(search_refs(&*store, "D02999").await, ["D02999"]);
        assert_eq!(search_refs(&*store, "C02999").await, ["C02999"]);
        db.cleanup().await;
    }
}

/// A file of `rows` one-line orders, one customer per 10 rows; every 1,300th customer has a
/// Chinese name (so the two-character index must hold them); `bad_last` spoils the last row.
fn large_orders(rows: usize, bad_last: bool) -> String {
    let mut s = String::from("customer_ref,date,product_ref,product_line,quantity,amount\n");
    for k in 0..rows {
        let c = k / 10;
        let customer = if c % 130 == 0 {
            format!("张伟{c}")
        } else {
            format!("L{c:05}")
        };
        let amount = if bad_last && k + 1 == rows {
            "x".to_owned()
        } else {
            format!("{}.50", 10 + k % 90)
        };
        s.push_str(&format!(
            "{customer},2024-{:02}-{:02},P{:03},Line {},{},{amount}\n",
            1 + k % 12,
            1 + k % 28,
            k % 40,
            k % 4,
            1 + k % 3
        ));
    }
    s
}

/// A large import into an empty archive takes the bulk path (indexes, and on PostgreSQL foreign
/// keys, rebuilt once at the end; search indexes filled once). Whether it commits or is refused,
/// the schema afterwards is exactly what it was, and the imported customers are searchable,
/// by two Chinese characters too.
#[tokio::test]
async fn large_import_restores_the_schema_it_set_aside() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let before = db.schema_fingerprint().await;
        assert!(
            before.iter().any(|l| l.contains("orders_customer_date")),
            "{before:?}"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let rows = 52_000;

        // Refused (strict, the last row is bad): nothing is in, the schema is as before.
        let bad = write(dir.path(), "bad.csv", large_orders(rows, true).as_bytes());
        let strict = import(
            &*store,
            &bad,
            &ImportOptions {
                strict: true,
                ..opts(Entity::Orders)
            },
        )
        .await;
        assert!(
            strict.refused && strict.bulk,
            "{:?}: {strict:?}",
            db.backend
        );
        assert_eq!(store.count_customers().await.expect("count"), 0);
        assert_eq!(db.schema_fingerprint().await, before, "{:?}", db.backend);

        // --online: PostgreSQL keeps the row-by-row path (its bulk path locks tables); SQLite's
        // never blocks readers, so it restructures all the same.
        let online = import(
            &*store,
            &bad,
            &ImportOptions {
                strict: true,
                online: true,
                ..opts(Entity::Orders)
            },
        )
        .await;
        assert!(online.refused, "{:?}: {online:?}", db.backend);
        assert_eq!(
            online.bulk,
            db.backend == patron_store::Backend::Sqlite,
            "{:?}: {online:?}",
            db.backend
        );
        assert_eq!(store.count_customers().await.expect("count"), 0);
        assert_eq!(db.schema_fingerprint().await, before, "{:?}", db.backend);

        // Committed: everything is in, the schema is as before.
        let good = write(dir.path(), "good.csv", large_orders(rows, false).as_bytes());
        let r = import(&*store, &good, &opts(Entity::Orders)).await;
        assert_eq!(
            (r.created, r.rejected, r.bulk),
            (rows as u64, 0, true),
            "{:?}: {r:?}",
            db.backend
        );
        assert_eq!(store.count_customers().await.expect("count"), 5_200);
        assert_eq!(db.schema_fingerprint().await, before, "{:?}", db.backend);
        // SQLite: the import, the only connection, wrote with a rollback journal and returned
        // the file to WAL before it closed.
        assert_eq!(db.sqlite_journal_mode().as_deref().unwrap_or("wal"), "wal");
        let chinese: Vec<String> = (0..40).map(|i| format!("张伟{}", i * 130)).collect();
        let mut found = search_refs(&*store, "张伟").await;
        let mut want = chinese.clone();
        want.sort();
        found.sort();
        assert_eq!(found, want, "{:?}", db.backend);
        assert_eq!(search_refs(&*store, "L05199").await, ["L05199"]);

        // The models' folds of the orders are kept from here on (see `purchase_folds`).
        let end = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a day");
        let usd = Currency::default();
        let folded = |h: Vec<patron_store::analytics::PurchaseHistory>| {
            (h.len(), h.iter().map(|h| h.total_minor).sum::<i64>())
        };
        let cents = |n: usize| (0..n).map(|k| (10 + k as i64 % 90) * 100 + 50).sum::<i64>();
        assert_eq!(
            folded(store.purchase_histories(end, &usd).await.expect("folds")),
            (5_200, cents(rows)),
            "{:?}",
            db.backend
        );

        // The same rows and a tenth more, in bulk again (the file outnumbers the archive, so
        // every stored key is loaded up front): the known rows are unchanged, the rest new.
        let more = write(
            dir.path(),
            "more.csv",
            large_orders(rows + rows / 10, false).as_bytes(),
        );
        // Another connection holds the SQLite file open (as `patron serve` would), in a read
        // transaction: the import cannot leave WAL, takes the bulk path on WAL and never blocks
        // the reader, which keeps reading its snapshot meanwhile.
        let reader = patron_store::sqlite_path(&db.url).map(|path| {
            let conn = rusqlite::Connection::open(path).expect("open a reader");
            conn.execute_batch("BEGIN").expect("begin a read");
            let n: i64 = conn
                .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
                .expect("read");
            assert_eq!(n, rows as i64);
            conn
        });
        let again = import(&*store, &more, &opts(Entity::Orders)).await;
        if let Some(conn) = reader {
            let n: i64 = conn
                .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
                .expect("read its snapshot");
            assert_eq!(n, rows as i64, "the reader's snapshot");
            conn.execute_batch("COMMIT").expect("end the read");
            let n: i64 = conn
                .query_row("SELECT COUNT(*) FROM orders", [], |r| r.get(0))
                .expect("read again");
            assert_eq!(n, (rows + rows / 10) as i64, "after the import");
        }
        assert_eq!(db.sqlite_journal_mode().as_deref().unwrap_or("wal"), "wal");
        assert_eq!(
            (again.created, again.unchanged, again.bulk),
            ((rows / 10) as u64, rows as u64, true),
            "{:?}: {again:?}",
            db.backend
        );
        assert_eq!(db.schema_fingerprint().await, before, "{:?}", db.backend);
        // The bulk path bypassed the notes of changed customers and dropped the kept folds:
        // the next fold reads every order, the new ones with them.
        assert_eq!(
            folded(store.purchase_histories(end, &usd).await.expect("folds")),
            (5_720, cents(rows + rows / 10)),
            "{:?}",
            db.backend
        );
        db.cleanup().await;
    }
}

/// Every committed import is recorded (who, file, counts), and the records it created or changed
/// carry it in their history: field-level rows for customers and key persons, one summary row
/// per customer for orders. A dry run or a refused import leaves no trace.
#[tokio::test]
async fn imports_are_recorded_and_marked_in_the_history() {
    for db in TestDb::each().await {
        let store = connect(&db.url).await.expect("connect");
        let b = db.backend;
        let li = store
            .create_user(UserInput {
                email: "li@example.com".into(),
                name: "Li Na".into(),
                staff_level: StaffLevel::GeneralManager,
                manager_id: None,
            })
            .await
            .expect("user");
        let dir = tempfile::tempdir().expect("tempdir");
        let as_li = |entity| ImportOptions {
            by: Some(li.id),
            file_name: Some("客户 list.csv".into()),
            ..opts(entity)
        };
        let customers = write(
            dir.path(),
            "c.csv",
            "ref,name,phone\nK1,张三,13800000001\nK2,김민준,01012345678\n".as_bytes(),
        );

        // Neither a dry run nor a refused import is recorded.
        let dry = ImportOptions {
            dry_run: true,
            ..as_li(Entity::Customers)
        };
        import(&*store, &customers, &dry).await;
        let bad = write(
            dir.path(),
            "bad.csv",
            b"ref,name,email\nK9,X,not-an-email\n",
        );
        let strict = ImportOptions {
            strict: true,
            ..as_li(Entity::Customers)
        };
        assert!(import(&*store, &bad, &strict).await.refused);
        assert!(
            store
                .list_imports(None, 10)
                .await
                .expect("imports")
                .is_empty(),
            "{b:?}"
        );

        let r = import(&*store, &customers, &as_li(Entity::Customers)).await;
        assert_eq!(r.created, 2);
        let k1 = by_ref(&all_customers(&*store).await, "K1").id;
        let h = store.customer_history(k1, 10).await.expect("history");
        assert_eq!(h.len(), 1, "{b:?}: {h:?}");
        assert_eq!(
            (h[0].action.as_str(), h[0].user_id),
            ("create", Some(li.id))
        );
        assert_eq!(h[0].changes["name"]["after"], "张三");
        let first = h[0].import_id.expect("marked with its import");
        assert_eq!(h[0].import_file.as_deref(), Some("客户 list.csv"));

        // A re-import that changes a phone: a field-level update row, marked.
        let changed = write(
            dir.path(),
            "c2.csv",
            "ref,name,phone\nK1,张三,13800000009\nK2,김민준,01012345678\n".as_bytes(),
        );
        let r = import(&*store, &changed, &opts(Entity::Customers)).await;
        assert_eq!((r.updated, r.unchanged), (1, 1));
        let h = store.customer_history(k1, 10).await.expect("history");
        assert_eq!(h[0].action, "update");
        assert_eq!(h[0].user_id, None, "no --as: the command line");
        assert_eq!(
            h[0].changes["phone"],
            serde_json::json!({"before": "13800000001", "after": "13800000009"})
        );
        let second = h[0].import_id.expect("marked");
        assert_ne!(first, second);
        assert_eq!(
            h[0].import_file.as_deref(),
            Some("c2.csv"),
            "the path's name"
        );

        // Orders: one summary row per customer, new customers flagged as created.
        let orders = write(
            dir.path(),
            "o.csv",
            b"customer_ref,date,amount\nK1,2026-01-02,10.00\nK1,2026-02-03,12.50\nN1,2026-03-04,5.00\nZ9,bad-date,1\n",
        );
        let r = import(&*store, &orders, &as_li(Entity::Orders)).await;
        assert_eq!((r.created, r.rejected), (3, 1), "{b:?}");
        let h = store.customer_history(k1, 10).await.expect("history");
        assert_eq!(h[0].action, "import", "{b:?}: {h:?}");
        assert_eq!(h[0].changes["orders_created"], 2);
        assert!(h[0].changes.get("customer_created").is_none());
        assert_eq!(h[0].user_name.as_deref(), Some("Li Na"));
        let n1 = by_ref(&all_customers(&*store).await, "N1").id;
        let h = store.customer_history(n1, 10).await.expect("history");
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].changes["customer_created"], true);
        assert_eq!(h[0].changes["orders_created"], 1);

        let imports = store.list_imports(None, 10).await.expect("imports");
        assert_eq!(imports.len(), 3, "{b:?}: {imports:?}");
        let o = &imports[0];
        assert_eq!(
            (o.entity.as_str(), o.created, o.rejected, o.user_id),
            ("orders", 3, 1, Some(li.id))
        );
        assert_eq!(o.user_name.as_deref(), Some("Li Na"));
        assert_eq!((imports[1].updated, imports[1].unchanged), (1, 1));
        let mine = store.list_imports(Some(li.id), 10).await.expect("imports");
        assert_eq!(mine.len(), 2, "the command-line import is not Li's");

        // Importing the same orders again adds nothing and writes no summary rows.
        let r = import(&*store, &orders, &as_li(Entity::Orders)).await;
        assert_eq!((r.created, r.unchanged), (0, 3));
        let h = store.customer_history(k1, 10).await.expect("history");
        assert_eq!(h.iter().filter(|e| e.action == "import").count(), 1);
    }
}
