//! The real `patron` binary, on SQLite and PostgreSQL: the CLI contracts other tools rely on.

use assert_cmd::Command;
use patron_store::testkit::TestDb;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cdnow() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../patron-store/tests/data/CDNOW_sample.txt")
}

fn patron(db: &TestDb) -> Command {
    let mut c = Command::cargo_bin("patron").expect("binary");
    c.env_remove("PATRON_DATABASE_URL")
        .env_remove("PATRON_CONFIG")
        .arg("--db")
        .arg(&db.url);
    c
}

/// Runs and parses the one JSON document printed on stdout.
fn json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "failed: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn import_cdnow(db: &TestDb) -> Value {
    json(patron(db).args(["import", "orders"]).arg(cdnow()).args([
        "--no-header",
        "--delimiter",
        "whitespace",
        "--columns",
        "customer_ref,-,date,quantity,amount",
        "--date-format",
        "%Y%m%d",
        "--json",
    ]))
}

async fn each(f: impl Fn(&TestDb, &Path)) {
    for db in TestDb::each().await {
        let dir = tempfile::tempdir().expect("tempdir");
        eprintln!("-- backend {:?}", db.backend);
        f(&db, dir.path());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn cdnow_imports_as_it_is_and_reimports_to_nothing() {
    each(|db, _| {
        let first = import_cdnow(db);
        assert_eq!(first["created"], 6919);
        assert_eq!(first["updated"], 0);
        assert_eq!(first["unchanged"], 0);
        assert_eq!(first["rejected"], 0);
        assert_eq!(first["rejects_file"], Value::Null);
        let second = import_cdnow(db);
        assert_eq!(second["created"], 0);
        assert_eq!(second["unchanged"], 6919);
        // 2,357 customers, each with its orders; the list pages through all of them.
        let mut n = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut cmd = patron(db);
            cmd.args(["customers", "list", "--limit", "500", "--json"]);
            if let Some(c) = &cursor {
                cmd.args(["--cursor", c]);
            }
            let page = json(&mut cmd);
            n += page["items"].as_array().map(Vec::len).unwrap_or(0);
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        assert_eq!(n, 2357);
        let show = json(patron(db).args(["customers", "show", "00004", "--json"]));
        assert_eq!(show["orders"]["count"], 4);
        assert_eq!(show["orders"]["first_order_date"], "1997-01-01");
        assert_eq!(
            show["orders"]["revenue_total"][0]["amount_minor"],
            2933 + 2973 + 1496 + 2648
        );
    })
    .await;
}

#[tokio::test]
async fn customers_add_edit_show_list_search() {
    each(|db, _| {
        let c = json(patron(db).args([
            "customers",
            "add",
            "--name",
            "张三丰",
            "--phone",
            "+86 138-0013-8000",
            "--tag",
            "vip",
            "--json",
        ]));
        let id = c["id"].as_i64().expect("id");
        assert_eq!(c["kind"], "person");
        json(patron(db).args([
            "customers",
            "add",
            "--name",
            "김민준",
            "--kind",
            "organisation",
            "--ref",
            "K-1",
            "--json",
        ]));
        let page = json(patron(db).args(["customers", "list", "--query", "张三", "--json"]));
        let items = page["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["name"], "张三丰");
        assert!(page.get("next_cursor").is_some());
        let page = json(patron(db).args(["customers", "list", "-q", "김민", "--json"]));
        assert_eq!(page["items"][0]["ref"], "K-1");
        let edited = json(patron(db).args([
            "customers",
            "edit",
            &id.to_string(),
            "--email",
            "zsf@example.cn",
            "--clear",
            "tags",
            "--json",
        ]));
        assert_eq!(edited["email"], "zsf@example.cn");
        assert_eq!(edited["tags"], serde_json::json!([]));
        let ov = json(patron(db).args(["customers", "show", "K-1", "--json"]));
        let codes: Vec<&str> = ov["warnings"]
            .as_array()
            .expect("w")
            .iter()
            .filter_map(|w| w["code"].as_str())
            .collect();
        assert_eq!(
            codes,
            vec!["few_key_persons", "missing_phone", "missing_email"]
        );
        // Invalid input: a clear error naming the field, non-zero exit, nothing written.
        let out = patron(db)
            .args(["customers", "add", "--name", "X", "--email", "nope"])
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("email"));
        let out = patron(db)
            .args(["customers", "add", "--name", "X", "--stage", "lost"])
            .output()
            .expect("run");
        assert!(String::from_utf8_lossy(&out.stderr).contains("churn_reason"));
        let page = json(patron(db).args(["customers", "list", "--json"]));
        assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    })
    .await;
}

#[tokio::test]
async fn export_reimports_cleanly_in_csv_and_xlsx() {
    each(|db, dir| {
        let customers = dir.join("c.csv");
        std::fs::write(
            &customers,
            "客户编号,姓名,电话,邮箱,地址,标签\nC1,张三丰,13800138000,zsf@example.cn,北京市,vip\nC2,李四,13900139000,,上海市,\n",
        )
        .expect("write");
        let r = json(patron(db).args(["import", "customers"]).arg(&customers).arg("--json"));
        assert_eq!(r["created"], 2);
        import_cdnow(db);
        for ext in ["csv", "xlsx"] {
            let out = dir.join(format!("customers.{ext}"));
            let e = json(patron(db).args(["export", "customers"]).arg(&out).arg("--json"));
            assert_eq!(e["rows"], 2359);
            let again = json(patron(db).args(["import", "customers"]).arg(&out).arg("--json"));
            assert_eq!(again["created"], 0, "{ext}: {again}");
            assert_eq!(again["updated"], 0, "{ext}: {again}");
            assert_eq!(again["unchanged"], 2359, "{ext}: {again}");
        }
        let orders = dir.join("orders.csv");
        let e = json(patron(db).args(["export", "orders"]).arg(&orders).arg("--json"));
        assert_eq!(e["rows"], 6919);
        // Orders without numbers (CDNOW) re-import from their own export without doubling.
        let again = json(patron(db).args(["import", "orders"]).arg(&orders).arg("--json"));
        assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(6919)), "{again}");
    })
    .await;
}

