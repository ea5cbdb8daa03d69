//! The command line's shape and its help: every argument says what it takes, and every
//! subcommand's `--help` ends with the environment variables it reads, since most settings
//! come from the environment rather than from flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::auth::Role;

/// Where the store is and which rule files apply: read by every command that opens the store.
const STORE_ENV: &str = "\
Environment:
  GOLDEN_DATA_DIR     data directory: SQLite file, candidate index, uploads, generated JWT
                      secret (default ./data)
  DATABASE_URL        postgres://... selects PostgreSQL (default: SQLite in the data dir)
  GOLDEN_RULES_DIR    directory of the matching rule files, one *.toml per domain
                      (default ./matching-rules)
  RUST_LOG            log filter, e.g. info or golden=debug
  GOLDEN_LOG_FORMAT   text (default) or json";

const SERVE_ENV: &str = "\
Environment:
  GOLDEN_DATA_DIR     data directory: SQLite file, candidate index, uploads, generated JWT
                      secret (default ./data)
  DATABASE_URL        postgres://... selects PostgreSQL (default: SQLite in the data dir)
  GOLDEN_RULES_DIR    directory of the matching rule files, one *.toml per domain
                      (default ./matching-rules)
  GOLDEN_BIND         address to listen on (default 127.0.0.1:8080)
  GOLDEN_JWT_SECRET   HS256 secret, at least 16 characters; required with PostgreSQL
                      (default: created once in the data dir)
  GOLDEN_JWT_PUBLIC_KEY, GOLDEN_JWKS_FILE   an identity provider's PEM key or JWKS file
  GOLDEN_JWT_ISSUER, GOLDEN_JWT_AUDIENCE    required iss and aud claims, when set
  GOLDEN_MAX_BODY_BYTES          largest JSON body (default 8 MiB)
  GOLDEN_MAX_JOB_BYTES           largest bulk-job upload (default 2 GiB)
  GOLDEN_MAX_UPLOADS_PER_CALLER  uploads one token subject may stream at once (default 2)
  GOLDEN_MAX_UPLOADS             uploads streaming at once, all callers (default 8)
  GOLDEN_MIN_FREE_DISK_BYTES     free disk an upload must leave (default 256 MiB)
  GOLDEN_JOB_WORKERS             bulk jobs that run at once (default 2)
  GOLDEN_DB_POOL_SIZE            database connections (default 8)
  GOLDEN_SQLITE_SYNC             full (default) or normal
  RUST_LOG            log filter (default info)
  GOLDEN_LOG_FORMAT   text (default) or json";

const MIGRATE_ENV: &str = "\
Environment:
  GOLDEN_DATA_DIR     data directory holding the SQLite file (default ./data)
  DATABASE_URL        postgres://... selects PostgreSQL (default: SQLite in the data dir)";

const RULES_ENV: &str = "\
Environment:
  GOLDEN_RULES_DIR    directory of the matching rule files, when DIR is left out
                      (default ./matching-rules)";

const EVAL_ENV: &str = "\
Environment:
  GOLDEN_RULES_DIR    directory of the matching rule files (default ./matching-rules)
  RUST_LOG            log filter (default warn)";

const TOKEN_ENV: &str = "\
Environment:
  GOLDEN_JWT_SECRET   the HS256 secret to sign with; with PostgreSQL it must be the secret the
                      server runs with
  GOLDEN_DATA_DIR     without GOLDEN_JWT_SECRET (SQLite only): the secret kept in this data
                      directory is used, and created when missing (default ./data)
  DATABASE_URL        postgres://... means PostgreSQL mode: GOLDEN_JWT_SECRET is then required
  GOLDEN_JWT_ISSUER, GOLDEN_JWT_AUDIENCE    put into the token as iss and aud, when set";

