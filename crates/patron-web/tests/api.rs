//! The JSON API through HTTP, as a client sees it: the real server on port 0 over a fresh
//! database, once per backend (SQLite always; PostgreSQL when PATRON_TEST_DATABASE_URL is set).

use patron_core::{StaffLevel, User, UserInput};
use patron_store::testkit::TestDb;
use patron_store::Store;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Once};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server and a client for it.
struct TestApp {
    addr: SocketAddr,
    client: reqwest::Client,
    /// Direct access for what the API cannot do yet (creating users).
    store: Arc<dyn Store>,
    backend: String,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<std::io::Result<()>>,
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| v == "1") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "debug,sqlx=warn,hyper=info".into()),
                )
                .with_test_writer()
                .try_init();
        }
    });
}

async fn spawn_app(db: &TestDb) -> TestApp {
    init_logs();
    let store = patron_store::connect(&db.url).await.expect("connect store");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let state = patron_web::AppState::new(store.clone());
    // Every request goes in as an administrator with a personal API token, as a script would.
    let admin = store
        .create_user(UserInput {
            email: "admin@example.com".into(),
            name: "Admin".into(),
            staff_level: StaffLevel::Administrator,
            manager_id: None,
        })
        .await
        .expect("create admin");
    let token = store
        .create_api_token(admin.id, "tests")
        .await
        .expect("token")
        .secret;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    let server = tokio::spawn(patron_web::launch(listener, state, async move {
        let _ = rx.await;
    }));
    TestApp {
        addr,
        client: reqwest::Client::builder()
            .default_headers(headers)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        store,
        backend: format!("{:?}", db.backend),
        shutdown: tx,
        server,
    }
}

/// A response read to the end: status, headers and JSON (or `Value::Null` for an empty body).
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    content_type: String,
    location: Option<String>,
    allow: Option<String>,
    body: Value,
    text: String,
}

impl Reply {
    async fn from(res: reqwest::Response) -> Reply {
        let status = res.status();
        let header = |n: &str| {
            res.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(CONTENT_TYPE.as_str()).unwrap_or_default();
        let location = header(LOCATION.as_str());
        let allow = header("allow");
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            content_type,
            location,
            allow,
            body,
            text,
        }
    }

    /// Asserts a problem response with this status and (when given) this field.
    #[track_caller]
    fn problem(&self, status: u16, field: Option<&str>) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        let b = &self.body;
        assert_eq!(b["status"], status, "{}", self.text);
        assert!(
            b["type"].is_string() && b["title"].is_string(),
            "{}",
            self.text
        );
        assert!(
            b["detail"].is_string() && b["code"].is_string(),
            "{}",
            self.text
        );
        assert_eq!(b["field"].as_str(), field, "{}", self.text);
        b
    }

    #[track_caller]
    fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        &self.body
    }
}

impl TestApp {
    fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self.client.request(method.clone(), self.url(path));
        if let Some(b) = body {
            let ct = if method == Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            req = req
                .header(CONTENT_TYPE, ct)
                .body(serde_json::to_vec(b).expect("json"));
        }
        Reply::from(req.send().await.expect("request")).await
    }

    async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: &Value) -> Reply {
        self.request(Method::PATCH, path, Some(body)).await
    }
    async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }
    async fn raw(&self, method: Method, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let res = self
            .client
            .request(method, self.url(path))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        Reply::from(res).await
    }

    async fn post_customer(&self, body: &Value) -> Reply {
        self.post("/api/v1/customers", body).await
    }
    /// Creates a customer and returns it, asserting the 201.
    async fn create_customer(&self, body: &Value) -> Value {
        self.post_customer(body).await.ok(201).clone()
    }
    async fn get_customer(&self, id: i64) -> Reply {
        self.get(&format!("/api/v1/customers/{id}")).await
    }
    async fn patch_customer(&self, id: i64, body: &Value) -> Reply {
        self.patch(&format!("/api/v1/customers/{id}"), body).await
    }
    async fn delete_customer(&self, id: i64) -> Reply {
        self.delete(&format!("/api/v1/customers/{id}")).await
    }
    async fn list_customers(&self, query: &str) -> Reply {
        self.get(&format!("/api/v1/customers?{query}")).await
    }
    /// Names of the customers a search returns (first page of up to 500).
    async fn search_names(&self, query: &str) -> Vec<String> {
        let r = self.list_customers(&format!("{query}&limit=500")).await;
        names(r.ok(200))
    }
    async fn overview(&self, id: i64) -> Reply {
        self.get(&format!("/api/v1/customers/{id}/overview")).await
    }
    async fn post_key_person(&self, customer: i64, body: &Value) -> Reply {
        self.post(&format!("/api/v1/customers/{customer}/key-persons"), body)
            .await
    }
    async fn post_product(&self, body: &Value) -> Reply {
        self.post("/api/v1/products", body).await
    }
    async fn post_order(&self, body: &Value) -> Reply {
        self.post("/api/v1/orders", body).await
    }
    async fn post_interaction(&self, body: &Value) -> Reply {
        self.post("/api/v1/interactions", body).await
    }
    async fn create_user(&self, email: &str, name: &str) -> User {
        self.store
            .create_user(UserInput {
                email: email.into(),
                name: name.into(),
                staff_level: StaffLevel::SalesRepresentative,
                manager_id: None,
            })
            .await
            .expect("create user")
    }

    /// Stops the server (waiting for in-flight requests) before the database is dropped.
    async fn stop(self) {
        drop(self.client);
        let _ = self.shutdown.send(());
        match tokio::time::timeout(Duration::from_secs(10), self.server).await {
            Ok(Ok(Ok(()))) => {}
            other => panic!("server did not stop cleanly: {other:?}"),
        }
    }
}

fn id_of(v: &Value) -> i64 {
    v["id"].as_i64().unwrap_or_else(|| panic!("no id in {v}"))
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_owned())
        .collect()
}

fn person(name: &str) -> Value {
    json!({"kind": "person", "name": name})
}

/// Runs `body` against every configured backend, each with its own database and server.
macro_rules! each_backend {
    (|$app:ident| $body:block) => {
        for db in TestDb::each().await {
            let $app = spawn_app(&db).await;
            $body
            $app.stop().await;
            db.cleanup().await;
        }
    };
}

#[tokio::test]
async fn create_returns_201_with_id_location_and_exact_shape() {
    each_backend!(|app| {
        let r = app
            .post_customer(&json!({
                "kind": "person",
                "name": "张三丰",
                "phone": "+86 138-0013-8000",
                "email": "zhang@example.com"
            }))
            .await;
        let c = r.ok(201).clone();
        assert!(
            r.content_type.starts_with("application/json"),
            "{}",
            r.content_type
        );
        let id = id_of(&c);
        assert!(id > 0);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/api/v1/customers/{id}").as_str())
        );
        let keys: BTreeSet<&str> = c
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut expected: BTreeSet<&str> = [
            "id",
            "ref",
            "kind",
            "name",
            "gender",
            "birth_date",
            "company",
            "address",
            "phone",
            "fax",
            "email",
            "level",
            "source",
            "stage",
            "churn_reason",
            "owner_id",
            "relationship_manager_id",
            "tags",
            "custom",
            "notes",
            "created_at",
            "updated_at",
        ]
        .into_iter()
        .collect();
        if keys.contains("background") {
            expected.insert("background");
        }
        assert_eq!(keys, expected, "{} customer shape", app.backend);
        assert_eq!(c["kind"], "person");
        assert_eq!(c["name"], "张三丰");
        assert_eq!(c["phone"], "+86 138-0013-8000");
        assert_eq!(c["email"], "zhang@example.com");
        assert_eq!(c["stage"], "customer");
        assert_eq!(c["tags"], json!([]));
        assert_eq!(c["custom"], json!({}));
        assert!(c["ref"].is_null() && c["owner_id"].is_null());
        assert!(c["created_at"].is_string());

        let got = app.get_customer(id).await;
        assert_eq!(got.ok(200)["name"], "张三丰");
        assert_eq!(got.body["id"], id);
    });
}

#[tokio::test]
async fn get_patch_delete_customer() {
    each_backend!(|app| {
        let c = app
            .create_customer(&json!({
                "kind": "organisation",
                "name": "ACME",
                "email": "info@acme.example",
                "tags": ["dealer"],
                "background": {"occupation": "hardware", "network": "chamber of commerce"}
            }))
            .await;
        let id = id_of(&c);

        let r = app
            .patch_customer(
                id,
                &json!({"email": null, "company": "ACME Ltd", "tags": ["dealer", "vip"],
                        "background": {"network": null, "capital": "large"}}),
            )
            .await;
        let p = r.ok(200);
        assert_eq!(p["email"], Value::Null, "{}: null clears", app.backend);
        assert_eq!(p["company"], "ACME Ltd");
        assert_eq!(p["name"], "ACME", "untouched fields stay");
        assert_eq!(p["tags"], json!(["dealer", "vip"]));
        let g = app.get_customer(id).await;
        let g = g.ok(200);
        assert_eq!(
            g["background"]["occupation"], "hardware",
            "nested objects merge"
        );
        assert_eq!(g["background"]["capital"], "large");
        assert!(g["background"]["network"].is_null());

        app.patch_customer(id, &json!({"name": 5}))
            .await
            .problem(422, Some("name"));
        app.patch_customer(id, &json!({"colour": "red"}))
            .await
            .problem(422, Some("colour"));
        app.patch_customer(id, &json!({"name": null}))
            .await
            .problem(422, Some("name"));
        app.patch_customer(id, &json!({"email": "not-an-email"}))
            .await
            .problem(422, Some("email"));
        app.patch_customer(id, &json!([1])).await.problem(422, None);
        app.patch_customer(id + 1000, &json!({"name": "X"}))
            .await
            .problem(404, None);

        assert_eq!(app.delete_customer(id).await.status, StatusCode::NO_CONTENT);
        app.get_customer(id).await.problem(404, None);
        app.delete_customer(id).await.problem(404, None);
    });
}

