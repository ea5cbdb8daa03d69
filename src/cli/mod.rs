//! The `golden` command line.

mod load;
mod model;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::auth::{Authenticator, Role};
use crate::config::Settings;
use crate::rules::RuleSet;
use crate::service::Golden;
use crate::store::Store;

#[derive(Parser)]
#[command(name = "golden", version, about = "Golden: master data management hub")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (migrates first).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Work with the matching rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Rebuild the candidate index from the database.
    Reindex,
    /// Standardize again the stored records that older standardizers or another rule file
    /// produced (links stay as they are); `golden serve` also does it in the background.
    Restandardize {
        #[arg(long)]
        domain: Option<String>,
    },
    /// Bulk-load a CSV (with a header) or NDJSON file; `-` reads stdin. Run it again after an
    /// interruption and it resumes where it stopped.
    Load {
        #[arg(long)]
        domain: String,
        /// Source system of every row; may be left out when the file has a source_system column.
        #[arg(long)]
        source: Option<String>,
        /// Where to write the rejected rows (default: INPUT.rejects.csv next to the input).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Rename a column to a field: `--map vendor_name=name` (repeatable).
        #[arg(long = "map")]
        map: Vec<String>,
        /// A file of `column=field` lines.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// csv or ndjson (default: from the file name; csv for stdin).
        #[arg(long)]
        format: Option<String>,
        /// When the domain has no match model yet, estimate one from the file itself first
        /// (the file is loaded into a scratch store for that) and load with it.
        #[arg(long)]
        estimate_first: bool,
        file: String,
    },
    /// Score the current rules on a labelled file, in a fresh temporary store.
    Eval {
        #[arg(long)]
        domain: String,
        /// CSV: source_system,source_id, then one column per field.
        #[arg(long)]
        records: PathBuf,
        /// CSV: source_system,source_id,entity_id.
        #[arg(long)]
        truth: PathBuf,
        /// Keep the store in this (new) directory instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
        /// Match with the rule file's declared weights, or with a model estimated from the
        /// file first.
        #[arg(long, value_enum, default_value = "declared")]
        model: crate::eval::ModelChoice,
        /// With `--model estimate`: estimate from this records file instead (another part of
        /// the data), so the scores are on records the model never saw.
        #[arg(long)]
        estimate_from: Option<PathBuf>,
    },
    /// Estimate a domain's match model from its stored records and steward decisions, store it
    /// as the next version and make it active.
    Estimate {
        #[arg(long)]
        domain: String,
        /// Seed of the random samples (the same records give the same model).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Records whose candidates are scored.
        #[arg(long, default_value_t = 50_000)]
        sample: usize,
        /// Store the model without making it active.
        #[arg(long)]
        no_activate: bool,
        /// CSV of known pairs, `source_system,source_id,source_system,source_id,match`, used
        /// as labels besides the stewards' decisions.
        #[arg(long)]
        labels: Option<PathBuf>,
    },
    /// What matching the stored records under another model would change (nothing is
    /// changed: only --dry-run exists, since golden records are merged only by stewards).
    Rematch {
        #[arg(long)]
        domain: String,
        #[arg(long, required = true)]
        dry_run: bool,
        /// A stored model version (default: the declared weights, unless --model).
        #[arg(long)]
        version: Option<i64>,
        /// A model file written by `golden model export`.
        #[arg(long, conflicts_with = "version")]
        model: Option<PathBuf>,
    },
    /// Export, import, list or activate a domain's match models.
    Model {
        #[command(subcommand)]
        command: ModelCommand,
    },
    /// Export CSV on stdout.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Print a signed token for the configured secret (for local use and tests).
    Token {
        /// Role to grant: reader, ingest, steward or admin (repeatable).
        #[arg(long = "role", required = true)]
        roles: Vec<Role>,
        /// Subject (who the token speaks for).
        #[arg(long, default_value = "local")]
        sub: String,
        /// Source system an ingest token may write for (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
        /// Lifetime, e.g. 1h, 30m, 7d.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// source_system,source_id,golden_id for every source record of a domain.
    Crosswalk {
        #[arg(long)]
        domain: String,
    },
    /// proposal_id,golden_id,other_golden_id,score for every open proposal of a domain.
    Proposals {
        #[arg(long)]
        domain: String,
    },
}