#[tokio::test]
async fn bad_files_are_reported_with_line_and_reason() {
    each(|db, dir| {
        let empty = dir.join("empty.csv");
        std::fs::write(&empty, "").expect("write");
        let out = patron(db).args(["import", "customers"]).arg(&empty).output().expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("empty"), "{}", String::from_utf8_lossy(&out.stderr));

        let unknown = dir.join("unknown.csv");
        std::fs::write(&unknown, "name,shoe size\nA,42\n").expect("write");
        let out = patron(db).args(["import", "customers"]).arg(&unknown).output().expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("shoe size"));

        let orders = dir.join("orders.csv");
        std::fs::write(
            &orders,
            "customer_ref,date,quantity,amount\nA,2024-01-02,1,10.00\nB,2024-01-03,-2,5.00\nC,2024-13-01,1,5.00\nD,2024-01-04,1,12.50\n",
        )
        .expect("write");
        let r = json(patron(db).args(["import", "orders"]).arg(&orders).arg("--json"));
        assert_eq!((r["created"].as_u64(), r["rejected"].as_u64()), (Some(2), Some(2)));
        let rejects = PathBuf::from(r["rejects_file"].as_str().expect("rejects file"));
        let text = std::fs::read_to_string(&rejects).expect("rejects");
        assert!(text.contains("quantity") && text.contains("date"), "{text}");
        assert!(text.contains("\n3,") || text.contains("\"3\""), "line numbers in {text}");

        // --strict: the same file imports nothing and exits non-zero.
        let strict_db_orders = dir.join("strict.csv");
        std::fs::write(&strict_db_orders, "customer_ref,date,quantity,amount\nS1,2024-01-02,1,10.00\nS2,2024-01-03,0,5.00\n").expect("write");
        let out = patron(db).args(["import", "orders"]).arg(&strict_db_orders).args(["--strict", "--json"]).output().expect("run");
        assert!(!out.status.success());
        let page = json(patron(db).args(["customers", "list", "-q", "S1", "--json"]));
        assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
        // --dry-run counts and changes nothing.
        let dry = dir.join("dry.csv");
        std::fs::write(&dry, "customer_ref,date,amount\nZ9,2024-01-02,1.00\n").expect("write");
        let r = json(patron(db).args(["import", "orders"]).arg(&dry).args(["--dry-run", "--json"]));
        assert_eq!(r["created"], 1);
        let page = json(patron(db).args(["customers", "list", "-q", "Z9", "--json"]));
        assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    })
    .await;
}

#[tokio::test]
async fn duplicates_and_merge() {
    each(|db, _| {
        let a = json(patron(db).args([
            "customers",
            "add",
            "--name",
            "Acme Trading Ltd",
            "--phone",
            "555-0100",
            "--json",
        ]));
        let b = json(patron(db).args([
            "customers",
            "add",
            "--name",
            "ACME Trading Ltd.",
            "--email",
            "acme@example.com",
            "--json",
        ]));
        let d = json(patron(db).args(["duplicates", "--json"]));
        let items = d["items"].as_array().expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["reason"], "similar_name");
        let m = json(patron(db).args([
            "merge",
            &a["id"].to_string(),
            &b["id"].to_string(),
            "--json",
        ]));
        assert_eq!(m["kept"], a["id"]);
        assert!(m["fields_filled"]
            .as_array()
            .expect("filled")
            .iter()
            .any(|f| f == "email"));
        let d = json(patron(db).args(["duplicates", "--json"]));
        assert_eq!(d["items"].as_array().map(Vec::len), Some(0));
    })
    .await;
}

/// The demo fits the customer-base models and scores every buyer, so the gold list and the
/// customer pages show P(alive) and lifetime value from the start; a demo too small for the
/// spend model says so (`scored: null`) instead of failing.
#[tokio::test]
async fn demo_scores_its_buyers() {
    each(|db, _| {
        let r = json(patron(db).args(["demo", "--no-serve", "--json"]));
        let scored = r["scored"].as_u64().unwrap_or(0);
        assert!(scored > 200 && scored <= 300, "{r}");
        let fit = json(patron(db).args(["model", "score", "--json"]));
        assert_eq!(fit["scored"].as_u64(), Some(scored), "{fit}");
        let gold = json(patron(db).args(["lists", "gold", "--json"]));
        let rows = gold["rows"].as_array().map_or(0, Vec::len);
        assert!(rows > 0, "{gold}");
        let small = json(patron(db).args(["demo", "--customers", "10", "--no-serve", "--json"]));
        assert!(small["scored"].is_null(), "{small}");
        assert_eq!(small["report"]["customers"], 10);
    })
    .await;
}

