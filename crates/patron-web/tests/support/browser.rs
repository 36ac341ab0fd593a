//! A browser without JavaScript for the UI tests of the later features: one session cookie,
//! forms posted with their CSRF token, redirects not followed (the tests look at them).
//! Included with `#[path]` by each test file that needs it; each uses a part of it.
#![allow(dead_code)]

use reqwest::redirect::Policy;
use std::net::SocketAddr;

/// The password the tests give their users.
pub const PASSWORD: &str = "a good long password";

pub struct Browser {
    base: String,
    client: reqwest::Client,
    cookie: String,
}

impl Browser {
    /// Signed out, against the server at `addr`.
    pub fn new(addr: SocketAddr) -> Browser {
        Browser {
            base: format!("http://{addr}"),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("client"),
            cookie: String::new(),
        }
    }

    /// Signed in as `email` (password [`PASSWORD`]).
    pub async fn signed_in(addr: SocketAddr, email: &str) -> Browser {
        let mut b = Browser::new(addr);
        b.sign_in(email).await;
        b
    }

    pub async fn sign_in(&mut self, email: &str) {
        let (s, _, _) = self
            .post(
                "/sign-in",
                &[("email", email), ("password", PASSWORD), ("next", "/")],
            )
            .await;
        assert_eq!(s, 303, "sign in as {email}");
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .expect("get");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    /// Posts a form; returns the status, the `Location` (empty when none) and the body, and
    /// keeps a new session cookie.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        for c in r.headers().get_all("set-cookie") {
            if let Some(kv) = c.to_str().unwrap_or("").split(';').next() {
                if kv.starts_with("patron_session=") {
                    self.cookie = kv.to_owned();
                }
            }
        }
        (status, loc, r.text().await.expect("body"))
    }

    /// Posts a form to `path` with the CSRF token of the page at `from` added (see
    /// [`Browser::post`], which sends the form as given).
    pub async fn post_from(
        &mut self,
        from: &str,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, String) {
        let csrf = self.csrf(from).await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// The session cookie (`patron_session=…`; empty when signed out).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The CSRF token of the page at `path`.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get(path).await;
        let i = html.find("name=\"csrf\" value=\"").expect("csrf field") + 19;
        html[i..].split('"').next().unwrap_or("").to_owned()
    }
}