#[derive(Subcommand)]
enum ModelCommand {
    /// Write a model (the active one unless --version) as JSON.
    Export {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        version: Option<i64>,
        file: PathBuf,
    },
    /// Store a model written by `model export` as the next version and make it active.
    Import {
        #[arg(long)]
        domain: String,
        file: PathBuf,
    },
    /// The domain's models, newest first (one JSON line each).
    List {
        #[arg(long)]
        domain: String,
    },
    /// Make a stored version the active model.
    Activate {
        #[arg(long)]
        domain: String,
        #[arg(long)]
        version: i64,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Validate the rule files and report each mistake with its file and line.
    Check {
        /// Rules directory (default: GOLDEN_RULES_DIR or ./matching-rules).
        dir: Option<PathBuf>,
    },
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let settings = Settings::from_env()?;
    match cli.command {
        Command::Serve => serve(settings).map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            let applied = Store::open(&settings)?.migrate()?;
            println!("applied {applied} migration(s) to {:?}", settings.database);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restandardize { domain } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = Golden::open(settings)?;
            let report = golden.restandardize(domain.as_deref())?;
            eprintln!(
                "{} record(s) standardized again: {} changed, {} failed validation (kept)",
                report.records, report.changed, report.failed
            );
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            crate::telemetry::init(settings.log_json);
            let golden = Golden::open(settings)?;
            let count = golden.reindex()?;
            println!("indexed {count} record(s)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Load {
            domain,
            source,
            rejects,
            map,
            mapping,
            format,
            estimate_first,
            file,
        } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = Golden::open(settings)?;
            load::run(
                &golden,
                load::LoadArgs {
                    domain,
                    source,
                    rejects,
                    map,
                    mapping_file: mapping,
                    format,
                    file,
                    estimate_first,
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            domain,
            records,
            truth,
            keep,
            model,
            estimate_from,
        } => {
            let report = crate::eval::run(
                &settings,
                &domain,
                &records,
                &truth,
                keep.as_deref(),
                model,
                estimate_from.as_deref(),
            )?;
            eprintln!(
                "{domain}: auto P={:.4} R={:.4} F1={:.4} | with review P={:.4} R={:.4} F1={:.4} | {} proposals ({:.1}% true) | {} rejected | {:.1}s",
                report.precision_auto,
                report.recall_auto,
                report.f1_auto,
                report.precision_review,
                report.recall_review,
                report.f1_review,
                report.proposals,
                report.proposal_precision * 100.0,
                report.rejected,
                report.seconds
            );
            println!("{}", serde_json::to_string(&report)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Estimate {
            domain,
            seed,
            sample,
            no_activate,
            labels,
        } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let labels = match labels {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    crate::service::models::read_labels(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
                None => Vec::new(),
            };
            let golden = Golden::open(settings)?;
            let options = crate::service::models::EstimateOptions {
                seed,
                sample_records: sample,
                activate: !no_activate,
                labels,
                ..Default::default()
            };
            model::estimate(&golden, &domain, &options)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rematch {
            domain,
            dry_run: _,
            version,
            model: file,
        } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = Golden::open(settings)?;
            model::rematch(&golden, &domain, version, file.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Model { command } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = Golden::open(settings)?;
            match command {
                ModelCommand::Export {
                    domain,
                    version,
                    file,
                } => model::export(&golden, &domain, version, &file)?,
                ModelCommand::Import { domain, file } => model::import(&golden, &domain, &file)?,
                ModelCommand::List { domain } => model::list(&golden, &domain)?,
                ModelCommand::Activate { domain, version } => {
                    model::activate(&golden, &domain, version)?
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Export { what } => {
            let rules = RuleSet::load_dir(&settings.rules_dir)?;
            let store = Store::open_and_migrate(&settings)?;
            let exports = crate::service::export::Exports { store: &store };
            let stdout = std::io::stdout().lock();
            let known = |domain: &str| {
                rules
                    .domain(domain)
                    .map(|_| ())
                    .ok_or_else(|| anyhow::anyhow!("unknown domain {domain:?}"))
            };
            match what {
                ExportCommand::Crosswalk { domain } => {
                    known(&domain)?;
                    exports.crosswalk(&domain, stdout)?
                }
                ExportCommand::Proposals { domain } => {
                    known(&domain)?;
                    exports.proposals(&domain, stdout)?
                }
            };
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules {
            command: RulesCommand::Check { dir },
        } => Ok(rules_check(&dir.unwrap_or(settings.rules_dir))),
        Command::Token {
            roles,
            sub,
            sources,
            ttl,
        } => {
            let roles: BTreeSet<Role> = roles.into_iter().collect();
            let token =
                Authenticator::from_settings(&settings)?.issue(&sub, roles, sources, ttl)?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn rules_check(dir: &std::path::Path) -> ExitCode {
    let (set, errors) = RuleSet::check_dir(dir);
    for error in &errors {
        println!("{error}");
    }
    if errors.is_empty() {
        let names: Vec<&str> = set.domains().map(|d| d.name.as_str()).collect();
        println!("ok: {} domain(s): {}", names.len(), names.join(", "));
        ExitCode::SUCCESS
    } else {
        println!("{} mistake(s) found", errors.len());
        ExitCode::FAILURE
    }
}

/// Standardizes stored records again, while the service answers, when older standardizers or
/// another rule file produced them; `/readyz` shows the progress.
fn restandardize_in_background(golden: &Arc<Golden>) {
    match golden.stale_standardization() {
        Ok(0) => {}
        Ok(stale) => {
            tracing::info!(
                records = stale,
                "standardizing stored records again in the background"
            );
            let golden = golden.clone();
            std::thread::spawn(move || match golden.restandardize(None) {
                Ok(report) => tracing::info!(
                    records = report.records,
                    changed = report.changed,
                    failed = report.failed,
                    "stored records standardized again"
                ),
                Err(e) => {
                    tracing::error!(error = %crate::service::error::chain(&e), "standardizing stored records again failed")
                }
            });
        }
        Err(e) => {
            tracing::warn!(error = %crate::service::error::chain(&e), "cannot count records to standardize again")
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    crate::telemetry::init(settings.log_json);
    let authenticator = Arc::new(Authenticator::from_settings(&settings)?);
    let golden = Arc::new(Golden::open(settings.clone())?);
    restandardize_in_background(&golden);
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    tracing::info!(
        bind = %listener.local_addr()?,
        database = ?settings.database,
        data_dir = %settings.data_dir.display(),
        "golden is listening"
    );
    actix_web::rt::System::new()
        .block_on(async move { crate::api::server(golden, authenticator, listener)?.await })?;
    tracing::info!("golden stopped");
    Ok(())
}
