//! `oidc-harness`: run the bundled scenarios, list them, or install the real
//! programs.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario::{self, runner};

#[derive(Parser)]
#[command(
    version,
    about = "End-to-end conformance harness for Keycloak → Dex → app → Kubernetes sign-in chains"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run scenarios against the real programs; one line per case.
    Run {
        /// Only cases whose name contains this.
        filter: Option<String>,
        /// Folder of scenario files.
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// List the cases of the scenario files.
    List {
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// Install the pinned real programs (done implicitly by `run`).
    Setup {
        /// Print programs, versions and paths.
        #[arg(long)]
        list: bool,
    },
}

fn main() -> ExitCode {
    oidc_harness::run::keeper_main_if_requested();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Setup { list } => {
            let programs = tokio::task::spawn_blocking(oidc_harness::toolchain::ensure).await??;
            if list {
                for row in oidc_harness::toolchain::list(&programs) {
                    println!(
                        "{:<13} {:<40} {}  ({})",
                        row.program,
                        row.version,
                        row.path.display(),
                        row.source
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::List { scenarios } => {
            for file in scenario::discover(&scenarios_dir(scenarios))? {
                for case in file.cases() {
                    println!("{}", case.name);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { filter, scenarios } => run(filter, scenarios_dir(scenarios)).await,
    }
}

async fn run(filter: Option<String>, dir: PathBuf) -> anyhow::Result<ExitCode> {
    let cases: Vec<_> = scenario::discover(&dir)?
        .iter()
        .flat_map(|f| f.cases())
        .filter(|c| filter.as_ref().is_none_or(|f| c.name.contains(f.as_str())))
        .collect();
    if cases.is_empty() {
        anyhow::bail!("no case matches in {}", dir.display());
    }
    eprintln!(
        "{} case(s) from {}; starting the shared Keycloak…",
        cases.len(),
        dir.display()
    );
    let started = Instant::now();
    let run = Run::join(Owner::ThisProcess).await?;
    eprintln!(
        "keycloak ready at {} ({:.1}s)",
        run.keycloak.url(),
        started.elapsed().as_secs_f64()
    );
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let t = Instant::now();
        match runner::run_case(&run, case).await {
            Ok(report) => {
                passed += 1;
                println!("PASS {} ({:.1}s)", case.name, t.elapsed().as_secs_f64());
                for step in &report.steps {
                    let what = match (&step.error, &step.dex_login, &step.claims) {
                        (Some(err), _, _) => format!("refused as expected: {err}"),
                        (None, Some(line), _) => format!("dex groups={:?}", line.groups),
                        (None, None, Some(c)) => format!("claims: {}", c),
                        _ => "ok".into(),
                    };
                    println!("     {} ({:.1}s) {}", step.step, step.seconds, what);
                }
                for d in &report.diagnoses {
                    println!("     diagnosis: [{}] {}", d.id, d.title);
                }
                for finding in &report.findings {
                    println!("     finding: {finding}");
                }
            }
            Err(e) => {
                failed += 1;
                println!(
                    "FAIL {} ({:.1}s)\n{e}\n",
                    case.name,
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `--scenarios`, else `./scenarios`, else the ones this binary was built with.
fn scenarios_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let here = PathBuf::from("scenarios");
        if here.is_dir() {
            here
        } else {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios"))
        }
    })
}
