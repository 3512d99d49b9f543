//! A throwaway PostgreSQL server for peer measurements: found on the machine or installed from
//! Debian's packages, initialised in a temporary directory, reachable only by a Unix socket, and
//! stopped when dropped. Durability settings are PostgreSQL's defaults (fsync and synchronous commit on).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
    as_postgres_user: bool,
    _root: tempfile::TempDir,
}

/// Finds PostgreSQL's server binaries, installing Debian's `postgresql` package if they are missing.
pub fn find_or_install() -> Result<PathBuf> {
    if let Some(bin) = find_bin() {
        return Ok(bin);
    }
    if !is_root() {
        bail!(
            "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
        );
    }
    eprintln!("PostgreSQL not found; installing Debian's postgresql package …");
    let update = Command::new("apt-get").arg("update").status()?;
    if !update.success() {
        bail!("apt-get update failed");
    }
    let install = Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "postgresql"])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()?;
    if !install.success() {
        bail!("apt-get install postgresql failed");
    }
    find_bin().context("PostgreSQL was installed but its binaries were not found")
}

fn find_bin() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Postgres {
    /// Initialises and starts a fresh server on `port`.
    pub fn start(port: u16) -> Result<Self> {
        let bin = find_or_install()?;
        let root = tempfile::Builder::new().prefix("zhuchao-pg-").tempdir()?;
        let data = root.path().join("data");
        let socket_dir = root.path().join("socket");
        std::fs::create_dir_all(&socket_dir)?;
        // PostgreSQL refuses to run as root: run it as the `postgres` user the package created.
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(root.path()))?;
        }
        let server = Self {
            bin,
            data,
            socket_dir,
            port,
            as_postgres_user,
            _root: root,
        };
        server.pg(
            &[
                "initdb",
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "-D",
            ],
            &[&server.data],
        )?;
        let options = format!(
            "-p {} -k {} -c listen_addresses='' -c max_connections=64",
            server.port,
            server.socket_dir.display()
        );
        server.pg_ctl(&["-w", "-o", &options, "start"])?;
        Ok(server)
    }

    /// The connection string for tokio-postgres.
    pub fn connection_string(&self) -> String {
        format!(
            "host={} port={} user=postgres dbname=postgres",
            self.socket_dir.display(),
            self.port
        )
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn pg(&self, args: &[&str], paths: &[&Path]) -> Result<()> {
        let (program, rest) = args.split_first().context("a program")?;
        let mut c = self.command(program);
        c.args(rest).args(paths);
        run(&mut c)
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<()> {
        let mut c = self.command("pg_ctl");
        c.arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.data.with_file_name("server.log"))
            .args(args);
        run(&mut c)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["-m", "immediate", "stop"]);
    }
}

fn run(command: &mut Command) -> Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
