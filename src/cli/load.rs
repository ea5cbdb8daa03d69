//! `golden load`: a bulk load from a file or stdin, with progress on the terminal (or plain
//! periodic lines when not a terminal), a summary, and a rejects file.

use std::fs::File;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::bulk::{Format, Mapping, RowReader};
use crate::service::Golden;
use crate::service::bulk::{JobSpec, JobView, job_mode};

/// What `golden load` was asked to do.
pub struct LoadArgs {
    pub domain: String,
    pub source: Option<String>,
    pub rejects: Option<PathBuf>,
    pub map: Vec<String>,
    pub mapping_file: Option<PathBuf>,
    pub format: Option<String>,
    pub file: String,
    /// When the domain has no model yet, estimate one from this file first.
    pub estimate_first: bool,
    /// Preview the load instead: decide every row, commit nothing, print the report.
    pub dry_run: bool,
    /// Load the file as this preview job previewed it.
    pub commit_preview: Option<String>,
}

/// How often plain progress lines are printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

/// The column mapping of `--map` options and a `--mapping` file.
fn read_mapping(map: &[String], file: Option<&Path>) -> anyhow::Result<Mapping> {
    let mut pairs = map.to_vec();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read mapping file {}", path.display()))?;
        pairs.extend(text.lines().map(str::to_owned));
    }
    Ok(Mapping::parse(&pairs)?)
}

/// `golden load --profile`: prints the file's profile as JSON; nothing is stored.
pub fn profile(
    golden: &Golden,
    domain: &str,
    source: Option<String>,
    map: &[String],
    mapping_file: Option<&Path>,
    format: Option<String>,
    file: &str,
) -> anyhow::Result<crate::bulk::Profile> {
    let mapping = read_mapping(map, mapping_file)?;
    let domain = golden.domain(domain)?;
    let stdin = file == "-";
    let format = match &format {
        Some(text) => Format::parse(text)?,
        None if stdin => Format::Csv,
        None => Format::from_name(file).unwrap_or(Format::Csv),
    };
    let input: Box<dyn BufRead> = if stdin {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let file = File::open(file).with_context(|| format!("cannot open {file}"))?;
        Box::new(BufReader::with_capacity(1 << 20, file))
    };
    let mut reader = RowReader::open(input, format, mapping, source, &domain)?;
    let profile = crate::bulk::profile::profile(&domain, &mut reader)?;
    println!("{}", serde_json::to_string_pretty(&profile)?);
    Ok(profile)
}