#[tokio::test]
async fn customer_list_pages_by_keyset_without_gaps_or_duplicates() {
    each_backend!(|app| {
        let mut created = Vec::new();
        for i in 0..23 {
            let c = app
                .create_customer(&person(&format!("Customer {:02}", (i * 7) % 23)))
                .await;
            created.push(id_of(&c));
        }
        for (sort, order) in [
            ("id", "asc"),
            ("name", "desc"),
            ("created", "asc"),
            ("updated", "desc"),
        ] {
            let mut seen = Vec::new();
            let mut seen_names = Vec::new();
            let mut cursor: Option<String> = None;
            let mut pages = 0;
            loop {
                let mut q = format!("sort={sort}&order={order}&limit=5");
                if let Some(c) = &cursor {
                    q.push_str(&format!("&cursor={}", urlencode(c)));
                }
                let r = app.list_customers(&q).await;
                let page = r.ok(200);
                let keys: BTreeSet<&str> = page
                    .as_object()
                    .expect("page")
                    .keys()
                    .map(|k| k.as_str())
                    .collect();
                assert_eq!(keys, BTreeSet::from(["items", "next_cursor"]));
                let items = page["items"].as_array().expect("items");
                assert!(items.len() <= 5);
                for c in items {
                    seen.push(id_of(c));
                    seen_names.push(c["name"].as_str().unwrap_or_default().to_owned());
                }
                pages += 1;
                assert!(pages < 20, "paging does not end");
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            let unique: BTreeSet<i64> = seen.iter().copied().collect();
            assert_eq!(
                unique.len(),
                seen.len(),
                "{} {sort}: duplicates {seen:?}",
                app.backend
            );
            assert_eq!(
                unique,
                created.iter().copied().collect(),
                "{} {sort}: gaps",
                app.backend
            );
            match sort {
                "id" => assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}"),
                "name" => assert!(
                    seen_names.windows(2).all(|w| w[0] >= w[1]),
                    "{seen_names:?}"
                ),
                _ => {}
            }
        }
        app.list_customers("limit=0")
            .await
            .problem(400, Some("limit"));
        app.list_customers("limit=501")
            .await
            .problem(400, Some("limit"));
        app.list_customers("limit=abc")
            .await
            .problem(400, Some("limit"));
        app.list_customers("sort=colour")
            .await
            .problem(400, Some("sort"));
        app.list_customers("stage=sleeping")
            .await
            .problem(400, Some("stage"));
        app.list_customers("owner=me")
            .await
            .problem(400, Some("owner"));
        app.list_customers("stage=")
            .await
            .problem(400, Some("stage"));
        app.list_customers("frobnicate=1")
            .await
            .problem(400, Some("frobnicate"));
        app.list_customers("q=a%00b").await.problem(400, Some("q"));
        let r = app.list_customers("limit=500").await;
        assert_eq!(r.ok(200)["items"].as_array().map(Vec::len), Some(23));
        assert!(r.body["next_cursor"].is_null());
    });
}

/// Percent-encodes a cursor for a query string (cursors are opaque and may contain anything).
fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[tokio::test]
async fn search_is_cjk_aware_and_matches_phone_digits_and_email() {
    each_backend!(|app| {
        app.create_customer(&person("张三丰")).await;
        app.create_customer(&person("张伟")).await;
        app.create_customer(&person("김민준")).await;
        app.create_customer(&person("김서연")).await;
        app.create_customer(&json!({
            "kind": "person", "name": "John Smith",
            "phone": "+86 138-0013-8000", "email": "John.Smith@Example.com"
        }))
        .await;
        app.create_customer(
            &json!({"kind": "organisation", "name": "Smithy Works", "company": "Forge Ltd"}),
        )
        .await;
        let b = &app.backend;
        assert_eq!(
            app.search_names(&format!("q={}", urlencode("张三"))).await,
            ["张三丰"],
            "{b}"
        );
        assert_eq!(
            app.search_names(&format!("q={}", urlencode("김민"))).await,
            ["김민준"],
            "{b}"
        );
        assert_eq!(
            app.search_names("q=13800138").await,
            ["John Smith"],
            "{b}: phone digits"
        );
        assert_eq!(
            app.search_names("q=smith%40example").await,
            ["John Smith"],
            "{b}: e-mail"
        );
        let mut smiths = app.search_names("q=SMITH").await;
        smiths.sort();
        assert_eq!(
            smiths,
            ["John Smith", "Smithy Works"],
            "{b}: case-insensitive"
        );
        assert_eq!(
            app.search_names("q=forge").await,
            ["Smithy Works"],
            "{b}: company"
        );
        assert!(app.search_names("q=nobody-like-this").await.is_empty());
    });
}

#[tokio::test]
async fn filters_by_stage_owner_tag_and_kind() {
    each_backend!(|app| {
        let alice = app.create_user("alice@example.com", "Alice").await;
        let bob = app.create_user("bob@example.com", "Bob").await;
        let reasons = app.get("/api/v1/churn-reasons").await;
        let reason = reasons.ok(200)[0]["code"]
            .as_str()
            .expect("a churn reason")
            .to_owned();
        app.create_customer(
            &json!({"kind": "person", "name": "Lead", "stage": "interested",
            "owner_id": alice.id.0, "tags": ["fair-2024"]}),
        )
        .await;
        app.create_customer(&json!({"kind": "person", "name": "Gone", "stage": "lost",
            "churn_reason": reason, "owner_id": bob.id.0}))
            .await;
        app.create_customer(
            &json!({"kind": "organisation", "name": "Shop", "owner_id": alice.id.0,
            "tags": ["vip", "fair-2024"]}),
        )
        .await;
        app.create_customer(&person("Nobody's")).await;
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let b = &app.backend;
        assert_eq!(app.search_names("stage=interested").await, ["Lead"], "{b}");
        assert_eq!(app.search_names("stage=lost").await, ["Gone"], "{b}");
        assert_eq!(
            sorted(app.search_names(&format!("owner={}", alice.id)).await),
            ["Lead", "Shop"],
            "{b}"
        );
        assert_eq!(
            app.search_names(&format!("owner={}", bob.id)).await,
            ["Gone"],
            "{b}"
        );
        assert_eq!(
            sorted(app.search_names("tag=fair-2024").await),
            ["Lead", "Shop"],
            "{b}"
        );
        assert_eq!(app.search_names("tag=vip").await, ["Shop"], "{b}");
        assert_eq!(app.search_names("kind=organisation").await, ["Shop"], "{b}");
        assert_eq!(
            app.search_names(&format!("owner={}&tag=fair-2024&stage=customer", alice.id))
                .await,
            ["Shop"],
            "{b}: filters combine"
        );

        // References and the lost-stage rule are checked.
        app.post_customer(&json!({"kind": "person", "name": "X", "owner_id": 999_999}))
            .await
            .problem(422, Some("owner_id"));
        app.post_customer(&json!({"kind": "person", "name": "X", "stage": "lost"}))
            .await
            .problem(422, Some("churn_reason"));
        let users = app.get("/api/v1/users").await;
        // Alice, Bob and the administrator the tests sign in as.
        assert_eq!(users.ok(200).as_array().map(Vec::len), Some(3));
        assert!(app.get("/api/v1/custom-fields").await.ok(200).is_array());

        // Typed custom fields: defined over the API, values checked and canonicalised.
        let def = json!({"key": "shop_size", "label": "Shop size (m²)", "field_type": "number", "choices": []});
        app.post("/api/v1/custom-fields", &def).await.ok(200);
        app.post(
            "/api/v1/custom-fields",
            &json!({"key": "Bad Key", "label": "x", "field_type": "text", "choices": []}),
        )
        .await
        .problem(422, Some("key"));
        app.post(
            "/api/v1/custom-fields",
            &json!({"key": "tier", "label": "Tier", "field_type": "choice", "choices": []}),
        )
        .await
        .problem(422, Some("choices"));
        let c = app
            .post_customer(&json!({"kind": "organisation", "name": "Big Shop", "custom": {"shop_size": "1,250"}}))
            .await;
        assert_eq!(c.ok(201)["custom"]["shop_size"], "1250", "{b}");
        app.post_customer(
            &json!({"kind": "organisation", "name": "Odd Shop", "custom": {"shop_size": "large"}}),
        )
        .await
        .problem(422, Some("custom.shop_size"));
        let defs = app.get("/api/v1/custom-fields").await;
        assert_eq!(defs.ok(200)[0]["key"], "shop_size");
    });
}