#[tokio::test]
async fn demo_generates_deterministically_and_protects_real_data() {
    each(|db, _| {
        let r = json(patron(db).args(["demo", "--customers", "60", "--no-serve", "--json"]));
        assert_eq!(r["report"]["customers"], 60);
        assert!(r["report"]["orders"].as_u64().unwrap_or(0) > 100);
        // Classified from the start, and the biggest organisations buy on credit.
        let abc = &r["classified"]["abc"];
        let graded: u64 = ["A", "B", "C"].iter().filter_map(|k| abc[k].as_u64()).sum();
        assert_eq!(graded, 60, "{r}");
        let on_credit = r["on_credit"].as_u64().unwrap_or(0);
        assert!(on_credit > 0 && on_credit <= 12, "{r}");
        let credit = json(patron(db).args(["lists", "credit", "--json"]));
        assert_eq!(
            credit["rows"].as_array().map(|a| a.len() as u64),
            Some(on_credit)
        );
        // Complaints of the last year, one of them overdue, and big customers who complained
        // more than once on the complaining list.
        let complaints = r["report"]["complaints"].as_u64().unwrap_or(0);
        assert!(complaints > 0, "{r}");
        let all = json(patron(db).args(["complaints", "list", "--json"]));
        assert_eq!(
            all["items"].as_array().map(|a| a.len() as u64),
            Some(complaints)
        );
        // The method's questionnaire with answers, summed; a public link for a customer.
        let surveys = json(patron(db).args(["surveys", "list", "--json"]));
        let sid = surveys["items"][0]["id"].as_i64().expect("a survey");
        assert!(
            surveys["items"][0]["responses"].as_i64().unwrap_or(0) > 0,
            "{surveys}"
        );
        let shown = json(patron(db).args(["surveys", "show", &sid.to_string(), "--json"]));
        assert_eq!(
            shown["summary"]["aspects"][0]["aspect"], "product",
            "{shown}"
        );
        let first = json(patron(db).args(["customers", "list", "--limit", "1", "--json"]));
        let cid = first["items"][0]["id"]
            .as_i64()
            .expect("a customer")
            .to_string();
        let link = json(patron(db).args([
            "surveys",
            "link",
            "--customer",
            &cid,
            "--survey",
            &sid.to_string(),
            "--language",
            "zh-TW",
            "--base",
            "https://crm.example.com/",
            "--json",
        ]));
        assert!(
            link["url"]
                .as_str()
                .unwrap_or("")
                .starts_with("https://crm.example.com/p/"),
            "{link}"
        );
        assert_eq!(link["link"]["language"], "zh-TW");
        let err = patron(db)
            .args([
                "surveys",
                "link",
                "--customer",
                &cid,
                "--survey",
                &sid.to_string(),
                "--days",
                "400",
            ])
            .output()
            .expect("run");
        assert!(!err.status.success());
        assert!(
            String::from_utf8_lossy(&err.stderr).contains("--days"),
            "{err:?}"
        );
        let overdue = json(patron(db).args(["complaints", "list", "--overdue", "--json"]));
        assert!(!overdue["items"].as_array().expect("items").is_empty());
        let complaining = json(patron(db).args(["lists", "complaining", "--json"]));
        assert!(
            !complaining["rows"].as_array().expect("rows").is_empty(),
            "{complaining}"
        );
        let first = json(patron(db).args(["customers", "list", "--limit", "60", "--json"]));
        // Rebuilding a demo database is allowed and gives the same customers.
        json(patron(db).args(["demo", "--customers", "60", "--no-serve", "--json"]));
        let second = json(patron(db).args(["customers", "list", "--limit", "60", "--json"]));
        let names = |v: &Value| {
            v["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|c| c["name"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&first), names(&second));
    })
    .await;
    // A database with real customers is not replaced without --force.
    let db = TestDb::sqlite();
    json(patron(&db).args(["customers", "add", "--name", "Real", "--json"]));
    let out = patron(&db)
        .args(["demo", "--customers", "10", "--no-serve"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    db.cleanup().await;
}

#[tokio::test]
async fn custom_fields_are_defined_and_enforced() {
    each(|db, _| {
        let d = json(patron(db).args([
            "custom-fields",
            "add",
            "--key",
            "tier",
            "--label",
            "Tier",
            "--type",
            "choice",
            "--choice",
            "gold",
            "--choice",
            "silver",
            "--json",
        ]));
        assert_eq!(d["field_type"], "choice");
        let l = json(patron(db).args(["custom-fields", "list", "--json"]));
        assert_eq!(
            l["items"][0]["choices"],
            serde_json::json!(["gold", "silver"])
        );
        let out = patron(db)
            .args([
                "custom-fields",
                "add",
                "--key",
                "x",
                "--label",
                "X",
                "--type",
                "colour",
            ])
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--type"));
    })
    .await;
}

#[test]
fn config_masks_secrets_and_help_works_everywhere() {
    let out = Command::cargo_bin("patron")
        .expect("bin")
        .args([
            "--db",
            "postgres://u:hunter2@localhost/x",
            "config",
            "--json",
        ])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["database_url"], "postgres://u:***@localhost/x");
    assert_eq!(v["secure_cookies"], false);
    // Secure cookies from patron.toml.
    let dir = tempfile::tempdir().expect("dir");
    let toml = dir.path().join("patron.toml");
    std::fs::write(&toml, "secure_cookies = true\n").expect("toml");
    let out = Command::cargo_bin("patron")
        .expect("bin")
        .args(["--config", &toml.display().to_string(), "config", "--json"])
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["secure_cookies"], true);
    let help = Command::cargo_bin("patron")
        .expect("bin")
        .args(["serve", "--help"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&help.stdout).contains("--secure-cookies"));
    for sub in [
        vec!["--help"],
        vec!["import", "--help"],
        vec!["customers", "list", "--help"],
        vec!["demo", "--help"],
        vec!["merge", "--help"],
    ] {
        Command::cargo_bin("patron")
            .expect("bin")
            .args(&sub)
            .assert()
            .success();
    }
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_token_create_prints_a_bearer_token() {
    each(|db, _| {
        let admin = json(
            patron(db)
                .args(["user", "add", "boss@example.com", "--admin", "--json"])
                .write_stdin("a long enough password\n"),
        );
        assert_eq!(admin["staff_level"], "administrator");
        let rep = json(
            patron(db)
                .args([
                    "user",
                    "add",
                    "rep@example.com",
                    "--role",
                    "sales",
                    "--name",
                    "김민준",
                    "--manager",
                    "boss@example.com",
                    "--json",
                ])
                .write_stdin("another long password\n"),
        );
        assert_eq!(rep["staff_level"], "sales_representative");
        assert_eq!(rep["name"], "김민준");
        assert_eq!(rep["manager_id"], admin["id"]);
        // Too short a password is refused, and so is an unknown role.
        patron(db)
            .args(["user", "add", "x@example.com", "--role", "sales"])
            .write_stdin("short\n")
            .assert()
            .failure();
        patron(db)
            .args(["user", "add", "x@example.com", "--role", "king"])
            .write_stdin("a long enough password\n")
            .assert()
            .failure();
        let r =
            json(patron(db).args(["user", "set-role", "rep@example.com", "director", "--json"]));
        assert_eq!(r["staff_level"], "marketing_director");
        let list = json(patron(db).args(["user", "list", "--json"]));
        assert_eq!(list.as_array().map(Vec::len), Some(2));
        patron(db)
            .args(["user", "reset-password", "rep@example.com"])
            .write_stdin("a brand new password\n")
            .assert()
            .success();
        let t = json(patron(db).args(["token", "create", "rep@example.com", "--json"]));
        let token = t["token"].as_str().expect("token");
        assert!(token.starts_with("patron_"), "{token}");
        let plain = patron(db)
            .args(["token", "create", "rep@example.com"])
            .output()
            .expect("run");
        assert!(plain.status.success());
        assert!(String::from_utf8_lossy(&plain.stdout)
            .trim()
            .starts_with("patron_"));
    })
    .await;
}

#[tokio::test]
async fn export_as_a_user_applies_their_scope() {
    each(|db, dir| {
        for (email, role) in [("ann@example.com", "sales"), ("ben@example.com", "sales")] {
            json(
                patron(db)
                    .args(["user", "add", email, "--role", role, "--json"])
                    .write_stdin("a long enough password\n"),
            );
        }
        json(
            patron(db)
                .args(["user", "add", "boss@example.com", "--role", "manager", "--json"])
                .write_stdin("a long enough password\n"),
        );
        json(patron(db).args(["user", "add", "ann2@example.com", "--role", "sales", "--manager", "boss@example.com", "--json"]).write_stdin("a long enough password\n"));
        let customers = dir.join("c.csv");
        std::fs::write(
            &customers,
            "ref,name,owner\nA1,张伟,ann@example.com\nA2,김민준,ann@example.com\nB1,李娜,ben@example.com\nT1,王芳,ann2@example.com\nN1,Nobody's,\n",
        )
        .expect("write");
        let r = json(patron(db).args(["import", "customers"]).arg(&customers).arg("--json"));
        assert_eq!(r["created"], 5, "{r}");
        let export = |who: Option<&str>| {
            let out = dir.join(format!("out-{}.csv", who.unwrap_or("all")));
            let mut cmd = patron(db);
            cmd.args(["export", "customers"]).arg(&out).arg("--json");
            if let Some(w) = who {
                cmd.args(["--as", w]);
            }
            let e = json(&mut cmd);
            let text = std::fs::read_to_string(&out).expect("read");
            let mut refs: Vec<String> = text
                .lines()
                .skip(1)
                .filter_map(|l| l.split(',').next().map(str::to_owned))
                .collect();
            refs.sort();
            assert_eq!(e["rows"].as_u64(), Some(refs.len() as u64));
            refs
        };
        assert_eq!(export(None), vec!["A1", "A2", "B1", "N1", "T1"]);
        assert_eq!(export(Some("ann@example.com")), vec!["A1", "A2"]);
        assert_eq!(export(Some("BEN@example.com")), vec!["B1"]);
        assert_eq!(export(Some("boss@example.com")), vec!["T1"]);
        // An unknown user is an error, not an export of everything.
        let out = patron(db)
            .args(["export", "customers"])
            .arg(dir.join("x.csv"))
            .args(["--as", "nobody@example.com"])
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("nobody@example.com"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!dir.join("x.csv").exists());
    })
    .await;
}

/// Relative distance of `got` from `want`.
fn rel(got: &Value, want: f64) -> f64 {
    let g = got.as_f64().unwrap_or(f64::NAN);
    ((g - want) / want).abs()
}

/// The CDNOW log imported as it is and fitted over its 39-week calibration period gives the
/// published BG/NBD and Gamma-Gamma parameters (Fader, Hardie & Lee 2005), on both databases.
#[tokio::test]
async fn model_fit_reproduces_the_published_cdnow_parameters() {
    each(|db, _| {
        // An empty archive: a defined answer, no parameters, exit status 1.
        let out = patron(db)
            .args(["model", "fit", "--json"])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1));
        let empty: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(empty["bgnbd"], Value::Null);
        assert_eq!(empty["gamma_gamma"], Value::Null);
        assert!(empty["errors"]["bgnbd"].as_str().is_some(), "{empty}");

        import_cdnow(db);
        let fit = json(patron(db).args([
            "model",
            "fit",
            "--calibration-end",
            "1997-09-30",
            "--unit",
            "week",
            "--json",
        ]));
        let bg = &fit["bgnbd"];
        for (k, want) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
            assert!(rel(&bg[k], want) < 0.005, "BG/NBD {k}: {} vs {want}", bg[k]);
        }
        let ll = bg["log_likelihood"].as_f64().unwrap_or(f64::NAN);
        assert!((ll - -9582.4).abs() < 0.1, "log-likelihood {ll}");
        assert_eq!(bg["customers"], 2357);
        assert_eq!(bg["converged"], true);
        let gg = &fit["gamma_gamma"];
        for (k, want) in [("p", 6.25), ("q", 3.74), ("gamma", 15.44)] {
            assert!(
                rel(&gg[k], want) < 0.01,
                "Gamma-Gamma {k}: {} vs {want}",
                gg[k]
            );
        }
        assert_eq!(gg["converged"], true);
        assert_eq!(fit["unit"], "week");
        assert_eq!(fit["calibration_end"], "1997-09-30");

        // Fitted again, the kept fit starts the optimisers: the same parameters, no iteration.
        let fit_as_of = |day: &str| {
            json(patron(db).args([
                "model",
                "fit",
                "--calibration-end",
                day,
                "--unit",
                "week",
                "--json",
            ]))
        };
        let again = fit_as_of("1997-09-30");
        for k in ["r", "alpha", "a", "b"] {
            assert_eq!(again["bgnbd"][k], bg[k], "{k}");
        }
        assert_eq!(again["bgnbd"]["iterations"], 0);
        assert_eq!(again["gamma_gamma"]["iterations"], 0);
        // From the fit of a week earlier: the published parameters in fewer iterations.
        fit_as_of("1997-09-23");
        let warm = fit_as_of("1997-09-30");
        let iterations = |f: &Value, m: &str| f[m]["iterations"].as_u64().unwrap_or(u64::MAX);
        for m in ["bgnbd", "gamma_gamma"] {
            assert!(iterations(&warm, m) < iterations(&fit, m), "{m}: {warm}");
        }
        for (k, want) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
            assert!(rel(&warm["bgnbd"][k], want) < 0.005, "{k}: {warm}");
        }
        for (k, want) in [("p", 6.25), ("q", 3.74), ("gamma", 15.44)] {
            assert!(rel(&warm["gamma_gamma"][k], want) < 0.01, "{k}: {warm}");
        }

        // Scoring with that fit: every customer, probabilities in [0, 1], values finite, and the
        // 39 weeks after the calibration end predicted in total close to what happened (the
        // papers' holdout: about 1,800 repeat purchases in weeks 40-78).
        let scores = json(patron(db).args(["model", "score", "--horizon", "39w", "--json"]));
        let rows = scores["customers"].as_array().expect("customers");
        assert_eq!(rows.len(), 2357);
        assert_eq!(scores["as_of"], "1997-09-30");
        let mut total = 0.0;
        for r in rows {
            let p = r["p_alive"].as_f64().expect("p_alive");
            assert!((0.0..=1.0).contains(&p), "{r}");
            total += r["expected_purchases"]
                .as_f64()
                .expect("expected purchases");
            assert!(r["expected_spend"].as_f64().expect("spend") > 0.0, "{r}");
            assert!(r["clv"].as_f64().expect("clv") >= 0.0, "{r}");
        }
        assert!(
            (1500.0..2100.0).contains(&total),
            "expected repeat purchases {total}"
        );
        let c4 = rows
            .iter()
            .find(|r| r["customer_ref"] == "00004")
            .expect("customer 00004");
        assert!(c4["clv"].as_f64().unwrap_or(0.0) > 0.0, "{c4}");
        // Without a fit there is nothing to score with: a clear error.
        let out = patron(db)
            .args(["model", "score", "--horizon", "sometime"])
            .output()
            .expect("run");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--horizon"));
    })
    .await;
}

