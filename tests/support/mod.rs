//! The real `zhuchao` server on a free port and a fresh data directory, and a small GraphQL client
//! over plain HTTP, so that tests talk to Zhuchao exactly as a client would.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const PASSWORD: &str = "zhuchao-demo";

pub struct Server {
    child: Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts `zhuchao serve` on `data` (seeding the demo marketplace when `demo`), with extra flags.
    pub fn start(data: &Path, demo: bool, extra: &[&str]) -> Server {
        let mut flags = vec!["--no-web-build"];
        flags.extend_from_slice(extra);
        Self::start_serving(data, demo, &flags)
    }

    /// Like [`Server::start`], building the browser UI first when it is missing or stale.
    pub fn start_with_ui(data: &Path, demo: bool) -> Server {
        Self::start_serving(data, demo, &[])
    }

    fn start_serving(data: &Path, demo: bool, extra: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zhuchao"));
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data)
            .args(extra);
        if demo {
            command.arg("--demo");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start zhuchao serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().expect("a first line").expect("readable");
        let address = first
            .rsplit("http://")
            .next()
            .expect("the listening address")
            .to_string();
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The most memory the server's process has held so far (its peak resident set), in MiB.
    pub fn peak_memory_mib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kib / 1024
    }

    /// Stops the server the way an operator does (SIGTERM) and waits for it.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }

    pub fn http(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let (status, _, body) = self.http_with_headers(method, path, headers, body);
        (status, body)
    }

    /// Like [`Server::http`], also answering the response's headers (lowercased names).
    pub fn http_with_headers(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut stream = TcpStream::connect(&self.address).expect("connect");
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (k, v) in headers {
            request.push_str(&format!("{k}: {v}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream.write_all(request.as_bytes()).expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let answer_headers = head
            .lines()
            .skip(1)
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        (status, answer_headers, dechunk(body))
    }

    /// Runs a GraphQL operation; returns the whole response (`data` and `errors`).
    pub fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_with(token, &[], query, variables)
    }

    /// Like [`Server::gql`], with extra request headers (a session, a region, a user agent).
    pub fn gql_with(
        &self,
        token: Option<&str>,
        extra: &[(&str, &str)],
        query: &str,
        variables: Value,
    ) -> Value {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        headers.extend_from_slice(extra);
        let (_, text) = self.http("POST", "/graphql", &headers, &body);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Uploads a file as `token`; returns the reference the upload answers.
    pub fn upload(&self, token: &str, name: &str, content: &str) -> String {
        let bearer = format!("Bearer {token}");
        let (status, body) = self.http(
            "POST",
            "/files",
            &[("Authorization", &bearer), ("x-filename", name)],
            content,
        );
        assert_eq!(status, 200, "upload refused: {body}");
        let answer: Value = serde_json::from_str(&body).expect("upload answer");
        answer["ref"].as_str().expect("ref").to_string()
    }

    /// Runs an operation that must succeed without GraphQL errors; returns `data`.
    pub fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables);
        assert!(response.get("errors").is_none(), "errors: {response}");
        response["data"].clone()
    }

    /// Runs a mutation that must succeed without user errors; returns its payload.
    pub fn mutate(&self, token: Option<&str>, field: &str, query: &str, variables: Value) -> Value {
        let data = self.ok(token, query, variables);
        let payload = data[field].clone();
        assert_eq!(
            payload["userErrors"],
            json!([]),
            "{field} refused: {payload}"
        );
        payload
    }

    /// Waits until the read side includes `position` (as a mutation returned it).
    pub fn caught_up(&self, position: &Value) {
        self.ok(
            None,
            "query($p: String) { categories(first: 1, atLeast: $p) { edges { cursor } } }",
            serde_json::json!({ "p": position }),
        );
    }

    /// The server's time, in milliseconds since the Unix epoch.
    pub fn now(&self) -> f64 {
        millis(
            self.ok(None, "{ now }", json!({}))["now"]
                .as_str()
                .expect("now"),
        )
    }

    pub fn sign_in(&self, email: &str, password: &str) -> String {
        let data = self.ok(None, "mutation($e: String!, $p: String!) { signIn(email: $e, password: $p) { token userErrors { code } } }", json!({ "e": email, "p": password }));
        data["signIn"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("sign-in of {email} failed: {data}"))
            .to_string()
    }
}

pub fn dechunk(body: &str) -> String {
    // Responses may be chunked; join the chunks.
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, tail)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if n == 0 {
            return out;
        }
        if tail.len() < n {
            return body.to_string();
        }
        out.push_str(&tail[..n]);
        rest = tail[n..].trim_start_matches("\r\n");
    }
}

pub fn cny(minor: i64) -> Value {
    json!({ "minor": minor.to_string(), "currency": "CNY" })
}

/// Runs `node web/<script> <args>` with the UI's packages installed; `None` (the test says it
/// skipped) when the machine has no Node.js, unless `ZHUCHAO_BROWSER_TESTS=required` (CI).
pub fn node_script(script: &str, args: &[&str]) -> Option<std::process::Output> {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    if Command::new("node").arg("--version").output().is_err() {
        let required = std::env::var("ZHUCHAO_BROWSER_TESTS").is_ok_and(|v| v == "required");
        assert!(!required, "Node.js is required for {script}");
        eprintln!("SKIPPED: {script} needs Node.js (CI has it)");
        return None;
    }
    if !web.join("node_modules/graphql").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&web)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci failed");
    }
    Some(
        Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(&web)
            .output()
            .expect("node runs"),
    )
}

/// An instant in milliseconds since the Unix epoch as the API's `DateTime` (RFC 3339, UTC).
pub fn iso(ms: f64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .expect("a representable instant");
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("formattable")
}

/// Milliseconds since the Unix epoch of a `DateTime` the API answered.
pub fn millis(text: &str) -> f64 {
    let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| panic!("not a DateTime: {text}"));
    (at.unix_timestamp_nanos() / 1_000_000) as f64
}

/// Today plus `offset_days` as `YYYY-MM-DD` (UTC).
pub fn day(offset_days: i64) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    (today + time::Duration::days(offset_days))
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .expect("formattable")
}

/// What every mutation answers besides the objects it changed.
pub const RESULT: &str = "position userErrors { code field message }";

/// Polls `query` until `done` holds for its data (the process managers work asynchronously).
pub fn eventually(
    server: &Server,
    token: Option<&str>,
    query: &str,
    variables: Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let response = server.gql(token, query, variables.clone());
        let data = response["data"].clone();
        if response.get("errors").is_none() && done(&data) {
            return data;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "gave up waiting; last answer: {response}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn fastener_category(server: &Server) -> Value {
    let data = server.ok(
        None,
        "{ categories { edges { node { id name } } } }",
        json!({}),
    );
    data["categories"]["edges"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|e| e["node"].clone())
        .find(|n| {
            n["name"]
                .as_str()
                .is_some_and(|name| name.contains("Hex bolts"))
        })
        .expect("the demo has hex bolts")
}

/// The next JSON message of a WebSocket, waiting at most 20 s.
pub async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    use futures::StreamExt;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("readable");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}