#[tokio::test]
async fn overview_has_recent_interactions_order_summary_and_warnings() {
    each_backend!(|app| {
        let org = app
            .create_customer(
                &json!({"kind": "organisation", "name": "大华贸易", "phone": "021-5555-0100"}),
            )
            .await;
        let id = id_of(&org);
        for n in ["王经理", "李会计"] {
            app.post_key_person(id, &json!({"name": n})).await.ok(201);
        }
        for day in 1..=12 {
            app.post_interaction(&json!({
                "customer_id": id, "kind": "visit",
                "occurred_at": format!("2025-03-{day:02}T10:00:00Z"),
                "notes": format!("visit {day}")
            }))
            .await
            .ok(201);
        }
        let today = chrono::Utc::now().date_naive();
        let recent = today - chrono::Duration::days(30);
        let older = today - chrono::Duration::days(100);
        let ancient = today - chrono::Duration::days(800);
        for (date, amount) in [(recent, 1500), (older, 2500), (ancient, 10_000)] {
            app.post_order(&json!({
                "customer_id": id, "order_date": date.to_string(), "currency": "CNY",
                "lines": [{"quantity": 1, "amount_minor": amount}]
            }))
            .await
            .ok(201);
        }

        let r = app.overview(id).await;
        let o = r.ok(200);
        let b = &app.backend;
        assert_eq!(o["customer"]["id"], id);
        assert_eq!(o["key_persons"].as_array().map(Vec::len), Some(2), "{b}");
        let recent_notes: Vec<&str> = o["recent_interactions"]
            .as_array()
            .expect("interactions")
            .iter()
            .map(|i| i["notes"].as_str().unwrap_or_default())
            .collect();
        let expected: Vec<String> = (3..=12).rev().map(|d| format!("visit {d}")).collect();
        assert_eq!(recent_notes, expected, "{b}: last 10, newest first");
        let s = &o["orders"];
        assert_eq!(s["count"], 3, "{b}");
        assert_eq!(s["first_order_date"], ancient.to_string(), "{b}");
        assert_eq!(s["last_order_date"], recent.to_string(), "{b}");
        assert_eq!(
            s["revenue_total"],
            json!([{"amount_minor": 14_000, "currency": "CNY"}]),
            "{b}"
        );
        assert_eq!(
            s["revenue_12m"],
            json!([{"amount_minor": 4_000, "currency": "CNY"}]),
            "{b}"
        );
        let codes: Vec<&str> = o["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .map(|w| w["code"].as_str().unwrap_or_default())
            .collect();
        assert!(codes.contains(&"few_key_persons"), "{b}: {codes:?}");
        assert!(codes.contains(&"missing_email"), "{b}: {codes:?}");
        assert!(!codes.contains(&"missing_phone"), "{b}: {codes:?}");

        app.post_key_person(id, &json!({"name": "赵总"}))
            .await
            .ok(201);
        let o = app.overview(id).await;
        let warned = o.ok(200)["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w["code"] == "few_key_persons");
        assert!(!warned, "{b}: three key persons are enough");
        app.overview(id + 1000).await.problem(404, None);
    });
}

#[tokio::test]
async fn customer_score_is_404_until_scored_then_the_stored_scores() {
    each_backend!(|app| {
        let c = app.create_customer(&person("评分客户")).await;
        let id = id_of(&c);
        let r = app.get(&format!("/api/v1/customers/{id}/score")).await;
        assert_eq!(r.status.as_u16(), 404, "{}", r.text);
        assert!(r.content_type.starts_with("application/problem+json"));
        let score = patron_store::analytics::CustomerScore {
            customer_id: patron_core::CustomerId(id),
            p_alive: Some(0.5),
            expected_purchases: Some(1.25),
            expected_spend: None,
            clv: Some(99.5),
            currency: "USD".into(),
            horizon_days: 364,
            as_of: chrono::NaiveDate::from_ymd_opt(2026, 10, 31).expect("date"),
            scored_at: chrono::Utc::now(),
        };
        app.store
            .replace_customer_scores(&[score])
            .await
            .expect("scores");
        let r = app.get(&format!("/api/v1/customers/{id}/score")).await;
        let v = r.ok(200);
        assert_eq!(v["p_alive"], 0.5);
        assert_eq!(v["expected_spend"], Value::Null);
        assert_eq!(v["clv"], 99.5);
        assert_eq!(v["as_of"], "2026-10-31");
        assert_eq!(v["horizon_days"], 364);
        let r = app.get("/api/v1/customers/999999/score").await;
        assert_eq!(r.status.as_u16(), 404);
    });
}

#[tokio::test]
async fn bad_input_is_a_4xx_naming_the_field() {
    each_backend!(|app| {
        let c = app.create_customer(&person("Valid")).await;
        let cid = id_of(&c);
        let b = app.backend.clone();

        let cases: Vec<(&str, Value, u16, Option<&str>)> = vec![
            (
                "invalid e-mail",
                json!({"kind": "person", "name": "A", "email": "a@"}),
                422,
                Some("email"),
            ),
            (
                "invalid phone",
                json!({"kind": "person", "name": "A", "phone": "call me"}),
                422,
                Some("phone"),
            ),
            (
                "invalid date",
                json!({"kind": "person", "name": "A", "birth_date": "2024-02-30"}),
                422,
                Some("birth_date"),
            ),
            (
                "future birth",
                json!({"kind": "person", "name": "A", "birth_date": "2999-01-01"}),
                422,
                Some("birth_date"),
            ),
            (
                "unknown field",
                json!({"kind": "person", "name": "A", "nickname": "B"}),
                422,
                Some("nickname"),
            ),
            (
                "wrong type",
                json!({"kind": "person", "name": ["A"]}),
                422,
                Some("name"),
            ),
            (
                "bad enum",
                json!({"kind": "robot", "name": "A"}),
                422,
                Some("kind"),
            ),
            (
                "missing field",
                json!({"kind": "person"}),
                422,
                Some("name"),
            ),
            (
                "blank name",
                json!({"kind": "person", "name": "   "}),
                422,
                Some("name"),
            ),
            (
                "nested unknown",
                json!({"kind": "person", "name": "A", "background": {"shoe_size": "9"}}),
                422,
                Some("background.shoe_size"),
            ),
        ];
        for (what, body, status, field) in cases {
            let r = app.post_customer(&body).await;
            assert_eq!(r.status.as_u16(), status, "{b} {what}: {}", r.text);
            r.problem(status, field);
        }
        // Several problems: all listed, the first in `field`.
        let r = app
            .post_customer(&json!({"kind": "person", "name": "A", "email": "x", "phone": "y"}))
            .await;
        let p = r.problem(422, Some("phone"));
        assert!(
            p["errors"].as_array().is_some_and(|e| e.len() >= 2),
            "{}",
            r.text
        );

        // Malformed JSON: 400 with the position.
        let r = app
            .raw(
                Method::POST,
                "/api/v1/customers",
                "application/json",
                b"{\n  \"kind\": \"person\",\n  \"name\": }".to_vec(),
            )
            .await;
        let p = r.problem(400, None);
        assert_eq!(p["code"], "malformed_json");
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("line 3")),
            "{}",
            r.text
        );
        let r = app
            .raw(
                Method::POST,
                "/api/v1/customers",
                "application/json",
                Vec::new(),
            )
            .await;
        r.problem(400, None);

        // Orders: negative quantity, unknown customer, bad currency.
        let order = |customer: i64, qty: i64| {
            json!({"customer_id": customer, "order_date": "2025-01-15",
                   "lines": [{"quantity": qty, "unit_price_minor": 100}]})
        };
        // Dates outside years 1-9999: PostgreSQL cannot store some of them, and RFC 3339 has
        // four-digit years; every backend answers the same 4xx.
        app.post_customer(&json!({"kind": "person", "name": "A", "birth_date": "-5000-01-01"}))
            .await
            .problem(422, Some("birth_date"));
        app.post_key_person(
            cid,
            &json!({"name": "K", "wedding_anniversary": "-5000-06-01"}),
        )
        .await
        .problem(422, Some("wedding_anniversary"));
        let mut ancient = order(cid, 1);
        ancient["order_date"] = json!("-5000-01-01");
        app.post_order(&ancient)
            .await
            .problem(422, Some("order_date"));
        app.get("/api/v1/orders?from=-5000-01-01")
            .await
            .problem(400, Some("from"));
        app.list_customers("cursor=not-a-cursor")
            .await
            .problem(400, Some("cursor"));
        app.get("/api/v1/orders?cursor=not-a-cursor")
            .await
            .problem(400, Some("cursor"));

        app.post_order(&order(cid, -2))
            .await
            .problem(422, Some("lines[0].quantity"));
        app.post_order(&order(cid + 1000, 1))
            .await
            .problem(422, Some("customer_id"));
        let mut bad_currency = order(cid, 1);
        bad_currency["currency"] = json!("dollars");
        app.post_order(&bad_currency)
            .await
            .problem(422, Some("currency"));
        let mut bad_date = order(cid, 1);
        bad_date["order_date"] = json!("15/01/2025");
        app.post_order(&bad_date)
            .await
            .problem(422, Some("order_date"));
        let mut bad_line = order(cid, 1);
        bad_line["lines"][0]["quantity"] = json!("two");
        app.post_order(&bad_line)
            .await
            .problem(422, Some("lines[0].quantity"));

        // Ids in the path.
        app.get("/api/v1/customers/abc")
            .await
            .problem(400, Some("id"));
        app.get("/api/v1/customers/1.5")
            .await
            .problem(400, Some("id"));
        app.get("/api/v1/customers/99999999999999999999")
            .await
            .problem(400, Some("id"));
        app.delete("/api/v1/orders/x")
            .await
            .problem(400, Some("id"));
        app.patch("/api/v1/products/%20", &json!({}))
            .await
            .problem(400, Some("id"));
        app.get_customer(cid + 1000).await.problem(404, None);
        app.get("/api/v1/customers/abc/key-persons")
            .await
            .problem(400, Some("id"));

        // Media type, size, routing.
        let r = app
            .raw(
                Method::POST,
                "/api/v1/customers",
                "text/plain",
                br#"{"kind":"person","name":"A"}"#.to_vec(),
            )
            .await;
        r.problem(415, None);
        let r = app
            .client
            .post(app.url("/api/v1/customers"))
            .body(r#"{"kind":"person","name":"A"}"#)
            .send()
            .await
            .expect("send");
        Reply::from(r).await.problem(415, None);
        let mut big = br#"{"kind":"person","name":""#.to_vec();
        big.extend(std::iter::repeat_n(b'a', 10 * 1024 * 1024));
        big.extend(br#""}"#);
        app.raw(Method::POST, "/api/v1/customers", "application/json", big)
            .await
            .problem(413, None);
        app.get("/api/v1/nothing-here").await.problem(404, None);
        app.get("/nowhere").await.problem(404, None);
        let r = app
            .raw(
                Method::PUT,
                "/api/v1/customers",
                "application/json",
                b"{}".to_vec(),
            )
            .await;
        r.problem(405, None);
        let allow = r.allow.unwrap_or_default().to_uppercase();
        assert!(
            allow.contains("GET") && allow.contains("POST"),
            "Allow: {allow}"
        );

        // Nothing above created a customer.
        let r = app.list_customers("limit=500").await;
        assert_eq!(r.ok(200)["items"].as_array().map(Vec::len), Some(1), "{b}");
    });
}

#[tokio::test]
async fn key_persons_crud() {
    each_backend!(|app| {
        let org = app
            .create_customer(&json!({"kind": "organisation", "name": "Org"}))
            .await;
        let other = app
            .create_customer(&json!({"kind": "organisation", "name": "Other"}))
            .await;
        let (oid, xid) = (id_of(&org), id_of(&other));
        let r = app
            .post_key_person(
                oid,
                &json!({"name": "Chen", "title": "Buyer", "mobile": "138 0000 1111",
                                          "birthday": "1980-05-04"}),
            )
            .await;
        let k = r.ok(201).clone();
        let kid = id_of(&k);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/api/v1/key-persons/{kid}").as_str())
        );
        assert_eq!(k["customer_id"], oid);
        assert_eq!(k["birthday"], "1980-05-04");
        app.post_key_person(xid, &json!({"name": "Park"}))
            .await
            .ok(201);
        app.post_key_person(oid, &json!({"name": "Bad", "email": "bad"}))
            .await
            .problem(422, Some("email"));
        app.post_key_person(oid + 1000, &json!({"name": "Ghost"}))
            .await
            .problem(404, None);

        let path = format!("/api/v1/key-persons/{kid}");
        assert_eq!(app.get(&path).await.ok(200)["name"], "Chen");
        let p = app
            .patch(&path, &json!({"title": null, "hobbies": "golf"}))
            .await;
        let p = p.ok(200);
        assert!(p["title"].is_null());
        assert_eq!(p["hobbies"], "golf");
        assert_eq!(p["mobile"], "138 0000 1111");

        let mine = app
            .get(&format!("/api/v1/customers/{oid}/key-persons"))
            .await;
        assert_eq!(names(mine.ok(200)), ["Chen"]);
        let mine = app
            .get(&format!("/api/v1/key-persons?customer_id={oid}"))
            .await;
        assert_eq!(names(mine.ok(200)), ["Chen"]);
        let all = app.get("/api/v1/key-persons").await;
        assert_eq!(all.ok(200)["items"].as_array().map(Vec::len), Some(2));
        app.get(&format!("/api/v1/customers/{}/key-persons", oid + 1000))
            .await
            .problem(404, None);
        app.get("/api/v1/key-persons?customer_id=x")
            .await
            .problem(400, Some("customer_id"));

        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
        app.get(&path).await.problem(404, None);
    });
}

#[tokio::test]
async fn products_crud_and_list() {
    each_backend!(|app| {
        let r = app
            .post_product(
                &json!({"name": "Tea Set", "product_line": "porcelain", "unit_price_minor": 12_900,
                                  "currency": "cny", "ref": "P-1"}),
            )
            .await;
        let p = r.ok(201).clone();
        let pid = id_of(&p);
        assert_eq!(p["currency"], "CNY", "currency codes are canonical");
        assert_eq!(p["ref"], "P-1");
        assert_eq!(p["active"], true);
        app.post_product(&json!({"name": "Vase", "product_line": "porcelain"}))
            .await
            .ok(201);
        app.post_product(&json!({"name": "Kettle", "product_line": "iron"}))
            .await
            .ok(201);
        app.post_product(&json!({"name": "Cheap", "unit_price_minor": -1}))
            .await
            .problem(422, Some("unit_price_minor"));
        app.post_product(&json!({"name": "Odd", "currency": "€€€€"}))
            .await
            .problem(422, Some("currency"));

        let path = format!("/api/v1/products/{pid}");
        let u = app
            .patch(&path, &json!({"active": false, "unit_price_minor": 13_500}))
            .await;
        let u = u.ok(200);
        assert_eq!(
            (u["active"].clone(), u["unit_price_minor"].clone()),
            (json!(false), json!(13_500))
        );
        assert_eq!(u["name"], "Tea Set");

        let mut lines = names(
            app.get("/api/v1/products?product_line=porcelain")
                .await
                .ok(200),
        );
        lines.sort();
        assert_eq!(lines, ["Tea Set", "Vase"]);
        assert_eq!(
            names(app.get("/api/v1/products?q=kett").await.ok(200)),
            ["Kettle"]
        );
        let first = app.get("/api/v1/products?limit=2").await;
        let first = first.ok(200).clone();
        let cursor = first["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_owned();
        let second = app
            .get(&format!(
                "/api/v1/products?limit=2&cursor={}",
                urlencode(&cursor)
            ))
            .await;
        let mut all = names(&first);
        all.extend(names(second.ok(200)));
        all.sort();
        assert_eq!(all, ["Kettle", "Tea Set", "Vase"]);

        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
        app.get(&path).await.problem(404, None);
    });
}

#[tokio::test]
async fn orders_crud_and_list() {
    each_backend!(|app| {
        let c = app.create_customer(&person("Buyer")).await;
        let cid = id_of(&c);
        let other = id_of(&app.create_customer(&person("Other")).await);
        let prod = app
            .post_product(&json!({"name": "Widget", "product_line": "tools"}))
            .await;
        let prod = id_of(prod.ok(201));
        let r = app
            .post_order(&json!({
                "customer_id": cid, "order_date": "2025-02-01", "currency": "USD", "ref": "SO-1",
                "asked_by_name": true,
                "lines": [
                    {"product_id": prod, "quantity": 3, "unit_price_minor": 250},
                    {"product_line": "service", "quantity": 1, "amount_minor": 1000}
                ]
            }))
            .await;
        let o = r.ok(201).clone();
        let oid = id_of(&o);
        assert_eq!(
            r.location.as_deref(),
            Some(format!("/api/v1/orders/{oid}").as_str())
        );
        assert_eq!(o["total_minor"], 1750);
        assert_eq!(o["lines"][0]["amount_minor"], 750);
        assert_eq!(o["asked_by_name"], true);
        assert_eq!(o["ref"], "SO-1");
        app.post_order(&json!({"customer_id": cid, "order_date": "2025-03-10",
                               "lines": [{"quantity": 1, "amount_minor": 99}]}))
            .await
            .ok(201);
        app.post_order(&json!({"customer_id": other, "order_date": "2025-02-15",
                               "lines": [{"quantity": 1, "amount_minor": 5}]}))
            .await
            .ok(201);
        app.post_order(&json!({"customer_id": cid, "order_date": "2025-01-01", "lines": []}))
            .await
            .problem(422, Some("lines"));

        let path = format!("/api/v1/orders/{oid}");
        let u = app
            .patch(
                &path,
                &json!({"lines": [{"quantity": 2, "unit_price_minor": 500}], "notes": "rush"}),
            )
            .await;
        let u = u.ok(200);
        assert_eq!(u["total_minor"], 1000, "lines are replaced as a whole");
        assert_eq!(u["notes"], "rush");
        assert_eq!(u["ref"], "SO-1");
        app.patch(&path, &json!({"customer_id": 987_654}))
            .await
            .problem(422, Some("customer_id"));
        app.patch(
            &path,
            &json!({"lines": [{"quantity": 0, "amount_minor": 1}]}),
        )
        .await
        .problem(422, Some("lines[0].quantity"));

        let mine = app.get(&format!("/api/v1/orders?customer_id={cid}")).await;
        assert_eq!(mine.ok(200)["items"].as_array().map(Vec::len), Some(2));
        let feb = app
            .get("/api/v1/orders?from=2025-02-01&to=2025-02-28")
            .await;
        let feb_ids: BTreeSet<i64> = feb.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(id_of)
            .collect();
        assert_eq!(feb_ids.len(), 2, "{}: {}", app.backend, feb.text);
        assert!(feb_ids.contains(&oid));
        app.get("/api/v1/orders?from=yesterday")
            .await
            .problem(400, Some("from"));

        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
        app.get(&path).await.problem(404, None);
    });
}

#[tokio::test]
async fn interactions_crud_and_list() {
    each_backend!(|app| {
        let staff = app.create_user("rep@example.com", "Rep").await;
        let cid = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "Client"}))
                .await,
        );
        let other = id_of(&app.create_customer(&person("Other")).await);
        let kp = id_of(
            app.post_key_person(cid, &json!({"name": "Contact"}))
                .await
                .ok(201),
        );
        let r = app
            .post_interaction(
                &json!({"customer_id": cid, "kind": "call", "staff_id": staff.id.0,
                                      "key_person_id": kp, "outcome": "wants a quote",
                                      "occurred_at": "2025-04-01T09:30:00Z"}),
            )
            .await;
        let i = r.ok(201).clone();
        let iid = id_of(&i);
        assert_eq!(i["kind"], "call");
        assert_eq!(i["staff_id"], staff.id.0);
        app.post_interaction(&json!({"customer_id": cid, "kind": "visit"}))
            .await
            .ok(201);
        app.post_interaction(&json!({"customer_id": other, "kind": "card"}))
            .await
            .ok(201);
        app.post_interaction(&json!({"customer_id": cid + 1000, "kind": "visit"}))
            .await
            .problem(422, Some("customer_id"));
        app.post_interaction(&json!({"customer_id": cid, "kind": "visit", "staff_id": 424_242}))
            .await
            .problem(422, Some("staff_id"));
        app.post_interaction(&json!({"customer_id": other, "kind": "visit", "key_person_id": kp}))
            .await
            .problem(422, Some("key_person_id"));
        app.post_interaction(&json!({"customer_id": cid, "kind": "telepathy"}))
            .await
            .problem(422, Some("kind"));
        app.post_interaction(
            &json!({"customer_id": cid, "kind": "visit", "occurred_at": "yesterday"}),
        )
        .await
        .problem(422, Some("occurred_at"));

        let path = format!("/api/v1/interactions/{iid}");
        let u = app
            .patch(&path, &json!({"outcome": null, "notes": "sent quote"}))
            .await;
        let u = u.ok(200);
        assert!(u["outcome"].is_null());
        assert_eq!(u["notes"], "sent quote");
        assert_eq!(u["key_person_id"], kp);

        let r = app
            .get(&format!("/api/v1/interactions?customer_id={cid}"))
            .await;
        assert_eq!(r.ok(200)["items"].as_array().map(Vec::len), Some(2));
        let r = app.get("/api/v1/interactions?kind=card").await;
        assert_eq!(r.ok(200)["items"].as_array().map(Vec::len), Some(1));
        let r = app
            .get(&format!("/api/v1/interactions?staff_id={}", staff.id))
            .await;
        assert_eq!(r.ok(200)["items"][0]["id"], iid);
        app.get("/api/v1/interactions?kind=séance")
            .await
            .problem(400, Some("kind"));

        assert_eq!(app.delete(&path).await.status, StatusCode::NO_CONTENT);
        app.get(&path).await.problem(404, None);
    });
}

