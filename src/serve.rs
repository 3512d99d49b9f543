//! `zhuchao serve`: opens the embedded store, starts the read models, the process managers and the
//! GraphQL gateway, seeds the demo marketplace on first start with `--demo`, and serves until
//! Ctrl-C or SIGTERM. Settings come from flags, then `ZHUCHAO_*` environment variables, then an
//! optional TOML file (`--config`), then defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use zhuchao_app::marketplace::{Marketplace, Settings};
use zhuchao_app::process_store;
use zhuchao_app::processes::{ProcessError, Processes};
use zhuchao_app::{CommandHandler, Health, SimulatedPayments, SystemClock, UuidV7Ids};
use zhuchao_eventstore::{EmbeddedStore, EventStore, SharedStore};
use zhuchao_gateway::demo;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The data directory (created if missing). Default: ./zhuchao-data
    #[arg(long, env = "ZHUCHAO_DATA")]
    data: Option<PathBuf>,
    /// The address to listen on; port 0 picks a free port. Default: 127.0.0.1:8080
    #[arg(long, env = "ZHUCHAO_LISTEN")]
    listen: Option<SocketAddr>,
    /// Seed a demo marketplace the first time (when the store is empty).
    #[arg(long, env = "ZHUCHAO_DEMO")]
    demo: bool,
    /// A TOML file with any of: data, listen, demo, rfq_response_sla_secs, dispute_answer_secs,
    /// auto_release_days, payment_window_secs.
    #[arg(long, env = "ZHUCHAO_CONFIG")]
    config: Option<PathBuf>,
    /// How long invited suppliers have to quote before an RFQ opens to the pool. Default: 86400
    #[arg(long, env = "ZHUCHAO_RFQ_RESPONSE_SLA_SECS")]
    rfq_response_sla_secs: Option<u64>,
    /// How long the other side of a dispute has to answer. Default: 259200 (3 days)
    #[arg(long, env = "ZHUCHAO_DISPUTE_ANSWER_SECS")]
    dispute_answer_secs: Option<u64>,
    /// Days after delivery when an undisputed escrow is released. Default: 7
    #[arg(long, env = "ZHUCHAO_AUTO_RELEASE_DAYS")]
    auto_release_days: Option<u32>,
    /// How long a placed order waits for payment before it is cancelled and its reserved stock
    /// given back. Default: 86400 (24 hours)
    #[arg(long, env = "ZHUCHAO_PAYMENT_WINDOW_SECS")]
    payment_window_secs: Option<u64>,
    /// The browser UI's directory (its `dist/` is served). Default: this checkout's web/
    #[arg(long, env = "ZHUCHAO_WEB")]
    web: Option<PathBuf>,
    /// Serve the UI as built, without building it when it is missing or stale.
    #[arg(long, env = "ZHUCHAO_NO_WEB_BUILD")]
    no_web_build: bool,
    /// The event store: `embedded` (default: in the data directory) or an EventStoreDB /
    /// KurrentDB connection string such as `esdb://host:2113?tls=false`.
    #[arg(long, env = "ZHUCHAO_STORE")]
    store: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data: Option<PathBuf>,
    listen: Option<SocketAddr>,
    demo: Option<bool>,
    rfq_response_sla_secs: Option<u64>,
    dispute_answer_secs: Option<u64>,
    auto_release_days: Option<u32>,
    payment_window_secs: Option<u64>,
}

struct Config {
    store: Option<String>,
    data: PathBuf,
    listen: SocketAddr,
    demo: bool,
    settings: Settings,
    web: PathBuf,
    build_web: bool,
}

