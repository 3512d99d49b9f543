//! End to end: the `zhuchao` binary as a user runs it, on a fresh data directory and a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_server(data: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
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

fn get(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn serve_opens_the_store_and_answers_health_checks() {
    let data = tempfile::tempdir().expect("tempdir");
    let server = spawn_server(data.path());
    let response = get(&server.address, "/health");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).expect("a body");
    let health: serde_json::Value = serde_json::from_str(body).expect("JSON");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["head"], 0);
    assert!(data.path().join("events.sqlite3").exists());
}

#[test]
fn a_second_server_on_the_same_data_directory_is_refused_clearly() {
    let data = tempfile::tempdir().expect("tempdir");
    let _first = spawn_server(data.path());
    let second = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .output()
        .expect("run a second server");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("in use by another Zhuchao process"),
        "{stderr}"
    );
}

#[test]
fn store_verify_reports_a_healthy_store() {
    let data = tempfile::tempdir().expect("tempdir");
    drop(spawn_server(data.path()));
    let verify = Command::new(env!("CARGO_BIN_EXE_zhuchao"))
        .args(["store", "verify", "--data"])
        .arg(data.path())
        .output()
        .expect("run store verify");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("0 events"));
}