/// `golden load rollback JOB_ID --comment TEXT`: undoes a load and prints what it did.
pub fn rollback(golden: &Golden, job_id: &str, comment: &str) -> anyhow::Result<()> {
    let actor = crate::service::stewardship::Actor {
        sub: "cli".into(),
        request_id: None,
        sensitive: true,
    };
    match golden.rollback_job(job_id, comment, &actor) {
        Ok(view) => {
            println!("{}", serde_json::to_string(&view)?);
            Ok(())
        }
        Err(crate::service::ServiceError::RollbackConflicts(conflicts)) => {
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({"conflicts": conflicts}))?
            );
            anyhow::bail!(
                "{} later steward decision(s) on the job's records stop the rollback",
                conflicts.len()
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub fn run(golden: &Golden, args: LoadArgs) -> anyhow::Result<JobView> {
    let mapping = read_mapping(&args.map, args.mapping_file.as_deref())?;
    let domain = golden.domain(&args.domain)?;
    let stdin = args.file == "-";
    let format = match &args.format {
        Some(text) => Format::parse(text)?,
        None if stdin => Format::Csv,
        None => Format::from_name(&args.file).unwrap_or(Format::Csv),
    };
    let (input, hash, size): (Box<dyn BufRead>, Option<String>, Option<u64>) = if stdin {
        (Box::new(BufReader::new(std::io::stdin())), None, None)
    } else {
        let path = Path::new(&args.file);
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        let hash = hash_file(path, &args, &mapping)?;
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        (
            Box::new(BufReader::with_capacity(1 << 20, file)),
            Some(hash),
            Some(size),
        )
    };
    let estimated = if args.estimate_first && golden.active_model(&domain.name).is_none() {
        if stdin {
            anyhow::bail!("--estimate-first reads the file twice: it needs a file, not stdin");
        }
        Some(estimate_from_file(golden, &args, format, &mapping)?)
    } else {
        None
    };
    let reader = RowReader::open(input, format, mapping.clone(), args.source.clone(), &domain)?;
    if let Some(preview) = &args.commit_preview {
        let hash = hash
            .as_deref()
            .context("--commit-preview reads the previewed file: it needs a file, not stdin")?;
        golden.preview_to_commit(preview, hash)?;
    }
    let job = golden.start_job(&JobSpec {
        domain: domain.name.clone(),
        source: args.source.clone(),
        origin: "cli",
        input_name: args.file.clone(),
        input_path: None,
        input_hash: hash,
        bytes_total: size,
        allowed_sources: None,
        mapping,
        created_by: "cli".into(),
        mode: if args.dry_run {
            job_mode::PREVIEW
        } else {
            job_mode::LOAD
        },
        preview_of: args.commit_preview.clone(),
    })?;
    if args.dry_run {
        return dry_run(golden, &args, &job.id, &domain, reader);
    }
    if job.resumed {
        eprintln!(
            "resuming job {} after line {} ({} rows already loaded)",
            job.id, job.last_line, job.rows_read
        );
    }
    let started = Instant::now();
    let first_rows = job.rows_read;
    let mut reporter = Reporter::new(size, first_rows);
    let mut done = golden.run_job(&job.id, reader, &mut |view| reporter.update(view, started))?;
    done.resumed = job.resumed;
    reporter.finish();
    let rejects_path = args
        .rejects
        .clone()
        .unwrap_or_else(|| default_rejects(&args.file, &job.id));
    if done.rejected > 0 {
        write_rejects(golden, &done.id, &rejects_path)?;
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{}: read {} rows, created {}, auto-linked {}, proposed {}, updated {}, unchanged {}, rejected {} in {seconds:.1}s ({:.0} rows/s)",
        done.domain,
        done.rows_read,
        done.created,
        done.auto_linked,
        done.proposed,
        done.updated,
        done.unchanged,
        done.rejected,
        (done.rows_read - first_rows) as f64 / seconds.max(1e-9),
    );
    if done.rejected > 0 {
        eprintln!("rejected rows: {}", rejects_path.display());
    }
    let mut summary = serde_json::to_value(&done)?;
    if let Some(object) = summary.as_object_mut() {
        object.insert("seconds".into(), seconds.into());
        // The time writers wait for each other, against the whole load's.
        let (_, serialized) = golden.metrics.ingest_time(&done.domain);
        object.insert("serialized_seconds".into(), serialized.into());
        object.insert(
            "serialized_share".into(),
            (serialized / seconds.max(1e-9)).into(),
        );
        if let Some(estimated) = estimated {
            object.insert("model".into(), estimated);
        }
        if done.rejected > 0 {
            object.insert(
                "rejects_file".into(),
                rejects_path.display().to_string().into(),
            );
        }
    }
    println!("{summary}");
    Ok(done)
}

/// Loads the file into a scratch store with the same rules, estimates a model there and makes
/// it the domain's active model, as batch linkers estimate from the data they link. Returns
/// what the summary says of it; data that cannot identify a model leaves the declared weights.
fn estimate_from_file(
    golden: &Golden,
    args: &LoadArgs,
    format: Format,
    mapping: &Mapping,
) -> anyhow::Result<serde_json::Value> {
    eprintln!(
        "no model for {} yet: estimating one from the file first",
        args.domain
    );
    let scratch = tempfile::tempdir()?;
    let mut settings = crate::config::Settings::embedded(scratch.path());
    settings.rules_dir = golden.settings.rules_dir.clone();
    let staging = Golden::open(settings)?;
    let domain = staging.domain(&args.domain)?;
    let file = File::open(&args.file).with_context(|| format!("cannot open {}", args.file))?;
    let input = Box::new(BufReader::with_capacity(1 << 20, file));
    let reader = RowReader::open(input, format, mapping.clone(), args.source.clone(), &domain)?;
    let job = staging.start_job(&JobSpec {
        domain: domain.name.clone(),
        source: args.source.clone(),
        origin: "cli",
        input_name: args.file.clone(),
        input_path: None,
        input_hash: None,
        bytes_total: None,
        allowed_sources: None,
        mapping: mapping.clone(),
        created_by: "cli".into(),
        mode: job_mode::LOAD,
        preview_of: None,
    })?;
    staging.run_job(&job.id, reader, &mut |_| {})?;
    let actor = crate::service::stewardship::Actor {
        sub: "cli:load".into(),
        request_id: None,
        sensitive: true,
    };
    let options = crate::service::models::EstimateOptions::default();
    let model = match staging.estimate_model(&domain.name, &options, &actor) {
        Ok(info) => staging.export_model(&domain.name, Some(info.version))?,
        Err(crate::service::ServiceError::Unprocessable { message, .. }) => {
            eprintln!("no model estimated: {message}");
            return Ok(serde_json::json!({ "estimated_from_file": false, "reason": message }));
        }
        Err(e) => return Err(e.into()),
    };
    let info = golden.adopt_model(&domain.name, model, "estimated_from_file", &actor)?;
    eprintln!(
        "model version {} estimated from the file: auto_link {:.4}, review {:.4}",
        info.version, info.auto_link, info.review
    );
    Ok(serde_json::json!({
        "estimated_from_file": true,
        "version": info.version,
        "auto_link": info.auto_link,
        "review": info.review,
    }))
}

/// `golden load --dry-run`: previews the file as job `id`, prints a summary and the riskiest
/// decisions on stderr and the job (with its report) as JSON on stdout.
fn dry_run<R: BufRead>(
    golden: &Golden,
    args: &LoadArgs,
    id: &str,
    domain: &crate::rules::Domain,
    reader: RowReader<R>,
) -> anyhow::Result<JobView> {
    let report = golden.run_preview(id, domain, reader)?;
    eprintln!(
        "{}: preview of {} rows: new {}, auto-linked {} ({} within the file), proposed {}, updated {}, unchanged {}, rejected {} in {:.1}s (write lock held {:.1}s); nothing was committed",
        domain.name,
        report.rows,
        report.new,
        report.auto_linked,
        report.within_file,
        report.proposed,
        report.updated,
        report.unchanged,
        report.rejected,
        report.seconds,
        report.serialized_seconds,
    );
    for reason in &report.reject_reasons {
        eprintln!("  rejected {:>6} x {}", reason.rows, reason.reason);
    }
    for risky in report.riskiest.iter().take(10) {
        eprintln!(
            "  line {:>7} {} -> {} score {:.4} [{}] {}",
            risky.line,
            risky.decision,
            risky.target.as_deref().unwrap_or("-"),
            risky.score.unwrap_or_default(),
            risky.risks.join(","),
            risky.detail.as_deref().unwrap_or_default(),
        );
    }
    if report.rejected > 0 {
        let path = args
            .rejects
            .clone()
            .unwrap_or_else(|| default_rejects(&args.file, id));
        write_rejects(golden, id, &path)?;
        eprintln!("rejected rows: {}", path.display());
    }
    eprintln!("commit it with: golden load --commit-preview {id} (same options and file)");
    let view = golden.job(id)?;
    println!("{}", serde_json::to_string(&view)?);
    Ok(view)
}

/// A re-run is recognised by the input's bytes and how it is read.
fn hash_file(path: &Path, args: &LoadArgs, mapping: &Mapping) -> anyhow::Result<String> {
    let mut hasher = Sha256::new();
    hasher.update(args.domain.as_bytes());
    hasher.update([0]);
    hasher.update(args.source.as_deref().unwrap_or_default().as_bytes());
    hasher.update([0]);
    hasher.update(mapping.to_lines().join("\n").as_bytes());
    hasher.update([0]);
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut buffer = vec![0; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// `vendors.csv` → `vendors.rejects.csv` next to it; stdin → in the current directory.
fn default_rejects(file: &str, job: &str) -> PathBuf {
    if file == "-" {
        return PathBuf::from(format!("golden-load-{job}.rejects.csv"));
    }
    let path = Path::new(file);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input".into());
    path.with_file_name(format!("{stem}.rejects.csv"))
}

/// Writes every rejected row of a job: `line,reason,raw`.
fn write_rejects(golden: &Golden, job: &str, path: &Path) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    golden.write_rejects(job, std::io::BufWriter::new(file), true)?;
    Ok(())
}

/// Progress: a bar on a terminal, a plain line every few seconds otherwise.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    last_line: Instant,
    first_rows: i64,
}

impl Reporter {
    fn new(size: Option<u64>, first_rows: i64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = match size {
                Some(size) => indicatif::ProgressBar::new(size),
                None => indicatif::ProgressBar::new_spinner(),
            };
            let style = indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {percent}% ETA {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Self {
            bar,
            last_line: Instant::now(),
            first_rows,
        }
    }

    fn update(&mut self, view: &JobView, started: Instant) {
        let rate =
            (view.rows_read - self.first_rows) as f64 / started.elapsed().as_secs_f64().max(1e-9);
        match &self.bar {
            Some(bar) => {
                bar.set_position(view.bytes_read.max(0) as u64);
                bar.set_message(format!(
                    "{} rows, {rate:.0} rows/s, {} rejected",
                    view.rows_read, view.rejected
                ));
            }
            None if self.last_line.elapsed() >= PLAIN_EVERY => {
                self.last_line = Instant::now();
                let percent = view
                    .progress
                    .map(|p| format!(", {:.1}%", p * 100.0))
                    .unwrap_or_default();
                eprintln!(
                    "loaded {} rows ({rate:.0} rows/s{percent}), {} rejected",
                    view.rows_read, view.rejected
                );
                let _ = std::io::stderr().flush();
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