#[derive(Parser)]
#[command(name = "golden", version, about = "Golden: master data management hub")]
pub(super) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Run the service (migrates first).
    #[command(after_help = SERVE_ENV)]
    Serve,
    /// Apply pending database migrations.
    #[command(after_help = MIGRATE_ENV)]
    Migrate,
    /// Work with the matching rule files.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Rebuild the candidate index from the database (run it while `golden serve` is stopped).
    #[command(after_help = STORE_ENV)]
    Reindex,
    /// Standardize again the stored records that older standardizers or another rule file
    /// produced (links stay as they are); `golden serve` also does it in the background.
    #[command(after_help = STORE_ENV)]
    Restandardize {
        /// Only this domain (default: every domain).
        #[arg(long)]
        domain: Option<String>,
    },
    /// Bulk-load a CSV (with a header) or NDJSON file; `-` reads stdin. Run it again after an
    /// interruption and it resumes where it stopped. It opens the candidate index, so run it
    /// while `golden serve` is stopped, or upload the file to the server as a bulk job.
    /// With `--profile`, only profiles the file. `golden load rollback JOB_ID` undoes a load.
    #[command(
        after_help = STORE_ENV,
        args_conflicts_with_subcommands = true,
        subcommand_negates_reqs = true
    )]
    Load {
        #[command(subcommand)]
        action: Option<LoadAction>,
        /// Domain of the records, as named in its rule file (e.g. vendor).
        #[arg(long, required = true)]
        domain: Option<String>,
        /// Source system of every row; may be left out when the file has a source_system column.
        #[arg(long)]
        source: Option<String>,
        /// Where to write the rejected rows (default: NAME.rejects.csv next to NAME.csv; for
        /// stdin, golden-load-JOB.rejects.csv in the current directory).
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
        /// Only profile the file: per column the field it maps to, fill rate, distinct values,
        /// how many values standardize, fail or are unknown (with examples), unmapped columns
        /// and duplicate keys, as JSON on stdout. One pass, no matching, nothing stored.
        #[arg(long, conflicts_with = "estimate_first")]
        profile: bool,
        /// Preview the load (a dry run): every row is decided as the load would decide it
        /// (matching against the stored records and within the file) and nothing is committed.
        /// Prints the report (counts, reject reasons, the riskiest decisions) and the job ID
        /// to commit it with `--commit-preview`.
        #[arg(long, conflicts_with_all = ["estimate_first", "profile"])]
        dry_run: bool,
        /// Load the file as the preview job JOB previewed it (the same file, read the same
        /// way); the summary's `commit` says how many rows were decided differently because
        /// the store changed since.
        #[arg(long, value_name = "JOB", conflicts_with_all = ["estimate_first", "profile", "dry_run"])]
        commit_preview: Option<String>,
        /// The file to load, or `-` for stdin.
        #[arg(required = true)]
        file: Option<String>,
    },
    /// Score the current rules on a labelled file, in a fresh temporary store.
    #[command(after_help = EVAL_ENV)]
    Eval {
        /// Domain of the records, as named in its rule file (e.g. vendor).
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
    #[command(after_help = STORE_ENV)]
    Estimate {
        /// Domain to estimate for, as named in its rule file (e.g. vendor).
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
    #[command(after_help = STORE_ENV)]
    Rematch {
        /// Domain to re-match, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
        /// Report only; required, since nothing else is offered.
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
    #[command(after_help = TOKEN_ENV)]
    Token {
        /// Roles to grant: reader, ingest, steward, admin, and sensitive (unmasked sensitive
        /// fields); repeatable or comma-separated (`--roles reader,sensitive`).
        #[arg(
            long = "role",
            visible_alias = "roles",
            value_delimiter = ',',
            required = true
        )]
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
pub(super) enum ExportCommand {
    /// source_system,source_id,golden_id for every source record of a domain.
    #[command(after_help = STORE_ENV)]
    Crosswalk {
        /// Domain to export, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
    },
    /// proposal_id,golden_id,other_golden_id,score for every open proposal of a domain.
    #[command(after_help = STORE_ENV)]
    Proposals {
        /// Domain to export, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
    },
}

#[derive(Subcommand)]
pub(super) enum ModelCommand {
    /// Write a model (the active one unless --version) as JSON.
    #[command(after_help = STORE_ENV)]
    Export {
        /// Domain of the model, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
        /// A stored version (default: the active model).
        #[arg(long)]
        version: Option<i64>,
        /// The JSON file to write.
        file: PathBuf,
    },
    /// Store a model written by `model export` as the next version and make it active.
    #[command(after_help = STORE_ENV)]
    Import {
        /// Domain of the model, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
        /// The JSON file written by `golden model export`.
        file: PathBuf,
    },
    /// The domain's models, newest first (one JSON line each).
    #[command(after_help = STORE_ENV)]
    List {
        /// Domain of the models, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
    },
    /// Make a stored version the active model.
    #[command(after_help = STORE_ENV)]
    Activate {
        /// Domain of the model, as named in its rule file (e.g. vendor).
        #[arg(long)]
        domain: String,
        /// The stored version to make active.
        #[arg(long)]
        version: i64,
    },
}

#[derive(Subcommand)]
pub(super) enum RulesCommand {
    /// Validate the rule files and report each mistake with its file and line.
    #[command(after_help = RULES_ENV)]
    Check {
        /// Rules directory (default: GOLDEN_RULES_DIR or ./matching-rules).
        dir: Option<PathBuf>,
    },
}

/// What `golden load` does besides loading.
#[derive(Debug, Subcommand)]
pub enum LoadAction {
    /// Undo a load job: the records it created are retired, the versions it added reverted,
    /// the golden records it created retired and the proposals it opened closed. Stops and
    /// lists later steward decisions on the same records rather than overwrite them. Prints
    /// the result as JSON; a second rollback prints the first one's result.
    #[command(after_help = STORE_ENV)]
    Rollback {
        /// The job's ID (as printed by `golden load` or listed by `GET /v1/jobs`).
        job_id: String,
        /// Why the load is undone (kept in the audit log).
        #[arg(long, default_value = "rolled back with golden load rollback")]
        comment: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every runnable subcommand, with its path of names.
    fn leaves(command: &clap::Command, path: String, out: &mut Vec<(String, clap::Command)>) {
        if command.get_subcommands().next().is_none() {
            out.push((path.clone(), command.clone()));
        }
        for sub in command.get_subcommands() {
            leaves(sub, format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_subcommand_documents_its_arguments_and_environment() {
        let mut all = Vec::new();
        leaves(&Cli::command(), "golden".into(), &mut all);
        assert!(all.len() >= 16, "{}", all.len());
        for (path, command) in all {
            if path == "golden help" || path.ends_with(" help") {
                continue;
            }
            assert!(command.get_about().is_some(), "{path} has no description");
            let env = command.get_after_help().map(|h| h.to_string());
            assert!(
                env.is_some_and(|h| h.starts_with("Environment:")),
                "{path} does not list its environment variables"
            );
            for arg in command.get_arguments() {
                let id = arg.get_id().as_str();
                if ["help", "version"].contains(&id) {
                    continue;
                }
                assert!(arg.get_help().is_some(), "{path}: {id} is undocumented");
            }
        }
    }
}