#[tokio::test]
async fn openapi_document_health_and_index() {
    each_backend!(|app| {
        let r = app.get("/api/v1/openapi.json").await;
        let doc = r.ok(200);
        assert!(r.content_type.starts_with("application/json"));
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        for (method, path) in patron_web::router::API_ROUTES {
            assert!(
                doc["paths"][path][method].is_object(),
                "{method} {path} not documented"
            );
        }
        assert!(doc["components"]["schemas"]["Problem"].is_object());
        assert!(doc["components"]["schemas"]["CustomerInput"].is_object());

        let h = app.get("/healthz").await;
        assert_eq!((h.status, h.text.as_str()), (StatusCode::OK, "ok"));
        let r = app.get("/readyz").await;
        assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ready"));
        // The root is the web UI: signed out, it leads to the sign-in form.
        let i = app.get("/").await;
        assert_eq!(i.status, StatusCode::OK);
        assert!(i.text.contains("action=\"/sign-in\""), "{}", i.text);
    });
}

/// A user of the given level with a token, and a client that sends it.
async fn signed_in_as(
    app: &TestApp,
    email: &str,
    level: StaffLevel,
    manager: Option<patron_core::UserId>,
) -> (User, reqwest::Client) {
    let u = app
        .store
        .create_user(UserInput {
            email: email.into(),
            name: email.split('@').next().unwrap_or(email).into(),
            staff_level: level,
            manager_id: manager,
        })
        .await
        .expect("user");
    let token = app
        .store
        .create_api_token(u.id, "t")
        .await
        .expect("token")
        .secret;
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    let c = reqwest::Client::builder()
        .default_headers(h)
        .build()
        .expect("client");
    (u, c)
}

