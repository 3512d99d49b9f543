//! The browser UI for `serve`: `web/dist` is built with the machine's npm when it is missing or
//! older than its sources, so `cargo run -- serve` alone gives a working marketplace.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The UI's source directory as this binary was built from (a checkout's `web/`).
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name() != "node_modules" && e.file_name() != "generated")
        .filter_map(|e| newest(&e.path()))
        .max()
}

fn run(web: &Path, args: &[&str]) -> anyhow::Result<()> {
    eprintln!("  web: npm {}", args.join(" "));
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| anyhow::anyhow!("npm could not be started ({e}); install Node.js 20+"))?;
    anyhow::ensure!(status.success(), "npm {} failed ({status})", args.join(" "));
    Ok(())
}

/// The directory of the built UI, building it first when `build` and it is stale. `None` when
/// there is no UI to serve (the API still works).
pub fn ensure_built(web: &Path, build: bool) -> Option<PathBuf> {
    let dist = web.join("dist");
    let index = dist.join("index.html");
    let sources = [
        web.join("src"),
        web.join("index.html"),
        web.join("package.json"),
        web.join("package-lock.json"),
        web.join("vite.config.ts"),
        web.join("../docs/schema.graphql"),
    ];
    let built = std::fs::metadata(&index).and_then(|m| m.modified()).ok();
    let source = sources.iter().filter_map(|p| newest(p)).max();
    let stale = match (built, source) {
        (None, _) => true,
        (Some(b), Some(s)) => s > b,
        (Some(_), None) => false,
    };
    if stale && build && web.join("package.json").exists() {
        eprintln!("Building the browser UI in {} …", web.display());
        let result = (|| {
            let installed = web.join("node_modules/.package-lock.json");
            let lock_newer = match (newest(&web.join("package-lock.json")), newest(&installed)) {
                (Some(l), Some(i)) => l > i,
                _ => true,
            };
            if lock_newer {
                run(web, &["ci", "--no-audit", "--no-fund"])?;
            }
            run(web, &["run", "build"])
        })();
        if let Err(e) = result {
            eprintln!("  web: the UI was not built: {e:#}");
        }
    }
    if index.exists() {
        Some(dist)
    } else {
        eprintln!(
            "  web: no built UI in {}; serving the API only (GraphiQL at /graphql)",
            dist.display()
        );
        None
    }
}