fn resolve(args: ServeArgs) -> anyhow::Result<Config> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("{} is not a valid Zhuchao config", path.display()))?
        }
        None => FileConfig::default(),
    };
    let mut settings = Settings::default();
    if let Some(secs) = args.rfq_response_sla_secs.or(file.rfq_response_sla_secs) {
        settings.rfq_response_sla_ms = secs as i64 * 1000;
    }
    if let Some(secs) = args.dispute_answer_secs.or(file.dispute_answer_secs) {
        settings.dispute_answer_ms = secs as i64 * 1000;
    }
    if let Some(days) = args.auto_release_days.or(file.auto_release_days) {
        settings.auto_release_days = i64::from(days);
    }
    if let Some(secs) = args.payment_window_secs.or(file.payment_window_secs) {
        settings.payment_window_ms = secs.min(365 * 86_400) as i64 * 1000;
    }
    Ok(Config {
        store: args.store.filter(|s| s != "embedded"),
        data: args
            .data
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("zhuchao-data")),
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        demo: args.demo || file.demo.unwrap_or(false),
        settings,
        web: args.web.unwrap_or_else(crate::web_build::default_dir),
        build_web: !args.no_web_build,
    })
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = resolve(args)?;
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating {}", config.data.display()))?;
    let store: SharedStore = match &config.store {
        None => Arc::new(
            EmbeddedStore::open(config.data.join("store"))
                .with_context(|| format!("opening the event store in {}", config.data.display()))?,
        ),
        Some(url) => Arc::new(
            zhuchao_esdb::EsdbStore::connect(url)
                .await
                .with_context(|| format!("connecting to the event store at {url}"))?,
        ),
    };
    let handler = CommandHandler::new(store.clone(), Arc::new(SystemClock), Arc::new(UuidV7Ids));
    let market = Marketplace::new(
        handler,
        config.settings.clone(),
        Arc::new(SimulatedPayments::default()),
    );
    let mut processes = Processes::new(
        market.clone(),
        Box::new(process_store::open_in(&config.data).context("opening the process store")?),
    )
    .context("loading the process checkpoint")?;

    if config.demo && store.head().await?.as_u64() == 0 {
        demo::write_sample_files(&config.data.join("files"))
            .context("writing the demo's sample files")?;
        seed_demo(&market, &mut processes).await?;
    }
    let data = config.data.clone();
    let restart_market = market.clone();
    let health = Health::default();
    let process_health = health.clone();
    tokio::spawn(async move {
        // A failure (say, the disk filling up) stops the process managers; they start again from
        // their checkpoint, and every step they replay is idempotent.
        let mut next = Some(processes);
        loop {
            let processes = match next.take() {
                Some(p) => p,
                None => match process_store::open_in(&data)
                    .map_err(ProcessError::from)
                    .and_then(|store| Processes::new(restart_market.clone(), Box::new(store)))
                {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(error = %e, "process checkpoint unreadable; retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                },
            };
            match processes.run(Duration::from_secs(1)).await {
                // An event they cannot read stops them for good: skipping it could lose a step
                // of the money's way; readiness shows it until the cause is fixed.
                Err(e @ ProcessError::Unreadable { .. }) => {
                    process_health.stopped("process managers", e);
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "process managers stopped; restarting in 5 s")
                }
                Ok(()) => tracing::error!("the store's subscription ended; restarting in 5 s"),
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    });

    // Ready only once the read side holds everything already stored.
    let node = zhuchao_gateway::node::start(
        store.clone(),
        market,
        &config.data,
        Duration::from_secs(600),
        health,
    )
    .await
    .context("starting the read side")?;
    let analytics = node.analytics.clone();
    let ui = crate::web_build::ensure_built(&config.web, config.build_web);
    let app = node.router;
    let app = match ui {
        Some(dist) => app.merge(zhuchao_gateway::web::ui(dist)),
        None => app,
    };
    let app = app
        .layer(axum::middleware::map_response(
            zhuchao_gateway::headers::security_headers,
        ))
        .layer(zhuchao_gateway::compression::layer());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    print_welcome(address, &config.data, config.demo);
    // On a signal, no new connection is taken, and requests in flight get a few seconds to
    // finish; open WebSockets and slow clients do not hold the process beyond that.
    zhuchao_gateway::connections::serve(listener, app, shutdown_signal(), SHUTDOWN_GRACE).await;
    analytics.save().context("saving analytics")?;
    println!(
        "Zhuchao stopped; every change is kept in {}.",
        config.data.display()
    );
    Ok(())
}

/// How long requests in flight may take to finish once the server is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

async fn seed_demo(
    market: &Marketplace<SharedStore>,
    processes: &mut Processes<SharedStore>,
) -> anyhow::Result<()> {
    eprintln!("Seeding the demo marketplace (first start only) …");
    let started = std::time::Instant::now();
    let progress = |step: &str| eprintln!("  seeded {step}");
    let seeded = demo::seed(market, processes, &progress)
        .await
        .context("seeding the demo marketplace")?;
    eprintln!(
        "Demo marketplace ready: {} suppliers, {} published products, in {:.1} s.",
        seeded.suppliers,
        seeded.products,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn print_welcome(address: SocketAddr, data: &Path, demo: bool) {
    println!("Zhuchao is listening on http://{address}");
    println!(
        "  GraphQL:        http://{address}/graphql (POST; open it in a browser for GraphiQL)"
    );
    println!("  health:         http://{address}/health");
    println!("  data directory: {}", data.display());
    if demo {
        println!("  demo sign-ins (password {}):", demo::DEMO_PASSWORD);
        for (email, who) in demo::DEMO_SIGN_INS {
            println!("    {email:<32} {who}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: Option<PathBuf>) -> ServeArgs {
        ServeArgs {
            data: None,
            listen: None,
            demo: false,
            config,
            rfq_response_sla_secs: None,
            dispute_answer_secs: None,
            auto_release_days: None,
            payment_window_secs: None,
            web: None,
            no_web_build: true,
            store: None,
        }
    }

    #[test]
    fn flags_beat_the_config_file_which_beats_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("zhuchao.toml");
        std::fs::write(&file, "data = \"/srv/zhuchao\"\nlisten = \"0.0.0.0:9000\"\ndemo = true\nrfq_response_sla_secs = 60\n").expect("write");
        let from_file = resolve(args(Some(file.clone()))).expect("valid");
        assert_eq!(from_file.data, PathBuf::from("/srv/zhuchao"));
        assert_eq!(from_file.listen.port(), 9000);
        assert!(from_file.demo);
        assert_eq!(from_file.settings.rfq_response_sla_ms, 60_000);
        assert_eq!(
            from_file.settings.auto_release_days, 7,
            "unset values keep their defaults"
        );

        let mut flagged = args(Some(file));
        flagged.listen = Some("127.0.0.1:7000".parse().expect("addr"));
        assert_eq!(resolve(flagged).expect("valid").listen.port(), 7000);

        let defaults = resolve(args(None)).expect("valid");
        assert_eq!(defaults.data, PathBuf::from("zhuchao-data"));
        assert_eq!(defaults.listen.port(), 8080);

        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "lisen = \"x\"").expect("write");
        let error = resolve(args(Some(bad))).err().expect("a typo is an error");
        assert!(
            format!("{error:#}").contains("not a valid Zhuchao config"),
            "{error:#}"
        );
    }
}