async fn status_of(c: &reqwest::Client, app: &TestApp, method: Method, path: &str) -> u16 {
    c.request(method, app.url(path))
        .send()
        .await
        .expect("send")
        .status()
        .as_u16()
}

#[tokio::test]
async fn api_requires_a_token_or_session() {
    each_backend!(|app| {
        let anon = reqwest::Client::new();
        for path in [
            "/api/v1/customers",
            "/api/v1/customers/1",
            "/api/v1/orders",
            "/api/v1/users",
        ] {
            let r = Reply::from(anon.get(app.url(path)).send().await.expect("send")).await;
            r.problem(401, None);
        }
        let res = anon
            .get(app.url("/api/v1/customers"))
            .header("authorization", "Bearer patron_not-a-real-token")
            .send()
            .await
            .expect("send");
        assert_eq!(res.status().as_u16(), 401);
        assert!(res.headers().contains_key("www-authenticate"));
        let r = Reply::from(
            anon.get(app.url("/api/v1/customers"))
                .header("authorization", "Basic YWRtaW46YWRtaW4=")
                .send()
                .await
                .expect("send"),
        )
        .await;
        r.problem(401, None);
        // A revoked token stops working at once.
        let admin = app
            .store
            .find_user("admin@example.com")
            .await
            .expect("find")
            .expect("admin");
        let t = app
            .store
            .create_api_token(admin.id, "short-lived")
            .await
            .expect("token");
        let ok = anon
            .get(app.url("/api/v1/customers"))
            .bearer_auth(&t.secret)
            .send()
            .await
            .expect("send");
        assert_eq!(ok.status().as_u16(), 200);
        app.store
            .revoke_api_token(admin.id, t.token.id)
            .await
            .expect("revoke");
        let gone = anon
            .get(app.url("/api/v1/customers"))
            .bearer_auth(&t.secret)
            .send()
            .await
            .expect("send");
        assert_eq!(gone.status().as_u16(), 401);
        // The public parts stay public.
        assert_eq!(status_of(&anon, &app, Method::GET, "/healthz").await, 200);
        assert_eq!(
            status_of(&anon, &app, Method::GET, "/api/v1/openapi.json").await,
            200
        );
    });
}