/// The CDNOW customers' revenue up to a day, in cents, by customer reference (read from the file
/// itself, independently of the import).
fn cdnow_revenue(until: &str) -> std::collections::BTreeMap<String, i64> {
    let text = std::fs::read_to_string(cdnow()).expect("cdnow");
    let mut by = std::collections::BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 5 && f[2] <= until {
            let cents = (f[4].parse::<f64>().expect("amount") * 100.0).round() as i64;
            *by.entry(f[0].to_owned()).or_insert(0) += cents;
        }
    }
    by
}

/// `patron classify --json` on the CDNOW log: the revenue-share cut agrees with the file's own
/// figures, a second run changes nothing, a run as of an earlier day fills the movement matrix,
/// and the list filters by class.
#[tokio::test]
async fn classify_grades_the_cdnow_customers_by_revenue_share() {
    each(|db, _| {
        import_cdnow(db);
        let r = json(patron(db).args(["classify", "--as-of", "1997-09-30", "--json"]));
        // The expected A count: customers sorted by revenue, A while the revenue before them is
        // under 80% of the total.
        let mut revenue: Vec<i64> = cdnow_revenue("19970930")
            .into_values()
            .filter(|v| *v > 0)
            .collect();
        revenue.sort_unstable_by(|a, b| b.cmp(a));
        let total: i64 = revenue.iter().sum();
        let (mut before, mut a, mut b) = (0i64, 0u64, 0u64);
        for v in &revenue {
            if (before as f64) < 0.80 * total as f64 - 1e-6 {
                a += 1;
            } else if (before as f64) < 0.95 * total as f64 - 1e-6 {
                b += 1;
            }
            before += v;
        }
        assert_eq!(r["customers"], 2357, "{r}");
        assert_eq!(r["abc"]["A"], a, "{r}");
        assert_eq!(r["abc"]["B"], b, "{r}");
        assert_eq!(r["abc"]["C"], 2357 - a - b);
        assert_eq!(r["revenue_by_abc"].as_object().map(|o| o.len()), Some(3));
        assert_eq!(
            r["changes"],
            2357 * 2 + 2357,
            "ABC, loyalty and RFM are all new: {r}"
        );
        let again = json(patron(db).args(["classify", "--as-of", "1997-09-30", "--json"]));
        assert_eq!(again["changes"], 0);

        let past = json(patron(db).args(["classify", "--as-of", "1997-03-31", "--json"]));
        assert_eq!(past["current"], false);
        let mv = json(patron(db).args([
            "classes",
            "movement",
            "--from",
            "1997-03-31",
            "--to",
            "1997-09-30",
            "--json",
        ]));
        let cells = mv["movement"].as_array().expect("cells");
        let moved: i64 = cells.iter().filter_map(|c| c["customers"].as_i64()).sum();
        assert_eq!(moved, 2357, "{mv}");
        // Every CDNOW customer first bought in the first quarter, so all were graded on both
        // days, and some changed class between them.
        assert!(cells.iter().all(|c| !c["from"].is_null()), "{mv}");
        assert!(cells.iter().any(|c| c["from"] != c["to"]), "{mv}");

        let list = json(patron(db).args([
            "customers",
            "list",
            "--abc",
            "A",
            "--limit",
            "500",
            "--json",
        ]));
        assert_eq!(
            list["items"].as_array().map(|i| i.len() as u64),
            Some(a.min(500))
        );
        let bad = patron(db)
            .args(["customers", "list", "--abc", "Z"])
            .output()
            .expect("run");
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--abc"));
        let bad = patron(db)
            .args(["classes", "rules", "--set", "abc.revenue_a=1.2"])
            .output()
            .expect("run");
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("abc.revenue_a"));
        let rules = json(patron(db).args([
            "classes",
            "rules",
            "--set",
            "abc.method=customer_share",
            "--json",
        ]));
        assert_eq!(rules["abc"]["method"], "customer_share");
        let r = json(patron(db).args(["classify", "--as-of", "1997-09-30", "--json"]));
        // The top 20% of the buyers (ceil) are A.
        let buyers = revenue.len() as f64;
        assert_eq!(r["abc"]["A"], (0.2 * buyers - 1e-9).ceil() as u64, "{r}");
    })
    .await;
}

