//! The `golden` command line.

mod args;
mod load;
mod model;
mod preflight;

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

use args::{Cli, Command, ExportCommand, ModelCommand, RulesCommand};

use crate::auth::{Authenticator, Role};
use crate::config::Settings;
use crate::rules::RuleSet;
use crate::service::Golden;
use crate::store::Store;

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
    if needs_rules(&cli.command) {
        preflight::rules(&settings)?;
    }
    match cli.command {
        Command::Serve => serve(settings).map(|()| ExitCode::SUCCESS),
        Command::Migrate => {
            let applied = Store::open(&settings)?.migrate()?;
            println!("applied {applied} migration(s) to {:?}", settings.database);
            Ok(ExitCode::SUCCESS)
        }
        Command::Restandardize { domain } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = preflight::open(settings, "restandardize")?;
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
            let golden = preflight::open(settings, "reindex")?;
            let count = golden.reindex()?;
            println!("indexed {count} record(s)");
            Ok(ExitCode::SUCCESS)
        }
        Command::Load {
            action: Some(args::LoadAction::Rollback { job_id, comment }),
            ..
        } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = preflight::open(settings, "load")?;
            load::rollback(&golden, &job_id, &comment)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load {
            action: None,
            domain,
            source,
            rejects,
            map,
            mapping,
            format,
            estimate_first,
            profile,
            dry_run,
            commit_preview,
            file,
        } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let (Some(domain), Some(file)) = (domain, file) else {
                anyhow::bail!("golden load needs --domain and a file");
            };
            let golden = preflight::open(settings, "load")?;
            if profile {
                load::profile(
                    &golden,
                    &domain,
                    source,
                    &map,
                    mapping.as_deref(),
                    format,
                    &file,
                )?;
                return Ok(ExitCode::SUCCESS);
            }
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
                    dry_run,
                    commit_preview,
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
            let golden = preflight::open(settings, "estimate")?;
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
            let golden = preflight::open(settings, "rematch")?;
            model::rematch(&golden, &domain, version, file.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Model { command } => {
            crate::telemetry::init_with_default(settings.log_json, "warn");
            let golden = preflight::open(settings, "model")?;
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
            preflight::token_secret(&settings)?;
            let roles: BTreeSet<Role> = roles.into_iter().collect();
            let token =
                Authenticator::from_settings(&settings)?.issue(&sub, roles, sources, ttl)?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Commands that read the rule files; the rest (migrate, token, rules check with its own
/// report) run without them.
fn needs_rules(command: &Command) -> bool {
    !matches!(
        command,
        Command::Migrate | Command::Token { .. } | Command::Rules { .. }
    )
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
    let golden = Arc::new(preflight::open(settings.clone(), "serve")?);
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