#[tokio::test]
async fn record_level_access_by_role() {
    each_backend!(|app| {
        let (boss, boss_c) =
            signed_in_as(&app, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let (ann, ann_c) = signed_in_as(
            &app,
            "ann@example.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let (ben, ben_c) = signed_in_as(
            &app,
            "ben@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let (_, dir_c) =
            signed_in_as(&app, "dir@example.com", StaffLevel::MarketingDirector, None).await;
        let anns = app
            .create_customer(&json!({"kind": "person", "name": "安妮的客户", "owner_id": ann.id.0}))
            .await;
        let bens = app
            .create_customer(&json!({"kind": "person", "name": "本的客户", "owner_id": ben.id.0}))
            .await;
        let (a, b) = (id_of(&anns), id_of(&bens));
        // Ben is relationship manager of one of Ann's customers: he sees that one too.
        let shared = app
            .create_customer(&json!({"kind": "person", "name": "共同客户",
                "owner_id": ann.id.0, "relationship_manager_id": ben.id.0}))
            .await;
        let s = id_of(&shared);
        let names_for = |c: &reqwest::Client| {
            let c = c.clone();
            let url = app.url("/api/v1/customers?q=客户&limit=500");
            async move {
                let r = Reply::from(c.get(url).send().await.expect("send")).await;
                let mut v = names(r.ok(200));
                v.sort();
                v
            }
        };
        assert_eq!(names_for(&ann_c).await, vec!["共同客户", "安妮的客户"]);
        assert_eq!(names_for(&ben_c).await, vec!["共同客户", "本的客户"]);
        assert_eq!(names_for(&boss_c).await, vec!["共同客户", "安妮的客户"]);
        assert_eq!(names_for(&dir_c).await.len(), 3);
        // Another rep's customer is "not found" by URL, for every method, with nothing leaked.
        for (m, path) in [
            (Method::GET, format!("/api/v1/customers/{b}")),
            (Method::GET, format!("/api/v1/customers/{b}/overview")),
            (Method::GET, format!("/api/v1/customers/{b}/key-persons")),
            (Method::DELETE, format!("/api/v1/customers/{b}")),
        ] {
            let r = Reply::from(
                ann_c
                    .request(m.clone(), app.url(&path))
                    .send()
                    .await
                    .expect("send"),
            )
            .await;
            let p = r.problem(404, None);
            assert!(!r.text.contains("本的客户"), "{m} {path}: {p}");
        }
        // The same answer as for an id that does not exist.
        let missing = Reply::from(
            ann_c
                .get(app.url("/api/v1/customers/987654"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        missing.problem(404, None);
        assert_eq!(
            status_of(&ann_c, &app, Method::GET, &format!("/api/v1/customers/{s}")).await,
            200
        );
        assert_eq!(
            status_of(&ben_c, &app, Method::GET, &format!("/api/v1/customers/{s}")).await,
            200
        );
        assert_eq!(
            status_of(&ben_c, &app, Method::GET, &format!("/api/v1/customers/{a}")).await,
            404
        );
        // Records of a hidden customer cannot be reached or created either.
        let order = app
            .post_order(&json!({"customer_id": b, "order_date": "2024-05-01",
                "lines": [{"quantity": 1, "amount_minor": 1000}]}))
            .await;
        let oid = id_of(order.ok(201));
        assert_eq!(
            status_of(&ann_c, &app, Method::GET, &format!("/api/v1/orders/{oid}")).await,
            404
        );
        let r = Reply::from(
            ann_c
                .post(app.url("/api/v1/interactions"))
                .json(&json!({"customer_id": b, "kind": "visit"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        r.problem(422, Some("customer_id"));
        let orders = Reply::from(
            ann_c
                .get(app.url("/api/v1/orders"))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(orders.ok(200)["items"].as_array().map(Vec::len), Some(0));
        // A rep's new customer is theirs; giving it to another rep is refused.
        let mine = Reply::from(
            ann_c
                .post(app.url("/api/v1/customers"))
                .json(&json!({"kind": "person", "name": "新客户"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        assert_eq!(mine.ok(201)["owner_id"], json!(ann.id.0));
        let r = Reply::from(
            ann_c
                .post(app.url("/api/v1/customers"))
                .json(&json!({"kind": "person", "name": "x", "owner_id": ben.id.0}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        r.problem(422, Some("owner_id"));
        // Sales representatives do not change the product catalogue.
        let r = Reply::from(
            ann_c
                .post(app.url("/api/v1/products"))
                .json(&json!({"name": "P"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        r.problem(403, None);
    });
}

#[tokio::test]
async fn changes_are_audited_with_who_and_field_level_before_after() {
    each_backend!(|app| {
        let (boss, boss_c) =
            signed_in_as(&app, "boss@example.com", StaffLevel::GeneralManager, None).await;
        let (rep, _) = signed_in_as(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let c = Reply::from(
            boss_c
                .post(app.url("/api/v1/customers"))
                .json(&json!({"kind": "person", "name": "李雷"}))
                .send()
                .await
                .expect("send"),
        )
        .await;
        let id = id_of(c.ok(201));
        let r = Reply::from(
            boss_c
                .patch(app.url(&format!("/api/v1/customers/{id}")))
                .header(CONTENT_TYPE, "application/merge-patch+json")
                .body(json!({"name": "李雷雷", "owner_id": rep.id.0}).to_string())
                .send()
                .await
                .expect("send"),
        )
        .await;
        r.ok(200);
        let h = app
            .store
            .customer_history(patron_core::CustomerId(id), 10)
            .await
            .expect("history");
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h[0].action, "update");
        assert_eq!(h[0].user_id, Some(boss.id));
        assert_eq!(
            h[0].changes["name"],
            json!({"before": "李雷", "after": "李雷雷"})
        );
        assert_eq!(
            h[0].changes["owner_id"],
            json!({"before": null, "after": rep.id.0})
        );
        assert_eq!(h[1].action, "create");
        let owners = app
            .store
            .owner_history(patron_core::CustomerId(id))
            .await
            .expect("owners");
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].to_user_id, Some(rep.id));
        assert_eq!(owners[0].changed_by, Some(boss.id));
    });
}

#[tokio::test]
async fn classification_over_the_api() {
    each_backend!(|app| {
        let (rep, rep_c) = signed_in_as(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let (_, boss_c) =
            signed_in_as(&app, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let big = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "大客户",
                "owner_id": rep.id.0}))
                .await,
        );
        let small = id_of(&app.create_customer(&person("小客户")).await);
        let today = chrono::Utc::now().date_naive();
        for (c, days, amount) in [
            (big, 10, "900.00"),
            (big, 40, "800.00"),
            (small, 20, "50.00"),
        ] {
            let day = today - chrono::Duration::days(days);
            app.post_order(&json!({"customer_id": c, "order_date": day.to_string(),
                "lines": [{"quantity": 1, "amount_minor": amount.replace('.', "").parse::<i64>().expect("n")}]}))
                .await
                .ok(201);
        }
        let r = app.get(&format!("/api/v1/customers/{big}/classes")).await;
        assert_eq!(r.status.as_u16(), 404, "not classified yet: {}", r.text);

        // Running a classification: business managers and above.
        let send = |c: &reqwest::Client, m: Method, path: &str, body: Option<Value>| {
            let mut req = c.request(m, app.url(path));
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move { Reply::from(req.send().await.expect("send")).await }
        };
        let r = send(&rep_c, Method::POST, "/api/v1/classify", Some(json!({}))).await;
        r.problem(403, None);
        let r = send(&boss_c, Method::POST, "/api/v1/classify", Some(json!({}))).await;
        let v = r.ok(200);
        assert_eq!(v["customers"], 2, "{v}");
        assert_eq!(v["abc"]["A"], 1);
        assert_eq!(v["changes_by_dimension"]["abc"], 2);
        let r = send(
            &boss_c,
            Method::POST,
            "/api/v1/classify",
            Some(json!({"as_of": "next tuesday"})),
        )
        .await;
        r.problem(422, Some("as_of"));

        // The owner sees the classes and their reasons; the explanation's numbers are there.
        let r = send(
            &rep_c,
            Method::GET,
            &format!("/api/v1/customers/{big}/classes"),
            None,
        )
        .await;
        let v = r.ok(200);
        assert_eq!(v["abc"], "A");
        assert_eq!(v["abc_reason"]["rank"], 1);
        assert_eq!(v["abc_reason"]["revenue_minor"], 170000);
        assert_eq!(v["rfm"]["frequency"], 2);
        // Another representative's customer is not found.
        let r = send(
            &rep_c,
            Method::GET,
            &format!("/api/v1/customers/{small}/classes"),
            None,
        )
        .await;
        assert_eq!(r.status.as_u16(), 404);

        // Loyalty override: the reason is required and named; then recorded as the caller's.
        let path = format!("/api/v1/customers/{big}/loyalty-override");
        let r = send(
            &rep_c,
            Method::PUT,
            &path,
            Some(json!({"loyalty": "loyal", "reason": ""})),
        )
        .await;
        r.problem(422, Some("reason"));
        let r = send(
            &rep_c,
            Method::PUT,
            &path,
            Some(json!({"loyalty": "fickle", "reason": "x"})),
        )
        .await;
        assert_eq!(r.status.as_u16(), 422, "{}", r.text);
        let r = send(
            &rep_c,
            Method::PUT,
            &path,
            Some(json!({"loyalty": "switcher", "reason": "now also buys from a rival"})),
        )
        .await;
        let v = r.ok(200);
        assert_eq!(v["loyalty"], "switcher");
        assert_eq!(v["loyalty_overridden"], true);
        let r = send(
            &rep_c,
            Method::GET,
            &format!("/api/v1/customers/{big}/class-history"),
            None,
        )
        .await;
        let v = r.ok(200);
        assert_eq!(v["items"][0]["dimension"], "loyalty");
        assert_eq!(v["items"][0]["new_class"], "switcher");
        assert_eq!(v["items"][0]["user_id"], rep.id.0);
        let r = send(&rep_c, Method::DELETE, &path, None).await;
        assert_eq!(r.ok(200)["loyalty_overridden"], false);

        // Dashboard counts and movement: managers; filters on the list.
        let r = send(&rep_c, Method::GET, "/api/v1/classes/summary", None).await;
        r.problem(403, None);
        let v = send(&boss_c, Method::GET, "/api/v1/classes/summary", None).await;
        let v = v.ok(200);
        assert_eq!(v["abc"][0]["class"], "A");
        assert_eq!(v["abc"][0]["customers"], 1);
        let q = format!(
            "/api/v1/classes/movement?dimension=abc&from={}&to={today}",
            today - chrono::Duration::days(365)
        );
        let v = send(&boss_c, Method::GET, &q, None).await;
        let v = v.ok(200);
        assert_eq!(v["movement"].as_array().map(|a| a.len()), Some(2), "{v}");
        assert!(v["movement"][0]["from"].is_null());
        let r = send(
            &boss_c,
            Method::GET,
            "/api/v1/classes/movement?from=2026-01-02&to=2026-01-01",
            None,
        )
        .await;
        r.problem(422, Some("from"));
        let r = app.list_customers("abc=A").await;
        assert_eq!(names(r.ok(200)), vec!["大客户"]);
        let r = app.list_customers("abc=D").await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
        let r = app.list_customers("p_alive_max=2").await;
        assert_eq!(r.status.as_u16(), 400, "{}", r.text);
        assert!(r.text.contains("p_alive_max"), "{}", r.text);
        let r = app.list_customers("p_alive_max=0.5&clv_min=10").await;
        assert_eq!(names(r.ok(200)), Vec::<String>::new(), "nobody is scored");

        // Rules: read by managers, changed by the director and above, validated by field.
        let r = send(&boss_c, Method::GET, "/api/v1/classes/rules", None).await;
        let mut rules = r.ok(200).clone();
        assert_eq!(rules["abc"]["method"], "revenue_share");
        rules["abc"]["window_months"] = json!(6);
        let r = send(
            &boss_c,
            Method::PUT,
            "/api/v1/classes/rules",
            Some(rules.clone()),
        )
        .await;
        r.problem(403, None);
        let r = app
            .request(Method::PUT, "/api/v1/classes/rules", Some(&rules))
            .await;
        assert_eq!(r.ok(200)["abc"]["window_months"], 6);
        rules["abc"]["revenue_b"] = json!(0.5);
        let r = app
            .request(Method::PUT, "/api/v1/classes/rules", Some(&rules))
            .await;
        r.problem(422, Some("abc.revenue_b"));
    });
}

#[tokio::test]
async fn value_lists_over_the_api() {
    each_backend!(|app| {
        let c = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "单线客户"}))
                .await,
        );
        let other = id_of(&app.create_customer(&person("另一位")).await);
        let today = chrono::Utc::now().date_naive();
        for (cust, line) in [(c, "Tea"), (other, "Coffee"), (other, "Gifts")] {
            app.post_order(&json!({"customer_id": cust, "order_date": (today - chrono::Duration::days(5)).to_string(),
                "lines": [{"quantity": 1, "amount_minor": 1000, "product_line": line}]}))
                .await
                .ok(201);
        }
        let r = app.get("/api/v1/lists/narrow").await;
        let v = r.ok(200);
        assert_eq!(v["name"], "narrow");
        assert_eq!(v["columns"][0]["key"], "lines_bought");
        assert_eq!(v["columns"][0]["kind"], "text");
        let rows = v["rows"].as_array().expect("rows");
        let mine = rows
            .iter()
            .find(|r| r["customer_id"] == c)
            .expect("the one-line buyer");
        assert_eq!(mine["name"], "单线客户");
        assert_eq!(mine["values"][1], "Coffee, Gifts");
        let r = app.get("/api/v1/lists/drag").await;
        let v = r.ok(200);
        assert!(
            v["note"].as_str().is_some(),
            "waits for a classification: {v}"
        );
        let r = app.get("/api/v1/lists/platinum").await;
        assert_eq!(r.status.as_u16(), 404);
        assert!(r.content_type.starts_with("application/problem+json"));
    });
}

#[tokio::test]
async fn credit_limits_payments_and_overrides_over_the_api() {
    each_backend!(|app| {
        let (boss, boss_c) =
            signed_in_as(&app, "boss@example.com", StaffLevel::BusinessManager, None).await;
        let (rep, rep_c) = signed_in_as(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            Some(boss.id),
        )
        .await;
        let (_, other_c) = signed_in_as(
            &app,
            "other@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let send = |c: &reqwest::Client, m: Method, path: &str, body: Option<Value>| {
            let mut req = c.request(m, app.url(path));
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move { Reply::from(req.send().await.expect("send")).await }
        };
        let cid = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "王记商行",
                "owner_id": rep.id.0}))
                .await,
        );
        let today = chrono::Utc::now().date_naive().to_string();
        let order = |minor: i64| {
            json!({"customer_id": cid, "order_date": today,
                   "lines": [{"quantity": 1, "amount_minor": minor}]})
        };
        let credit_path = format!("/api/v1/customers/{cid}/credit");

        // Not under credit management yet: nothing is checked.
        let v = send(&rep_c, Method::GET, &credit_path, None).await;
        assert!(v.ok(200)["credit"].is_null(), "{}", v.text);

        // Granting credit is a manager's act, validated by field.
        let reviews = format!("/api/v1/customers/{cid}/credit-reviews");
        let review = json!({"class": "AA", "limit_minor": 5_000_000, "term_days": 30,
                            "notes": "two bank references"});
        send(&rep_c, Method::POST, &reviews, Some(review.clone()))
            .await
            .problem(403, None);
        send(&boss_c, Method::POST, &reviews, Some(json!({"class": "B"})))
            .await
            .problem(422, Some("class"));
        send(
            &boss_c,
            Method::POST,
            &reviews,
            Some(json!({"class": "A", "limit_minor": -5})),
        )
        .await
        .problem(422, Some("limit_minor"));
        let r = send(&boss_c, Method::POST, &reviews, Some(review)).await;
        let v = r.ok(201);
        assert_eq!(v["class"], "AA");
        assert_eq!(v["reviewer_id"], boss.id.0);
        assert_eq!(r.location.as_deref(), Some(credit_path.as_str()));

        // 46,000.00 owed; an order of 12,000.00 would take it to 58,000.00.
        app.post_order(&order(3_000_000)).await.ok(201);
        app.post_order(&order(1_600_000)).await.ok(201);
        let r = send(
            &rep_c,
            Method::POST,
            "/api/v1/orders",
            Some(order(1_200_000)),
        )
        .await;
        let p = r.problem(422, Some("credit"));
        assert_eq!(p["code"], "credit_limit_exceeded");
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(
                "this order of $12,000.00 would take 王记商行 to $58,000.00 outstanding, \
                 over its credit limit of $50,000.00 (AA)"
            ),
            "{detail}"
        );
        // A sales representative cannot override; a manager must give a reason.
        let mut with = order(1_200_000);
        with["credit_override"] = json!({"reason": "pays on delivery"});
        send(&rep_c, Method::POST, "/api/v1/orders", Some(with.clone()))
            .await
            .problem(403, Some("credit_override"));
        let mut empty = order(1_200_000);
        empty["credit_override"] = json!({"reason": " "});
        send(&boss_c, Method::POST, "/api/v1/orders", Some(empty))
            .await
            .problem(422, Some("credit_override.reason"));
        let mut odd = order(1_200_000);
        odd["credit_override"] = json!({"reason": "x", "approved": true});
        send(&boss_c, Method::POST, "/api/v1/orders", Some(odd))
            .await
            .problem(422, Some("credit_override.approved"));
        let r = send(&boss_c, Method::POST, "/api/v1/orders", Some(with)).await;
        let overridden = id_of(r.ok(201));
        let v = send(&rep_c, Method::GET, &credit_path, None).await;
        let v = v.ok(200);
        assert_eq!(v["credit"]["class"], "AA");
        assert_eq!(v["credit"]["balance"]["outstanding_minor"], 5_800_000);
        assert_eq!(v["credit"]["available_minor"], -800_000);
        assert_eq!(v["overrides"][0]["order_id"], overridden);
        assert_eq!(v["overrides"][0]["user_id"], boss.id.0);
        assert_eq!(v["overrides"][0]["reason"], "pays on delivery");
        assert_eq!(v["overrides"][0]["over_limit_minor"], 800_000);
        assert_eq!(v["reviews"][0]["notes"], "two bank references");

        // Payments bring the balance down; the next order fits exactly.
        let payments = format!("/api/v1/customers/{cid}/payments");
        send(
            &rep_c,
            Method::POST,
            &payments,
            Some(json!({"amount_minor": 0})),
        )
        .await
        .problem(422, Some("amount_minor"));
        send(
            &rep_c,
            Method::POST,
            &payments,
            Some(json!({"amount_minor": 5, "paid_on": "2999-01-01"})),
        )
        .await
        .problem(422, Some("paid_on"));
        let r = send(
            &rep_c,
            Method::POST,
            &payments,
            Some(json!({"amount_minor": 2_000_000, "reference": "TT-0042"})),
        )
        .await;
        let pay = id_of(r.ok(201));
        assert_eq!(r.location, Some(format!("/api/v1/payments/{pay}")));
        let v = send(&rep_c, Method::GET, &payments, None).await;
        assert_eq!(v.ok(200)["items"][0]["reference"], "TT-0042");
        let v = send(&rep_c, Method::GET, &credit_path, None).await;
        assert_eq!(
            v.ok(200)["credit"]["balance"]["outstanding_minor"],
            3_800_000
        );
        let fits = id_of(
            send(
                &rep_c,
                Method::POST,
                "/api/v1/orders",
                Some(order(1_200_000)),
            )
            .await
            .ok(201),
        );
        // Editing an order upwards is checked like a new one; a manager may override it too.
        let path = format!("/api/v1/orders/{fits}");
        let raise = json!({"lines": [{"quantity": 1, "amount_minor": 1_300_000}]});
        send(&rep_c, Method::PATCH, &path, Some(raise.clone()))
            .await
            .problem(422, Some("credit"));
        let mut raise_ok = raise.clone();
        raise_ok["credit_override"] = json!({"reason": "agreed by phone"});
        let r = send(&boss_c, Method::PATCH, &path, Some(raise_ok)).await;
        assert_eq!(r.ok(200)["total_minor"], 1_300_000);
        send(
            &rep_c,
            Method::PATCH,
            &path,
            Some(json!({"notes": "lowering and notes pass"})),
        )
        .await
        .ok(200);

        // The credit list follows record-level access; so do the customer's credit and payments.
        let v = send(&rep_c, Method::GET, "/api/v1/credit/accounts", None).await;
        let v = v.ok(200);
        assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "{v}");
        assert_eq!(v["items"][0]["name"], "王记商行");
        assert_eq!(v["items"][0]["outstanding_minor"], 5_100_000);
        let v = send(&other_c, Method::GET, "/api/v1/credit/accounts", None).await;
        assert_eq!(v.ok(200)["items"].as_array().map(Vec::len), Some(0));
        for (m, p) in [
            (Method::GET, credit_path.clone()),
            (Method::GET, payments.clone()),
            (Method::GET, format!("/api/v1/payments/{pay}")),
            (Method::DELETE, format!("/api/v1/payments/{pay}")),
        ] {
            send(&other_c, m, &p, None).await.problem(404, None);
        }
        // A payment recorded by mistake is deleted; the customer owes it again.
        let r = send(
            &rep_c,
            Method::DELETE,
            &format!("/api/v1/payments/{pay}"),
            None,
        )
        .await;
        assert_eq!(r.status.as_u16(), 204, "{}", r.text);
        send(
            &rep_c,
            Method::GET,
            &format!("/api/v1/payments/{pay}"),
            None,
        )
        .await
        .problem(404, None);
        let v = send(&rep_c, Method::GET, &credit_path, None).await;
        assert_eq!(
            v.ok(200)["credit"]["balance"]["outstanding_minor"],
            7_100_000
        );

        // The document describes the override member of an order body.
        let doc = app.get("/api/v1/openapi.json").await;
        let doc = doc.ok(200);
        assert!(
            doc["components"]["schemas"]["OrderCreate"]["properties"]["credit_override"]
                .is_object(),
            "OrderCreate lacks credit_override"
        );
        assert!(
            doc["components"]["schemas"]["OrderPatch"]["properties"]["credit_override"].is_object()
        );
    });
}

#[tokio::test]
async fn satisfaction_over_the_api() {
    each_backend!(|app| {
        let (rep, rep_c) = signed_in_as(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let mine = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "满意公司",
                "owner_id": rep.id.0}))
                .await,
        );
        let other = id_of(&app.create_customer(&person("别人的客户")).await);
        let send = |m: Method, path: &str, body: Option<Value>| {
            let mut req = rep_c.request(m, app.url(path));
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move { Reply::from(req.send().await.expect("send")).await }
        };
        let path = format!("/api/v1/customers/{mine}/satisfaction");
        let r = send(Method::GET, &path, None).await;
        let v = r.ok(200);
        assert_eq!(v["quadrant"], "unknown", "{v}");
        assert!(v["product"].is_null());

        // Bad input is named.
        send(
            Method::POST,
            &path,
            Some(json!({"aspect": "product", "score": 6})),
        )
        .await
        .problem(422, Some("score"));
        send(
            Method::POST,
            &path,
            Some(json!({"aspect": "product", "score": 4, "rated_on": "2999-01-01"})),
        )
        .await
        .problem(422, Some("rated_on"));

        let r = send(
            Method::POST,
            &path,
            Some(
                json!({"aspect": "product", "score": 4, "note": "good range",
                "rated_on": "2026-01-10"}),
            ),
        )
        .await;
        let v = r.ok(201);
        assert_eq!(v["product"]["score"], 4, "{v}");
        assert_eq!(v["product"]["note"], "good range");
        assert_eq!(v["product"]["user_id"], rep.id.0);
        assert_eq!(v["quadrant"], "unknown");
        let r = send(
            Method::POST,
            &path,
            Some(json!({"aspect": "service", "score": 2})),
        )
        .await;
        let v = r.ok(201);
        assert_eq!(v["quadrant"], "easily_taken", "{v}");
        let r = send(Method::GET, &path, None).await;
        let v = r.ok(200);
        assert_eq!(v["service"]["score"], 2);
        assert_eq!(v["quadrant"], "easily_taken");

        // Another representative's customer is not found, for reading and for writing.
        let theirs = format!("/api/v1/customers/{other}/satisfaction");
        assert_eq!(send(Method::GET, &theirs, None).await.status.as_u16(), 404);
        let r = send(
            Method::POST,
            &theirs,
            Some(json!({"aspect": "service", "score": 5})),
        )
        .await;
        assert_eq!(r.status.as_u16(), 404);
    });
}

#[tokio::test]
async fn agenda_policy_settings_and_compliance_over_the_api() {
    each_backend!(|app| {
        let (boss, boss_c) =
            signed_in_as(&app, "gm@example.com", StaffLevel::GeneralManager, None).await;
        let (rep, rep_c) = signed_in_as(
            &app,
            "rep@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let (_other, other_c) = signed_in_as(
            &app,
            "other@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let send = |c: &reqwest::Client, m: Method, path: &str, body: Option<Value>| {
            let mut req = c.request(m, app.url(path));
            if let Some(b) = body {
                req = req.json(&b);
            }
            async move { Reply::from(req.send().await.expect("send")).await }
        };
        let mine = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "议程公司",
                "owner_id": rep.id.0}))
                .await,
        );
        let today = chrono::Utc::now().date_naive();
        // A promise made yesterday, due tomorrow, logged over the API with the new fields.
        let yesterday = format!("{}T09:00:00Z", today - chrono::Duration::days(1));
        let tomorrow = (today + chrono::Duration::days(1)).to_string();
        let r = send(
            &rep_c,
            Method::POST,
            "/api/v1/interactions",
            Some(
                json!({"customer_id": mine, "kind": "call", "occurred_at": yesterday,
                "staff_id": rep.id.0, "follow_up_on": tomorrow, "follow_up": "send samples"}),
            ),
        )
        .await;
        let promise = r.ok(201).clone();
        assert_eq!(promise["follow_up"], "send samples");
        // A follow-up without its day is refused naming the field.
        send(
            &rep_c,
            Method::POST,
            "/api/v1/interactions",
            Some(json!({"customer_id": mine, "kind": "call", "follow_up": "x"})),
        )
        .await
        .problem(422, Some("follow_up_on"));

        let v = send(&rep_c, Method::GET, "/api/v1/agenda", None)
            .await
            .ok(200)
            .clone();
        let items = v["items"].as_array().expect("items");
        let key = format!("follow_up:{}", promise["id"]);
        let item = items
            .iter()
            .find(|i| i["key"] == key.as_str())
            .unwrap_or_else(|| panic!("no follow-up in {v}"));
        // The shape other tools rely on.
        assert_eq!(item["kind"], "follow_up");
        assert_eq!(item["customer_id"], mine);
        assert_eq!(item["customer_name"], "议程公司");
        assert_eq!(item["due"], tomorrow.as_str());
        assert_eq!(item["overdue"], false);
        assert!(item["reason"]
            .as_str()
            .expect("reason")
            .contains("send samples"));
        assert!(v["counts"]["week"].as_u64().expect("count") >= 1);

        // Another rep neither sees it nor may act on it; the GM may open the rep's agenda.
        let o = send(&other_c, Method::GET, "/api/v1/agenda", None)
            .await
            .ok(200)
            .clone();
        assert!(o["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["customer_id"] != mine));
        send(
            &other_c,
            Method::GET,
            &format!("/api/v1/agenda?user_id={}", rep.id.0),
            None,
        )
        .await
        .problem(404, None);
        send(
            &other_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": key, "action": "dismiss", "reason": "not mine"})),
        )
        .await
        .problem(404, None);
        let g = send(
            &boss_c,
            Method::GET,
            &format!("/api/v1/agenda?user_id={}&date={today}", rep.id.0),
            None,
        )
        .await
        .ok(200)
        .clone();
        assert_eq!(g["user_id"], rep.id.0);

        // Bad actions are named; a good snooze moves it; done logs a call.
        send(
            &rep_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": key, "action": "dismiss", "reason": ""})),
        )
        .await
        .problem(422, Some("reason"));
        send(
            &rep_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": key, "action": "snooze", "until": today.to_string()})),
        )
        .await
        .problem(422, Some("until"));
        send(
            &rep_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": "nonsense", "action": "done"})),
        )
        .await
        .problem(422, Some("key"));
        let until = (today + chrono::Duration::days(3)).to_string();
        let s = send(
            &rep_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": key, "action": "snooze", "until": until})),
        )
        .await
        .ok(200)
        .clone();
        assert_eq!(s["action"], "snoozed");
        let v = send(&rep_c, Method::GET, "/api/v1/agenda", None)
            .await
            .ok(200)
            .clone();
        let it = v["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["key"] == key.as_str())
            .expect("snoozed item")
            .clone();
        assert_eq!(
            (it["due"].as_str(), it["snoozed"].as_bool()),
            (Some(until.as_str()), Some(true))
        );
        let d = send(
            &rep_c,
            Method::POST,
            "/api/v1/agenda/actions",
            Some(json!({"key": key, "action": "done", "outcome": "samples sent"})),
        )
        .await
        .ok(200)
        .clone();
        let iid = d["interaction_id"].as_i64().expect("logged");
        let i = send(
            &rep_c,
            Method::GET,
            &format!("/api/v1/interactions/{iid}"),
            None,
        )
        .await
        .ok(200)
        .clone();
        assert_eq!(
            (i["kind"].as_str(), i["outcome"].as_str()),
            (Some("call"), Some("samples sent"))
        );
        let v = send(&rep_c, Method::GET, "/api/v1/agenda", None)
            .await
            .ok(200)
            .clone();
        assert!(v["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["key"] != key.as_str()));

        // The policy: anyone reads it, only the GM and peers change it; errors name the cell.
        let p = send(&rep_c, Method::GET, "/api/v1/contact/policy", None)
            .await
            .ok(200)
            .clone();
        assert_eq!(p["sales_representative"]["a"]["visit"]["kind"], "times");
        let mut bad = p.clone();
        bad["business_manager"]["b"]["visit"] =
            json!({"kind": "every", "min": 3, "max": 2, "unit": "month"});
        send(
            &rep_c,
            Method::PUT,
            "/api/v1/contact/policy",
            Some(p.clone()),
        )
        .await
        .problem(403, None);
        send(&boss_c, Method::PUT, "/api/v1/contact/policy", Some(bad))
            .await
            .problem(422, Some("business_manager.b.visit"));
        let mut good = p.clone();
        good["sales_representative"]["c"]["call"] = json!({"kind": "when_necessary"});
        let saved = send(
            &boss_c,
            Method::PUT,
            "/api/v1/contact/policy",
            Some(good.clone()),
        )
        .await
        .ok(200)
        .clone();
        assert_eq!(saved, good);

        // Settings: a bad time zone is named; seasons come back sorted.
        let mut st = send(&boss_c, Method::GET, "/api/v1/contact/settings", None)
            .await
            .ok(200)
            .clone();
        assert_eq!(st["time_zone"], "UTC");
        st["time_zone"] = json!("Mars/Base");
        send(
            &boss_c,
            Method::PUT,
            "/api/v1/contact/settings",
            Some(st.clone()),
        )
        .await
        .problem(422, Some("time_zone"));
        st["time_zone"] = json!("Asia/Shanghai");
        st["seasons"] = json!([
            {"name": "Autumn", "starts": "2027-09-01", "kind": "season", "lead_days": 14},
            {"name": "Launch", "starts": "2027-03-01", "kind": "launch", "lead_days": 7}
        ]);
        let st = send(&boss_c, Method::PUT, "/api/v1/contact/settings", Some(st))
            .await
            .ok(200)
            .clone();
        assert_eq!(st["seasons"][0]["name"], "Launch");

        // Compliance: the rep sees their own rows only; months out of range is a 400.
        let c = send(
            &rep_c,
            Method::GET,
            "/api/v1/contact/compliance?months=2",
            None,
        )
        .await
        .ok(200)
        .clone();
        let rows = c["rows"].as_array().expect("rows");
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|r| r["user_id"] == rep.id.0), "{c}");
        let all = send(&boss_c, Method::GET, "/api/v1/contact/compliance", None)
            .await
            .ok(200)
            .clone();
        assert!(all["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .any(|r| r["user_id"] == boss.id.0));
        send(
            &rep_c,
            Method::GET,
            "/api/v1/contact/compliance?months=99",
            None,
        )
        .await
        .problem(400, Some("months"));
    });
}

#[tokio::test]
async fn calendar_feed_is_a_secret_revocable_icalendar_url() {
    each_backend!(|app| {
        let (rep, rep_c) = signed_in_as(
            &app,
            "cal@example.com",
            StaffLevel::SalesRepresentative,
            None,
        )
        .await;
        let mine = id_of(
            &app.create_customer(&json!({"kind": "organisation", "name": "日历公司",
                "owner_id": rep.id.0}))
                .await,
        );
        let today = chrono::Utc::now().date_naive();
        let on = (today + chrono::Duration::days(2)).to_string();
        let r = rep_c
            .post(app.url("/api/v1/interactions"))
            .json(
                &json!({"customer_id": mine, "kind": "visit", "staff_id": rep.id.0,
                "follow_up_on": on, "follow_up": "bring the catalogue; and, samples"}),
            )
            .send()
            .await
            .expect("send");
        let promise = Reply::from(r).await.ok(201).clone();

        let state = Reply::from(
            rep_c
                .get(app.url("/api/v1/agenda/calendar-feed"))
                .send()
                .await
                .expect("send"),
        )
        .await
        .ok(200)
        .clone();
        assert_eq!(state["active"], false);
        let created = Reply::from(
            rep_c
                .post(app.url("/api/v1/agenda/calendar-feed"))
                .send()
                .await
                .expect("send"),
        )
        .await
        .ok(200)
        .clone();
        let path = created["path"].as_str().expect("path").to_owned();
        assert!(
            path.starts_with("/calendar/") && path.ends_with(".ics"),
            "{path}"
        );

        // No sign-in needed: the secret is the credential.
        let plain = reqwest::Client::new();
        let res = plain.get(app.url(&path)).send().await.expect("feed");
        assert_eq!(res.status().as_u16(), 200);
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(ct.starts_with("text/calendar"), "{ct}");
        let ics = res.text().await.expect("body");
        assert!(ics.starts_with("BEGIN:VCALENDAR"), "{ics}");
        // Long lines are folded (CRLF and a space); unfold to read them.
        let ics = ics.replace("\r\n ", "");
        let uid = format!("UID:follow_up:{}@patron", promise["id"]);
        assert!(ics.contains(&uid), "{ics}");
        assert!(
            ics.contains(&format!("DTSTART;VALUE=DATE:{}", on.replace('-', ""))),
            "{ics}"
        );
        // Text is escaped as RFC 5545 wants (commas and semicolons).
        assert!(ics.contains("catalogue\\; and\\, samples"), "{ics}");

        // A new feed cuts the old one off; revoking cuts every one; nonsense is a 404.
        let again = Reply::from(
            rep_c
                .post(app.url("/api/v1/agenda/calendar-feed"))
                .send()
                .await
                .expect("send"),
        )
        .await
        .ok(200)
        .clone();
        let status = |p: String| {
            let plain = plain.clone();
            let url = app.url(&p);
            async move { plain.get(url).send().await.expect("get").status().as_u16() }
        };
        assert_eq!(status(path.clone()).await, 404);
        let new_path = again["path"].as_str().expect("path").to_owned();
        assert_eq!(status(new_path.clone()).await, 200);
        Reply::from(
            rep_c
                .delete(app.url("/api/v1/agenda/calendar-feed"))
                .send()
                .await
                .expect("send"),
        )
        .await
        .ok(200);
        assert_eq!(status(new_path).await, 404);
        assert_eq!(status("/calendar/nonsense.ics".into()).await, 404);
        assert_eq!(status("/calendar/nonsense".into()).await, 404);
    });
}