/// Runs and returns standard error of a command that must fail.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(!out.status.success(), "should have failed");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn credit_review_pay_show_accounts_and_policy() {
    each(|db, dir| {
        let boss = json(
            patron(db)
                .args([
                    "user",
                    "add",
                    "boss@example.com",
                    "--role",
                    "manager",
                    "--json",
                ])
                .write_stdin("a long enough password\n"),
        );
        json(
            patron(db)
                .args([
                    "user",
                    "add",
                    "rep@example.com",
                    "--role",
                    "sales",
                    "--json",
                ])
                .write_stdin("another long password\n"),
        );
        let c = json(patron(db).args([
            "customers",
            "add",
            "--name",
            "王记商行",
            "--ref",
            "W-1",
            "--kind",
            "organisation",
            "--json",
        ]));
        let id = c["id"].as_i64().expect("id");

        // Granting credit: validated by flag; a representative cannot be named as reviewer.
        let e = fails(patron(db).args(["credit", "review", "W-1", "--class", "B"]));
        assert!(e.contains("--class"), "{e}");
        let e = fails(patron(db).args([
            "credit",
            "review",
            "W-1",
            "--class",
            "A",
            "--date",
            "2999-01-01",
        ]));
        assert!(e.contains("--date"), "{e}");
        let e = fails(patron(db).args([
            "credit",
            "review",
            "W-1",
            "--class",
            "A",
            "--as",
            "rep@example.com",
        ]));
        assert!(e.contains("sales representative"), "{e}");
        let r = json(patron(db).args([
            "credit",
            "review",
            "W-1",
            "--class",
            "AA",
            "--limit",
            "50,000",
            "--term-days",
            "30",
            "--date",
            "2025-01-01",
            "--notes",
            "references checked",
            "--as",
            "boss@example.com",
            "--json",
        ]));
        assert_eq!(r["class"], "AA");
        assert_eq!(r["limit_minor"], 5_000_000);
        assert_eq!(r["term_days"], 30);
        assert_eq!(r["reviewer_id"], boss["id"]);

        // Imports are not checked: they record history, here 60,000 against a 50,000 limit.
        let file = dir.join("orders.csv");
        std::fs::write(
            &file,
            "customer_ref,date,quantity,amount\nW-1,2025-02-01,1,30000\nW-1,2025-03-01,1,30000\n",
        )
        .expect("csv");
        let imported = json(
            patron(db)
                .args(["import", "orders"])
                .arg(&file)
                .arg("--json"),
        );
        assert_eq!(imported["created"], 2, "{imported}");

        let p = json(patron(db).args([
            "credit",
            "pay",
            "W-1",
            "12,000",
            "--date",
            "2025-03-10",
            "--reference",
            "TT-1",
            "--json",
        ]));
        assert_eq!(p["amount_minor"], 1_200_000);
        assert_eq!(p["reference"], "TT-1");
        let e = fails(patron(db).args(["credit", "pay", "W-1", "0"]));
        assert!(e.contains("AMOUNT"), "{e}");

        // 60,000 - 12,000: February's order is 18,000 short, March's unpaid; both long overdue.
        let show = json(patron(db).args(["credit", "show", &format!("#{id}"), "--json"]));
        let k = &show["credit"];
        assert_eq!(k["class"], "AA");
        assert_eq!(k["balance"]["outstanding_minor"], 4_800_000);
        assert_eq!(k["balance"]["overdue_minor"], 4_800_000);
        assert_eq!(k["balance"]["oldest_overdue_due"], "2025-03-03");
        assert!(k["balance"]["days_overdue"].as_i64().unwrap_or(0) > 0);
        assert_eq!(k["available_minor"], 200_000);
        assert_eq!(show["payments"].as_array().map(Vec::len), Some(1));
        assert_eq!(show["reviews"][0]["notes"], "references checked");
        let text = patron(db)
            .args(["credit", "show", "W-1"])
            .output()
            .expect("run");
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("outstanding") && text.contains("48000.00 USD"),
            "{text}"
        );

        let all = json(patron(db).args(["credit", "accounts", "--json"]));
        assert_eq!(all["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(all["items"][0]["name"], "王记商行");
        assert_eq!(all["items"][0]["overdue_minor"], 4_800_000);
        let rep =
            json(patron(db).args(["credit", "accounts", "--as", "rep@example.com", "--json"]));
        assert_eq!(rep["items"].as_array().map(Vec::len), Some(0));

        // The default terms per class.
        let pol = json(patron(db).args(["credit", "policy", "--set", "AA.limit=60000", "--json"]));
        assert_eq!(pol["policy"]["AA"]["limit_minor"], 6_000_000);
        let e = fails(patron(db).args(["credit", "policy", "--set", "none.limit=5"]));
        assert!(e.contains("none.limit_minor"), "{e}");
        let r = json(patron(db).args(["credit", "review", "W-1", "--class", "aa", "--json"]));
        assert_eq!(r["limit_minor"], 6_000_000);
        patron(db)
            .args(["credit", "review", "--help"])
            .assert()
            .success();
    })
    .await;
}

