//! The browser UI end to end: the real server with demo data serves the built UI, and
//! `web/tests/browser.mjs` drives Debian's Chromium through the buyer's, supplier's and agent's
//! journeys, search narrowing, CSV import and analytics, keeping screenshots in
//! `web/test-results/screenshots/`. Without Chromium or Node.js the test says it was skipped,
//! unless `ZHUCHAO_BROWSER_TESTS=required` (as in CI), where that is a failure.

mod support;

use std::path::Path;
use std::process::Command;

use support::Server;

fn missing(what: &str) -> bool {
    let required = std::env::var("ZHUCHAO_BROWSER_TESTS").is_ok_and(|v| v == "required");
    assert!(
        !required,
        "{what} is required for the browser tests (apt-get install chromium fonts-wqy-zenhei nodejs npm)"
    );
    eprintln!("SKIPPED: the browser tests need {what}; install it to run them (CI does)");
    true
}

#[test]
fn the_three_journeys_search_import_and_analytics_in_a_real_browser() {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() && missing("Chromium") {
        return;
    }
    if Command::new("node").arg("--version").output().is_err() && missing("Node.js") {
        return;
    }
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    // The UI's dependencies (the server builds the UI itself, but the test script needs
    // playwright-core from them too).
    if !web.join("node_modules/.package-lock.json").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&web)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm ci failed");
    }
    let data = tempfile::tempdir().expect("tempdir");
    let server = Server::start_with_ui(data.path(), true);
    let status = Command::new("node")
        .arg("tests/browser.mjs")
        .arg(format!("http://{}", server.address))
        .env("CHROMIUM", &chromium)
        .current_dir(&web)
        .status()
        .expect("node runs");
    assert!(
        status.success(),
        "browser journeys failed (see web/test-results/)"
    );
}
