//! `oidc-harness`: run the bundled scenarios, list them, or install the real
//! programs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use futures::StreamExt;
use oidc_harness::model::report::CaseReport;
use oidc_harness::run::run_case;
use oidc_harness::run::{Owner, Run};
use oidc_harness::scenario;
use oidc_harness::{diagnose, report};

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
enum BenchWhat {
    /// The suite (or the cases whose name contains FILTER) with the floor
    /// probes in the same run: per step kind its median against its floor,
    /// then the suite's wall time, its floor and `suite-ratio: <wall/floor>`.
    Suite {
        filter: Option<String>,
        /// Cases at a time.
        #[arg(long, short, default_value_t = 2)]
        jobs: usize,
        /// Rounds of each floor probe.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// Only the floor probes of `bench suite` (program starts, a headless
    /// session, a form sign-in), each the median of `--rounds`.
    Startup {
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
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
        /// Cases at a time (default: the machine's cores); output stays in order.
        #[arg(long, short)]
        jobs: Option<usize>,
    },
    /// List the cases of the scenario files.
    List {
        #[arg(long)]
        scenarios: Option<PathBuf>,
    },
    /// Run your own realm export and Dex config through the real chain and
    /// name what is wrong: what each hop gave, where the groups were lost, why.
    #[command(
        after_help = "Exit status: 0 healthy (every hop answered, nothing matched); \
1 diagnosed (a known cause, or a fault the files themselves show); 2 bad usage or \
unusable input (file:line:column); 3 a hop refused and no known cause explains it \
(its verbatim error is shown); 4 the harness or a program it runs broke."
    )]
    Diagnose {
        /// A folder of your deployment's files, each recognised by its content
        /// (what each was taken as is printed); or give the files one by one.
        #[arg(required_unless_present_any = ["realm", "dex_config"], conflicts_with_all = ["realm", "dex_config", "connectors_json", "keycloak_cert", "dex_cert", "apiserver", "kubeconfig", "rbac", "oauth2_proxy", "secret", "client"])]
        dir: Option<PathBuf>,
        /// Keycloak realm export (JSON, as `kc.sh export` writes it).
        #[arg(long)]
        realm: Option<PathBuf>,
        /// Dex config: a file, Helm values (`config:`) or a ConfigMap.
        #[arg(long)]
        dex_config: Option<PathBuf>,
        /// Charmed Kubeflow: the file given to `juju config dex-auth
        /// connectors=...` (oidc-connector.json); replaces the Dex config's
        /// connectors as the dex-auth charm does.
        #[arg(long)]
        connectors_json: Option<PathBuf>,
        /// The certificate (PEM chain) your Keycloak presents, e.g. from
        /// `openssl s_client -showcerts`: Dex meets its names and its CA.
        #[arg(long)]
        keycloak_cert: Option<PathBuf>,
        /// The certificate (PEM chain) your Dex presents: whether the
        /// apiserver and kubelogin, given no CA, trust it.
        #[arg(long)]
        dex_cert: Option<PathBuf>,
        /// The apiserver's OIDC settings: a file of --oidc-* flags, a static
        /// pod manifest, a kind config, or an AuthenticationConfiguration.
        #[arg(long)]
        apiserver: Option<PathBuf>,
        /// A kubeconfig whose user entry runs kubelogin (`oidc-login
        /// get-token`): it signs in with your client, secret and scopes.
        #[arg(long)]
        kubeconfig: Option<PathBuf>,
        /// RBAC manifests (ClusterRoleBinding, RoleBinding); repeatable.
        #[arg(long)]
        rbac: Vec<PathBuf>,
        /// oauth2-proxy's settings, each recognised by content: its cfg (or
        /// a ConfigMap of it), `OAUTH2_PROXY_*` lines, flags, a Deployment,
        /// the chart's Helm values or OSMO's values; repeatable.
        #[arg(long)]
        oauth2_proxy: Vec<PathBuf>,
        /// A Secret the other files name (`secretKeyRef`, `existingSecret`);
        /// repeatable.
        #[arg(long)]
        secret: Vec<PathBuf>,
        /// Your app's OIDC client settings (YAML or JSON: client_id,
        /// client_secret, redirect_uri, scopes, issuer): the harness's app
        /// signs in with them.
        #[arg(long)]
        client: Option<PathBuf>,
        /// USER:PASSWORD to sign in as (default: users of the export with a plain password).
        #[arg(long = "user")]
        users: Vec<String>,
        /// `text` for people, `json` for scripts (the hops, substitutions,
        /// diagnoses and verdict).
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Timings (never in tests): `bench suite` or `bench startup`.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
    /// Runs the bundled cases (or those whose name contains FILTER) ROUNDS
    /// times and prints each case's flake rate: a benchmark, not a test.
    Flakes {
        filter: Option<String>,
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        #[arg(long)]
        scenarios: Option<PathBuf>,
        /// Cases at a time (default: the machine's cores).
        #[arg(long, short)]
        jobs: Option<usize>,
    },
    /// The guide's kind cluster (`kind/kind-config.yaml.j2`), for users with Docker.
    Kind {
        #[command(subcommand)]
        action: KindAction,
    },
    /// Install the pinned real programs (done implicitly by `run`).
    Setup {
        /// Print the versions table (overrides applied) and what is installed, installing nothing.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum KindAction {
    /// Print the kind config for a scenario's apiserver OIDC settings.
    Render {
        #[arg(long)]
        scenario: PathBuf,
        /// A variant of the scenario (default: the scenario as written).
        #[arg(long)]
        variant: Option<String>,
        /// Dex's issuer (default: the address a run gives Dex).
        #[arg(long)]
        issuer: Option<String>,
        /// The CA that signs Dex's certificate (default: a new CA under target/harness/kind/).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Write it here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Run a scenario with its apiserver on kind clusters made from that
    /// config (needs a Docker engine and kind).
    Create {
        #[arg(long)]
        scenario: PathBuf,
        #[arg(long)]
        variant: Option<String>,
    },
}

fn main() -> ExitCode {
    oidc_harness::run::keeper_main_if_requested();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Command::Kind {
        action: KindAction::Create { .. },
    } = &cli.command
    {
        use oidc_harness::programs::kube::{CLUSTER_VAR, kind};
        if let Err(line) = kind::preflight() {
            eprintln!("{line}");
            return ExitCode::FAILURE;
        }
        // The run reads it once (`Cluster::from_env`). SAFETY: no other
        // thread runs yet (the runtime starts below).
        unsafe { std::env::set_var(CLUSTER_VAR, "kind") };
    }
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    match rt.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            // The harness's own errors say their cause already; others chain.
            match e.downcast_ref::<oidc_harness::Error>() {
                Some(own) => eprintln!("error: {own}"),
                None => eprintln!("error: {e:#}"),
            }
            // A file that cannot be used is bad input, like bad usage (2);
            // a program or the harness that broke is 4.
            match e.downcast_ref::<oidc_harness::Error>().map(|e| e.kind()) {
                Some(oidc_harness::error::Kind::Input) => ExitCode::from(2),
                Some(oidc_harness::error::Kind::Harness) => ExitCode::from(4),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// The versions table: what this run would use, and what is installed.
fn print_setup_list() {
    println!(
        "{:<23} {:<36} {:<9} {:<40} IMAGE (containers backend)",
        "PROGRAM", "VERSION", "INSTALLED", "SOURCE"
    );
    for row in oidc_harness::toolchain::list() {
        let version = if row.version != row.pinned && !row.pinned.is_empty() {
            format!("{} ({} overrides {})", row.version, row.env, row.pinned)
        } else {
            row.version
        };
        println!(
            "{:<23} {:<36} {:<9} {:<40} {}",
            row.program,
            version,
            if row.installed { "yes" } else { "no" },
            row.source,
            row.image.as_deref().unwrap_or("-")
        );
        if row.installed {
            println!("{:<23} {}", "", row.path.display());
        }
    }
    println!(
        "cache: {} (override a version with the variable of its row, e.g. OIDC_HARNESS_KEYCLOAK_VERSION=26.5.6)",
        oidc_harness::toolchain::cache_dir().display()
    );
}

async fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Setup { list } => {
            if list {
                oidc_harness::toolchain::versions::check_overrides()?;
                print_setup_list();
                return Ok(ExitCode::SUCCESS);
            }
            tokio::task::spawn_blocking(oidc_harness::toolchain::ensure).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::List { scenarios } => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            for file in scenario::discover(&scenarios_dir(scenarios))? {
                for case in file.cases() {
                    // A closed pipe (`| head`) ends the listing quietly.
                    if writeln!(out, "{}", case.name).is_err() {
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            filter,
            scenarios,
            jobs,
        } => run(filter, scenarios_dir(scenarios), jobs_or_cores(jobs)).await,
        Command::Bench {
            what: BenchWhat::Startup { rounds },
        } => bench(rounds).await,
        Command::Bench {
            what:
                BenchWhat::Suite {
                    filter,
                    jobs,
                    rounds,
                    scenarios,
                },
        } => bench_suite(filter, jobs, rounds, scenarios_dir(scenarios)).await,
        Command::Flakes {
            filter,
            rounds,
            scenarios,
            jobs,
        } => {
            flakes(
                filter,
                rounds,
                scenarios_dir(scenarios),
                jobs_or_cores(jobs),
            )
            .await
        }
        Command::Kind { action } => kind(action).await,
        Command::Diagnose {
            dir,
            realm,
            dex_config,
            connectors_json,
            keycloak_cert,
            dex_cert,
            apiserver,
            kubeconfig,
            rbac,
            oauth2_proxy,
            secret,
            client,
            users,
            format,
        } => {
            let logins = logins(&users)?;
            let (case, taken) = match (&dir, &realm) {
                (Some(dir), _) => {
                    let (case, taken) = scenario::userfiles::case_from_dir(dir, &logins)?;
                    (case, taken)
                }
                (None, _) => {
                    let proxy = oauth2_proxy
                        .iter()
                        .map(|p| scenario::userdir::recognise_as_oauth2_proxy(p))
                        .collect::<Result<Vec<_>, _>>()?;
                    let files = scenario::userfiles::UserFiles {
                        realm: realm.as_deref(),
                        oauth2_proxy: &proxy,
                        secrets: &secret,
                        client: client.as_deref(),
                        dex_deployment: None,
                        request_authentication: None,
                        dex_config: dex_config.as_deref(),
                        connectors_json: connectors_json.as_deref(),
                        keycloak_cert: keycloak_cert.as_deref(),
                        dex_cert: dex_cert.as_deref(),
                        apiserver: apiserver.as_deref(),
                        kubeconfig: kubeconfig.as_deref(),
                        rbac: &rbac,
                    };
                    (scenario::userfiles::case_from(&files, &logins)?, Vec::new())
                }
            };
            diagnose(case, &taken, format).await
        }
    }
}

async fn run(filter: Option<String>, dir: PathBuf, jobs: usize) -> anyhow::Result<ExitCode> {
    let cases = selected_cases(&dir, filter.as_deref())?;
    eprintln!(
        "{} case(s) from {}, {jobs} at a time; starting the shared Keycloak…",
        cases.len(),
        dir.display()
    );
    // What runs: the versions (overrides named) and the backend.
    let backend = oidc_harness::infra::container::backend()?;
    let versions: Vec<String> = oidc_harness::toolchain::versions::pins()
        .into_iter()
        .filter(|p| p.program != "actionlint")
        .map(|p| {
            if p.overridden {
                format!(
                    "{} {} ({} overrides {})",
                    p.program, p.version, p.env, p.pinned
                )
            } else {
                format!("{} {}", p.program, p.version)
            }
        })
        .collect();
    eprintln!("backend {}; {}", backend.name(), versions.join(", "));
    let started = Instant::now();
    let run = Run::join(Owner::ThisProcess).await?;
    eprintln!(
        "keycloak ready at {} ({:.1}s)",
        run.keycloak.url(),
        started.elapsed().as_secs_f64()
    );
    let (mut passed, mut failed) = (0, 0);
    let mut rows = Vec::new();
    let mut outcomes = run_cases(&run, &cases, jobs);
    while let Some((case, seconds, outcome)) = outcomes.next().await {
        rows.push((
            case.name.clone(),
            seconds,
            match &outcome {
                Ok(r) => Ok(r.dir.join("report.html")),
                Err(e) => Err(e.to_string()),
            },
        ));
        match outcome {
            Ok(report) => {
                passed += 1;
                print!("{}", report::console::case_passed(&report));
            }
            Err(e) => {
                failed += 1;
                println!("FAIL {} ({seconds:.1}s, {})\n{e}\n", case.name, e.kind());
            }
        }
    }
    let index = oidc_harness::report::write_index(&oidc_harness::run::out_dir(), &rows)?;
    println!("report: {}", index.display());
    println!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The cases of the scenario files in `dir` whose name contains `filter`.
fn selected_cases(dir: &Path, filter: Option<&str>) -> anyhow::Result<Vec<scenario::Case>> {
    let cases: Vec<_> = scenario::discover(dir)?
        .iter()
        .flat_map(|f| f.cases())
        .filter(|c| filter.is_none_or(|f| c.name.contains(f)))
        .collect();
    if cases.is_empty() {
        anyhow::bail!("no case matches in {}", dir.display());
    }
    Ok(cases)
}

/// `--jobs`, else one case per core.
fn jobs_or_cores(jobs: Option<usize>) -> usize {
    jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1)
}

/// The cases, `jobs` at a time on the one run; outcomes come in the cases'
/// order (a case that ends early waits for the ones before it).
fn run_cases<'a>(
    run: &'a Run,
    cases: &'a [scenario::Case],
    jobs: usize,
) -> impl futures::Stream<
    Item = (
        &'a scenario::Case,
        f64,
        oidc_harness::error::Result<CaseReport>,
    ),
> + 'a {
    futures::stream::iter(cases)
        .map(move |case| async move {
            let t = Instant::now();
            let outcome = run_case(run, case).await;
            (case, t.elapsed().as_secs_f64(), outcome)
        })
        .buffered(jobs)
}

/// Every selected case `rounds` times on one shared Keycloak; per case its
/// passes, its failures (with the first line of each distinct error) and
/// whether it flaked (both passed and failed).
async fn flakes(
    filter: Option<String>,
    rounds: usize,
    dir: PathBuf,
    jobs: usize,
) -> anyhow::Result<ExitCode> {
    let cases = selected_cases(&dir, filter.as_deref())?;
    if rounds == 0 {
        anyhow::bail!("--rounds 0: nothing to run");
    }
    let run = Run::join(Owner::ThisProcess).await?;
    let mut tally: std::collections::BTreeMap<String, (usize, Vec<String>)> = Default::default();
    for round in 1..=rounds {
        let t = Instant::now();
        let mut failed = 0;
        let mut outcomes = run_cases(&run, &cases, jobs);
        while let Some((case, _, outcome)) = outcomes.next().await {
            let entry = tally.entry(case.name.clone()).or_default();
            match outcome {
                Ok(_) => entry.0 += 1,
                Err(e) => {
                    failed += 1;
                    let first = e.to_string().lines().next().unwrap_or_default().to_string();
                    entry.1.push(first);
                }
            }
        }
        eprintln!(
            "round {round}/{rounds}: {} cases, {failed} failed ({:.0}s)",
            cases.len(),
            t.elapsed().as_secs_f64()
        );
    }
    let mut flaky = 0;
    let mut broken = 0;
    println!("{:<70} {:>6} {:>6}  flake", "CASE", "PASS", "FAIL");
    for (name, (passes, errors)) in &tally {
        let fails = errors.len();
        let kind = match (passes, fails) {
            (_, 0) => "",
            (0, _) => {
                broken += 1;
                "always fails"
            }
            _ => {
                flaky += 1;
                "FLAKY"
            }
        };
        println!("{name:<70} {passes:>6} {fails:>6}  {kind}");
        let mut distinct = errors.clone();
        distinct.dedup();
        for e in distinct.iter().take(3) {
            println!("    {e}");
        }
    }
    let runs = tally.len() * rounds;
    let failures: usize = tally.values().map(|(_, e)| e.len()).sum();
    println!(
        "flake-rate: {flaky} of {} cases flaky ({broken} always fail); {failures} failed runs of {runs} ({:.2}%)",
        tally.len(),
        100.0 * failures as f64 / runs as f64
    );
    Ok(if flaky + broken == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn logins(users: &[String]) -> anyhow::Result<Vec<scenario::userfiles::Login>> {
    users
        .iter()
        .map(|u| {
            let (user, password) = u
                .split_once(':')
                .ok_or_else(|| anyhow::anyhow!("--user takes USER:PASSWORD, got `{u}`"))?;
            Ok(scenario::userfiles::Login {
                user: user.into(),
                password: password.into(),
            })
        })
        .collect()
}

async fn diagnose(
    case: scenario::Case,
    taken: &[scenario::userdir::Taken],
    format: Format,
) -> anyhow::Result<ExitCode> {
    let taken: Vec<report::console::TakenAs> = taken
        .iter()
        .map(|t| report::console::TakenAs {
            file: t
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            kind: t.kind.describe(),
            unused: t.unused,
        })
        .collect();
    if format == Format::Text {
        print!("{}", report::console::taken_as(&taken));
    }
    eprintln!("starting Keycloak, Dex and Chromium with your configuration…");
    // The user's secrets stay out of everything written or printed.
    let masker = oidc_harness::infra::mask::Masker::of(&case.document()?);
    let run = Run::join(Owner::ThisProcess).await?;
    let outcome = run_case(&run, &case).await;
    let dir = match &outcome {
        Ok(report) => report.dir.clone(),
        Err(_) => oidc_harness::run::out_dir().join(case.name.replace('/', "__")),
    };
    if dir.is_dir() {
        masker.scrub_dir(&dir)?;
    }
    let report = match outcome {
        Ok(report) => report,
        Err(e) if masker.mask(&e.to_string()) == e.to_string() => return Err(e.into()),
        Err(e) => anyhow::bail!(masker.mask(&e.to_string())),
    };
    let hops = diagnose::hops::hops(&report);
    let verdict = diagnose::hops::verdict(&report);
    let printed = match format {
        Format::Text => report::console::diagnosed(&report, &hops, &verdict),
        Format::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(&report::console::diagnosed_json(
                &report, &hops, &verdict, &taken
            ))?
        ),
    };
    print!("{}", masker.mask(&printed));
    Ok(ExitCode::from(verdict.exit_code()))
}

async fn kind(action: KindAction) -> anyhow::Result<ExitCode> {
    use oidc_harness::scenario::ScenarioFile;
    use oidc_harness::scenario::kind::{KindValues, render_case};
    match action {
        KindAction::Render {
            scenario,
            variant,
            issuer,
            ca_file,
            out,
        } => {
            let file = ScenarioFile::load(&scenario)?;
            let case = file
                .cases()
                .into_iter()
                .find(|c| c.variant.as_ref().map(|v| &v.name) == variant.as_ref())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{}: no variant `{}`",
                        scenario.display(),
                        variant.unwrap_or_default()
                    )
                })?;
            let dir = oidc_harness::run::out_dir().join("kind");
            std::fs::create_dir_all(&dir)?;
            let issuer = match issuer {
                Some(i) => i,
                None => oidc_harness::programs::dex::DexPlan::new(Default::default())?.issuer,
            };
            let ca_file = match ca_file {
                Some(f) => f,
                None => oidc_harness::infra::tls::Ca::create(&dir)?
                    .cert_file()
                    .to_path_buf(),
            };
            let port = oidc_harness::infra::process::free_port(std::net::Ipv4Addr::LOCALHOST)?;
            let text = render_case(
                &case,
                &KindValues {
                    issuer: &issuer,
                    ca_file: &ca_file,
                    name: "dev",
                    api_server_port: port,
                    dir: &dir,
                },
            )?;
            match out {
                Some(path) => std::fs::write(&path, text)?,
                None => print!("{text}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        KindAction::Create { scenario, variant } => {
            let file = ScenarioFile::load(&scenario)?;
            let filter = format!(
                "{}/{}/{}",
                file.scenario.guide,
                file.name,
                variant.unwrap_or_default()
            );
            let dir = scenario
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."));
            run(Some(filter), dir, 1).await
        }
    }
}

/// `bench suite`: the floor probes, then the suite `jobs` at a time, then the table.
async fn bench_suite(
    filter: Option<String>,
    jobs: usize,
    rounds: usize,
    dir: PathBuf,
) -> anyhow::Result<ExitCode> {
    use oidc_harness::bench::{CaseShape, Table, probes};
    let cases = selected_cases(&dir, filter.as_deref())?;
    let run = Run::join(Owner::ThisProcess).await?;
    eprintln!("floor probes ({rounds} rounds each)…");
    let floors = probes::measure(&run, &oidc_harness::run::out_dir().join("bench"), rounds).await?;
    eprintln!("{} case(s), {jobs} at a time…", cases.len());
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut failed = 0;
    let mut outcomes = run_cases(&run, &cases, jobs);
    while let Some((case, seconds, outcome)) = outcomes.next().await {
        match outcome {
            Ok(report) => {
                eprintln!("ok   {} ({seconds:.1}s)", case.name);
                reports.push((CaseShape::of(&case.document()?), report));
            }
            Err(e) => {
                failed += 1;
                let first = e.to_string().lines().next().unwrap_or_default().to_string();
                eprintln!("FAIL {} ({seconds:.1}s): {first}", case.name);
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    print!("{}", Table::new(&reports, floors, jobs, wall));
    if failed > 0 {
        println!("{failed} case(s) failed: their steps are not in the table");
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `bench startup`: only the floor probes, medians of `rounds`.
async fn bench(rounds: usize) -> anyhow::Result<ExitCode> {
    let t = Instant::now();
    let run = Run::join(Owner::ThisProcess).await?;
    println!(
        "keycloak (setup checked + start to discovery 200): {:.2}s",
        t.elapsed().as_secs_f64()
    );
    let dir = oidc_harness::run::out_dir().join("bench");
    let floors = oidc_harness::bench::probes::measure(&run, &dir, rounds).await?;
    println!("{}", serde_json::to_string_pretty(&floors)?);
    Ok(ExitCode::SUCCESS)
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