/// `patron satisfaction`: staff record product and service satisfaction; the latest of each
/// gives the loyalty-matrix quadrant (unknown until both are known).
#[tokio::test]
async fn satisfaction_ratings_give_the_loyalty_matrix_quadrant() {
    each(|db, _| {
        let c = json(patron(db).args(["customers", "add", "--name", "满意度客户", "--json"]));
        let id = format!("#{}", c["id"]);
        let r = json(patron(db).args([
            "satisfaction",
            &id,
            "--aspect",
            "product",
            "--score",
            "4",
            "--json",
        ]));
        assert_eq!(r["quadrant"], "unknown", "{r}");
        let r = json(patron(db).args([
            "satisfaction",
            &id,
            "--aspect",
            "service",
            "--score",
            "2",
            "--note",
            "slow delivery",
            "--json",
        ]));
        assert_eq!(r["quadrant"], "easily_taken", "{r}");
        assert_eq!(r["service"]["score"], 2);
        let r = json(patron(db).args([
            "satisfaction",
            &id,
            "--aspect",
            "service",
            "--score",
            "5",
            "--json",
        ]));
        assert_eq!(r["quadrant"], "loyal", "the latest rating counts: {r}");
        let bad = patron(db)
            .args(["satisfaction", &id, "--aspect", "product", "--score", "9"])
            .output()
            .expect("run");
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("--score"));
    })
    .await;
}

/// `patron agenda` on the demo: the JSON shape other tools rely on, done / snooze / dismiss with
/// errors naming the flag, and `patron contact policy|settings|compliance`.
#[tokio::test]
async fn agenda_and_contact_plan() {
    each(|db, _| {
        json(patron(db).args(["demo", "--customers", "80", "--no-serve", "--json"]));
        let rep = "rep1@demo.patron.example";
        let a = json(patron(db).args(["agenda", "--user", rep, "--json"]));
        let items = a["items"].as_array().expect("items");
        assert!(!items.is_empty(), "{a}");
        for i in items {
            for f in [
                "kind",
                "customer_id",
                "customer_name",
                "due",
                "overdue",
                "reason",
                "key",
            ] {
                assert!(!i[f].is_null(), "{f} missing in {i}");
            }
            assert_eq!(i["user_email"], rep);
        }
        let kinds: Vec<&str> = items.iter().filter_map(|i| i["kind"].as_str()).collect();
        assert!(
            kinds.contains(&"visit") || kinds.contains(&"call"),
            "{kinds:?}"
        );
        // Without --user: every active user's items, each naming its user.
        let all = json(patron(db).args(["agenda", "--json"]));
        assert!(all["users"].as_array().map(|u| u.len()).unwrap_or(0) >= 2);
        assert!(all["items"].as_array().map(|i| i.len()).unwrap_or(0) >= items.len());

        let key = items[0]["key"].as_str().expect("key").to_owned();
        let err =
            fails(patron(db).args(["agenda", "dismiss", &key, "--user", rep, "--reason", " "]));
        assert!(err.contains("--reason"), "{err}");
        let err = fails(patron(db).args([
            "agenda",
            "snooze",
            &key,
            "--user",
            rep,
            "--until",
            "2001-01-01",
        ]));
        assert!(err.contains("--until"), "{err}");
        let err = fails(patron(db).args(["agenda", "done", "garbage", "--user", rep]));
        assert!(err.contains("agenda item key"), "{err}");
        let err = fails(patron(db).args(["agenda", "--user", "nobody@example.com"]));
        assert!(err.contains("--user"), "{err}");
        let done = json(patron(db).args([
            "agenda",
            "done",
            &key,
            "--user",
            rep,
            "--outcome",
            "ok",
            "--json",
        ]));
        assert_eq!(done["action"], "done");
        assert!(done["interaction_id"].as_i64().is_some(), "{done}");
        let after = json(patron(db).args(["agenda", "--user", rep, "--json"]));
        assert!(after["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["key"] != key.as_str()));

        // The policy: a cell at a time, validated.
        let err = fails(patron(db).args([
            "contact",
            "policy",
            "--set",
            "sales_representative.a.call=3-2/month",
        ]));
        assert!(err.contains("sales_representative.a.call"), "{err}");
        let err = fails(patron(db).args(["contact", "policy", "--set", "nobody.a.call=1/month"]));
        assert!(err.contains("staff level"), "{err}");
        let p = json(patron(db).args([
            "contact",
            "policy",
            "--set",
            "sales_representative.c.call=every 2 months",
            "--json",
        ]));
        assert_eq!(
            p["sales_representative"]["c"]["call"],
            serde_json::json!({"kind": "every", "min": 2, "max": 2, "unit": "month"})
        );
        let s = json(patron(db).args(["contact", "settings"]));
        assert_eq!(
            s["seasons"].as_array().map(|a| a.len()),
            Some(2),
            "the demo's seasons: {s}"
        );
        let err = fails(patron(db).args([
            "contact",
            "settings",
            "--set",
            r#"{"time_zone": "Moon/Base"}"#,
        ]));
        assert!(err.contains("time_zone"), "{err}");
        let c = json(patron(db).args(["contact", "compliance", "--months", "2", "--json"]));
        assert!(!c["rows"].as_array().expect("rows").is_empty());
        // The calendar feed: a path to subscribe to, and the feed itself.
        let out = patron(db)
            .args(["agenda", "calendar", "--user", rep])
            .output()
            .expect("run");
        assert!(out.status.success());
        let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(
            path.starts_with("/calendar/") && path.ends_with(".ics"),
            "{path}"
        );
        let out = patron(db)
            .args(["agenda", "calendar", "--user", rep, "--print"])
            .output()
            .expect("run");
        let ics = String::from_utf8_lossy(&out.stdout);
        assert!(
            ics.starts_with("BEGIN:VCALENDAR") && ics.contains("BEGIN:VEVENT"),
            "{ics}"
        );

        // The digest: off by default, printed as it would be sent, settings validated and the
        // password never printed back.
        let d = json(patron(db).args(["contact", "digest"]));
        assert_eq!(d["enabled"], false, "{d}");
        let mail = json(patron(db).args(["agenda", "digest", "--user", rep, "--json"]));
        assert_eq!(mail["to"], rep);
        assert!(
            mail["subject"].as_str().unwrap_or("").contains("agenda"),
            "{mail}"
        );
        let err = fails(patron(db).args([
            "contact",
            "digest",
            "--set",
            r#"{"enabled": true, "from": "crm@example.com"}"#,
        ]));
        assert!(err.contains("smtp_host"), "{err}");
        let d = json(patron(db).args([
            "contact",
            "digest",
            "--set",
            r#"{"enabled": true, "smtp_host": "127.0.0.1", "smtp_port": 2525, "security": "none",
                "from": "crm@example.com", "username": "crm", "password": "secret"}"#,
        ]));
        assert_eq!(d["password_set"], true, "{d}");
        assert!(d.get("password").is_none(), "{d}");
        let err = fails(patron(db).args(["agenda", "digest"]));
        assert!(err.contains("--user"), "{err}");

        // The reassignment report: the demo's relationship managers moved by hand show up.
        let r = json(patron(db).args(["contact", "reassignments", "--json"]));
        assert!(r["rows"].is_array(), "{r}");
        let err = fails(patron(db).args(["contact", "reassignments", "--from", "yesterday"]));
        assert!(err.contains("--from"), "{err}");
    })
    .await;
}

/// `patron complaints add|list|show`: the JSON shapes other tools rely on (`{"items":[…]}` of
/// complaints; one complaint with its steps, compensation and history), the filters, and errors
/// that name the flag and the words it takes.
#[tokio::test]
async fn complaints_add_list_show() {
    each(|db, _| {
        json(
            patron(db)
                .args([
                    "user",
                    "add",
                    "rep@example.com",
                    "--role",
                    "sales",
                    "--json",
                ])
                .write_stdin("a long enough password\n"),
        );
        json(patron(db).args([
            "customers",
            "add",
            "--name",
            "锦华咖啡",
            "--ref",
            "J-1",
            "--kind",
            "organisation",
            "--owner",
            "rep@example.com",
            "--json",
        ]));
        json(patron(db).args([
            "customers",
            "add",
            "--name",
            "Other",
            "--ref",
            "O-1",
            "--json",
        ]));

        let first = json(patron(db).args([
            "complaints",
            "add",
            "--customer",
            "J-1",
            "--channel",
            "call",
            "--summary",
            "Beans arrived damaged",
            "--cause",
            "product_quality",
            "--details",
            "Two bags torn",
            "--json",
        ]));
        let id = first["id"].as_i64().expect("id");
        assert_eq!(first["status"], "open");
        assert_eq!(first["cause"], "product_quality");
        assert_eq!(first["channel"], "call");
        assert_eq!(first["details"], "Two bags torn");
        assert_eq!(
            first["owner_name"], "rep",
            "the customer's owner handles it"
        );
        assert_eq!(first["overdue"], false);
        assert!(first["reply_due_at"].is_string());
        assert_eq!(first["steps"].as_array().map(Vec::len), Some(6));
        assert_eq!(first["events"][0]["action"], "recorded");
        let second = json(patron(db).args([
            "complaints",
            "add",
            "--customer",
            "O-1",
            "--channel",
            "email",
            "--summary",
            "Late delivery",
            "--json",
        ]));
        assert_eq!(second["cause"], "other");
        assert_eq!(second["owner_id"], Value::Null);

        // The list: {"items": [complaint, …]}, each a complaint without steps or history.
        let l = json(patron(db).args(["complaints", "list", "--json"]));
        let items = l["items"].as_array().expect("items");
        assert_eq!(items.len(), 2, "{l}");
        for i in items {
            for f in [
                "id",
                "customer_id",
                "customer_name",
                "channel",
                "cause",
                "summary",
                "status",
                "recorded_at",
                "reply_due_at",
                "overdue",
                "replied_late",
                "steps_done",
            ] {
                assert!(i.get(f).is_some(), "{f} missing in {i}");
            }
            assert!(i.get("steps").is_none() && i.get("events").is_none(), "{i}");
        }
        let count = |args: &[&str]| {
            let mut cmd = patron(db);
            cmd.args(["complaints", "list", "--json"]).args(args);
            json(&mut cmd)["items"].as_array().map(Vec::len)
        };
        assert_eq!(count(&["--status", "open"]), Some(2));
        assert_eq!(count(&["--status", "closed"]), Some(0));
        assert_eq!(count(&["--overdue"]), Some(0), "just recorded");
        assert_eq!(count(&["--owner", "rep@example.com"]), Some(1));
        assert_eq!(count(&["--customer", "O-1"]), Some(1));
        let out = patron(db)
            .args(["complaints", "list"])
            .output()
            .expect("run");
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Beans arrived damaged") && text.contains("Late delivery"),
            "{text}"
        );

        // One complaint: its fields, the six steps in order, compensation and history.
        let d = json(patron(db).args(["complaints", "show", &id.to_string(), "--json"]));
        assert_eq!(d["id"], id);
        assert_eq!(d["summary"], "Beans arrived damaged");
        assert_eq!(d["customer_name"], "锦华咖啡");
        let steps: Vec<&str> = d["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .filter_map(|s| s["step"].as_str())
            .collect();
        assert_eq!(
            steps,
            [
                "listen",
                "apologise",
                "root_cause",
                "solve",
                "follow_up",
                "record"
            ]
        );
        assert_eq!(d["compensations"], serde_json::json!([]));
        assert_eq!(d["events"].as_array().map(Vec::len), Some(1));

        // Errors name the flag (and the words it takes).
        let err = fails(patron(db).args(["complaints", "list", "--status", "reopened"]));
        assert!(
            err.contains("--status")
                && err.contains("reopened")
                && err.contains("open, acknowledged, investigating, resolved, followed_up, closed"),
            "{err}"
        );
        let err = fails(patron(db).args([
            "complaints",
            "add",
            "--customer",
            "J-1",
            "--channel",
            "pigeon",
            "--summary",
            "x",
        ]));
        assert!(
            err.contains("--channel") && err.contains("web_form"),
            "{err}"
        );
        let err = fails(patron(db).args([
            "complaints",
            "add",
            "--customer",
            "J-1",
            "--channel",
            "call",
            "--summary",
            " ",
        ]));
        assert!(err.contains("--summary"), "{err}");
        let err = fails(patron(db).args(["complaints", "show", "999999"]));
        assert!(err.contains("no complaint #999999"), "{err}");
        let err = fails(patron(db).args(["complaints", "list", "--owner", "nobody@example.com"]));
        assert!(err.contains("--owner"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn indicators_json_per_period() {
    each(|db, _| {
        json(patron(db).args([
            "customers",
            "add",
            "--name",
            "锦华咖啡",
            "--ref",
            "J-1",
            "--json",
        ]));
        json(patron(db).args([
            "complaints",
            "add",
            "--customer",
            "J-1",
            "--channel",
            "call",
            "--summary",
            "Beans arrived damaged",
            "--json",
        ]));
        let month = chrono::Utc::now().format("%Y-%m").to_string();
        // The first run counts (nothing was kept yet).
        let r = json(patron(db).args(["indicators", "--period", &month, "--json"]));
        assert!(r["refreshed_at"].is_string(), "{r}");
        let p = &r["periods"][0];
        assert_eq!(p["period"], month.as_str(), "{r}");
        assert_eq!(p["complaint_rate"].as_f64(), Some(1.0), "{r}");
        assert_eq!(p["sales_power"].as_f64(), Some(0.0), "{r}");
        assert!(p["repeat_purchase_rate"].is_null(), "{r}");
        assert!(p["name_recognition"].is_null(), "{r}");
        assert!(p["reputation"].is_null(), "{r}");
        assert_eq!(p["counts"]["complaints"].as_i64(), Some(1), "{r}");
        assert_eq!(p["counts"]["served"].as_i64(), Some(1), "{r}");
        // Every kept month and quarter; a quarter by its name.
        let all = json(patron(db).args(["indicators", "--refresh", "--json"]));
        assert_eq!(all["periods"].as_array().map(Vec::len), Some(32), "{all}");
        let quarter = all["periods"][31]["period"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(quarter.contains("-Q"), "{all}");
        let q = json(patron(db).args([
            "indicators",
            "--period",
            &quarter,
            "--by",
            "class",
            "--json",
        ]));
        assert_eq!(q["dimension"], "class");
        assert_eq!(q["periods"][0]["segment"], "-", "{q}");
        let err = fails(patron(db).args(["indicators", "--period", "2026-13"]));
        assert!(err.contains("--period"), "{err}");
    })
    .await;
}

/// `patron backup` copies the SQLite database and checks the copy; `patron restore` puts it back
/// (refusing to replace customers without `--yes`); PostgreSQL is pointed at its own tools.
#[tokio::test]
async fn backup_and_restore() {
    let db = TestDb::sqlite();
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, r) in [("锦华咖啡", "J-1"), ("Other", "O-1")] {
        json(patron(&db).args(["customers", "add", "--name", name, "--ref", r, "--json"]));
    }
    let file = dir.path().join("backup.db");
    let b = json(patron(&db).arg("backup").arg(&file).arg("--json"));
    assert_eq!(b["customers"], 2, "{b}");
    assert!(b["schema_version"].as_i64().unwrap_or(0) > 0, "{b}");
    // Never over an existing file.
    let again = patron(&db).arg("backup").arg(&file).output().expect("run");
    assert!(!again.status.success());
    json(patron(&db).args([
        "customers",
        "add",
        "--name",
        "Later",
        "--ref",
        "L-1",
        "--json",
    ]));
    let refused = patron(&db).arg("restore").arg(&file).output().expect("run");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--yes"),
        "{refused:?}"
    );
    let r = json(
        patron(&db)
            .arg("restore")
            .arg(&file)
            .args(["--yes", "--json"]),
    );
    assert_eq!(r["customers"], 2, "{r}");
    let list = json(patron(&db).args(["customers", "list", "--json"]));
    assert_eq!(list["items"].as_array().map(Vec::len), Some(2), "{list}");
    // Into a new database: no --yes needed.
    let fresh = dir.path().join("fresh.db");
    let mut c = Command::cargo_bin("patron").expect("binary");
    let out = c
        .env_remove("PATRON_DATABASE_URL")
        .env_remove("PATRON_CONFIG")
        .arg("--db")
        .arg(format!("sqlite://{}", fresh.display()))
        .arg("restore")
        .arg(&file)
        .arg("--json")
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let pg = Command::cargo_bin("patron")
        .expect("binary")
        .env_remove("PATRON_DATABASE_URL")
        .env_remove("PATRON_CONFIG")
        .args(["--db", "postgres://127.0.0.1:1/none", "backup"])
        .arg(dir.path().join("pg.db"))
        .output()
        .expect("run");
    assert!(!pg.status.success());
    assert!(
        String::from_utf8_lossy(&pg.stderr).contains("pg_dump"),
        "{pg:?}"
    );
    db.cleanup().await;
}
