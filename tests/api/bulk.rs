//! `golden load`: bulk files with bad rows, column mapping, re-runs and a killed load, run
//! through the real binary against a test app's database while its server is stopped (the CLI
//! opens the candidate index, which a running server holds).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use golden::auth::Role;
use golden::config::Settings;
use golden::service::bulk::BATCH_ROWS;
use serde_json::Value;

use crate::helpers::{cli_for, golden_command, spawn_app};

/// Runs `golden load` and returns its output and the JSON summary on its last stdout line.
fn load(settings: &Settings, args: &[&str]) -> (Output, Value) {
    let mut all = vec!["load"];
    all.extend_from_slice(args);
    let output = cli_for(settings, &all);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "golden load {args:?} failed\nstdout: {stdout}\nstderr: {stderr}"
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_else(|| panic!("no summary on stdout; stderr: {stderr}"));
    let summary: Value = serde_json::from_str(last)
        .unwrap_or_else(|e| panic!("summary {last:?} is not JSON ({e}); stderr: {stderr}"));
    (output, summary)
}

fn count(summary: &Value, key: &str) -> i64 {
    summary[key]
        .as_i64()
        .unwrap_or_else(|| panic!("summary has no {key}: {summary}"))
}

/// `golden export crosswalk --domain D`: (source_system, source_id) of every row, in order.
fn crosswalk(settings: &Settings, domain: &str) -> Vec<(String, String)> {
    let output = cli_for(settings, &["export", "crosswalk", "--domain", domain]);
    assert!(
        output.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut reader = csv::Reader::from_reader(&output.stdout[..]);
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        &headers,
        vec!["source_system", "source_id", "golden_id"],
        "crosswalk header"
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect()
}

/// How many times each source ID of `system` appears in the crosswalk.
fn id_counts(rows: &[(String, String)], system: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for (s, id) in rows {
        if s == system {
            *counts.entry(id.clone()).or_insert(0) += 1;
        }
    }
    counts
}

/// A pronounceable word unique to `n` (below 16^4), so generated names and descriptions stay
/// distinct and searchable.
fn word(n: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "ze", "pu", "ba", "de", "fi", "go", "hu",
        "ja",
    ];
    let mut text: String = (0..4)
        .rev()
        .map(|k| SYLLABLES[(n >> (4 * k)) & 15])
        .collect();
    text[..1].make_ascii_uppercase();
    text
}

/// A GTIN-13 with a correct GS1 check digit; `broken` flips the check digit.
fn gtin13(n: usize, broken: bool) -> String {
    let body = format!("40{n:010}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    let mut check = (10 - sum % 10) % 10;
    if broken {
        check = (check + 1) % 10;
    }
    format!("{body}{check}")
}

/// A 9-digit EIN unique to `n`, written like 12-3456789.
fn ein(n: usize) -> String {
    let digits = format!("{:09}", 100_000_000 + n * 7_919);
    format!("{}-{}", &digits[..2], &digits[2..])
}

fn vendor_name(n: usize) -> String {
    const KINDS: [&str; 6] = [
        "Supply",
        "Medical",
        "Industries",
        "Logistics",
        "Labs",
        "Services",
    ];
    format!("{} {} Inc", word(n), KINDS[n % KINDS.len()])
}

/// A vendor CSV of `rows` rows (source IDs V000001...); `city` picks each row's city.
fn vendor_csv(rows: usize, city: impl Fn(usize) -> String) -> String {
    let mut text = String::from("source_id,name,tax_id,city,country\n");
    for n in 1..=rows {
        text.push_str(&format!(
            "V{n:06},{},{},{},US\n",
            vendor_name(n),
            ein(n),
            city(n)
        ));
    }
    text
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Broken {
    Utf8,
    MissingRequired,
    ColumnCount,
    CheckDigit,
}

impl Broken {
    /// A word the reject's reason must contain.
    fn reason(self) -> &'static str {
        match self {
            Broken::Utf8 => "UTF-8",
            Broken::MissingRequired => "required",
            Broken::ColumnCount => "columns",
            Broken::CheckDigit => "check digit",
        }
    }
}

#[test]
fn a_file_with_broken_rows_loads_every_good_row_and_lists_every_bad_one() {
    const ROWS: usize = 1_000;
    const MAKERS: [&str; 5] = ["Medline", "Cardinal Health", "BD", "Stryker", "3M"];
    const NOUNS: [&str; 10] = [
        "glove", "gauze", "syringe", "catheter", "bandage", "scalpel", "suture", "gown", "drape",
        "swab",
    ];
    let app = spawn_app();
    let settings = app.settings.clone();
    let input = app.dir.path().join("items.csv");

    // Every 20th row (from the 8th) is broken, the four ways in turn; row 500 carries a quoted
    // field over two lines, which is fine and shifts every later row's line.
    let mut file: Vec<u8> =
        b"source_id,description,manufacturer,manufacturer_part_number,gtin,uom,long_description\n"
            .to_vec();
    let mut line = 2; // the header is line 1
    let mut good = BTreeSet::new();
    let mut bad: BTreeMap<i64, (String, Broken)> = BTreeMap::new();
    for n in 0..ROWS {
        let id = format!("IT{n:05}");
        let broken = (n % 20 == 7).then_some(match (n / 20) % 4 {
            0 => Broken::Utf8,
            1 => Broken::MissingRequired,
            2 => Broken::ColumnCount,
            _ => Broken::CheckDigit,
        });
        let mut description =
            format!("{} {} {}", word(n), NOUNS[n % 10], word(n + 7_000)).into_bytes();
        match broken {
            Some(Broken::Utf8) => description.extend_from_slice(b" caf\xe9"),
            Some(Broken::MissingRequired) => description.clear(),
            _ => {}
        }
        let long = if n == 500 {
            "\"Sterile, single use.\nStore below 25 C.\""
        } else {
            "plain"
        };
        let mut row = format!("{id},").into_bytes();
        row.extend_from_slice(&description);
        row.extend_from_slice(
            format!(
                ",{},PN-{n:05}-{},{},EA",
                MAKERS[n % MAKERS.len()],
                word(n + 20_000),
                gtin13(n, broken == Some(Broken::CheckDigit))
            )
            .as_bytes(),
        );
        if broken != Some(Broken::ColumnCount) {
            row.extend_from_slice(format!(",{long}").as_bytes());
        }
        row.push(b'\n');
        file.extend_from_slice(&row);
        match broken {
            Some(kind) => {
                bad.insert(line, (id, kind));
            }
            None => {
                good.insert(id);
            }
        }
        line += if n == 500 { 2 } else { 1 };
    }
    std::fs::write(&input, &file).unwrap();
    assert_eq!(bad.len(), ROWS / 20);

    let _app = app.restart_with(|| {
        let (output, summary) = load(
            &settings,
            &["--domain", "item", "--source", "erp", path_str(&input)],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(count(&summary, "rows_read"), ROWS as i64, "{summary}");
        assert_eq!(count(&summary, "rejected"), bad.len() as i64, "{summary}");
        assert_eq!(
            count(&summary, "created") + count(&summary, "auto_linked"),
            good.len() as i64,
            "{summary}"
        );
        assert_eq!(summary["status"], "finished", "{summary}");

        // The rejects file sits next to the input and lists each broken row once, by its line.
        let rejects_path = input.with_file_name("items.rejects.csv");
        assert_eq!(
            summary["rejects_file"],
            path_str(&rejects_path),
            "{summary}"
        );
        assert!(stderr.contains("items.rejects.csv"), "{stderr}");
        let mut reader = csv::Reader::from_path(&rejects_path).unwrap();
        assert_eq!(
            reader.headers().unwrap(),
            vec!["line", "reason", "raw"],
            "rejects header"
        );
        let mut listed = BTreeMap::new();
        for record in reader.records() {
            let record = record.unwrap();
            let line: i64 = record[0].parse().unwrap();
            let previous = listed.insert(line, (record[1].to_owned(), record[2].to_owned()));
            assert!(previous.is_none(), "line {line} listed twice");
        }
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            bad.keys().collect::<Vec<_>>(),
            "rejected lines"
        );
        for (line, (id, kind)) in &bad {
            let (reason, raw) = &listed[line];
            assert!(
                reason.contains(kind.reason()),
                "line {line} ({kind:?}): reason {reason:?}"
            );
            if *kind == Broken::MissingRequired {
                assert!(reason.contains("description"), "line {line}: {reason:?}");
            }
            assert!(raw.contains(id.as_str()), "line {line}: raw {raw:?}");
        }

        // The crosswalk holds every good row once and no broken one.
        let rows = crosswalk(&settings, "item");
        let counts = id_counts(&rows, "erp");
        let twice: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
        assert!(twice.is_empty(), "listed more than once: {twice:?}");
        assert_eq!(counts.keys().cloned().collect::<BTreeSet<_>>(), good);
        assert_eq!(rows.len(), good.len());
    });
}

#[test]
fn columns_are_mapped_extras_kept_and_a_missing_required_column_loads_nothing() {
    let app = spawn_app();
    let settings = app.settings.clone();
    let mapped = app.dir.path().join("wms-items.csv");
    std::fs::write(
        &mapped,
        format!(
            "sku,item_desc,manufacturer,gtin,bin_location\n\
             S-1,Kalomi nitrile exam glove,Medline,{},A-01-3\n\
             S-2,Tarivo sterile gauze sponge,Cardinal Health,{},B-17-1\n",
            gtin13(1, false),
            gtin13(2, false)
        ),
    )
    .unwrap();
    let missing = app.dir.path().join("legacy-items.csv");
    std::fs::write(
        &missing,
        format!(
            "source_id,manufacturer,gtin\nL-1,Medline,{}\n",
            gtin13(3, false)
        ),
    )
    .unwrap();

    let app = app.restart_with(|| {
        let (_, summary) = load(
            &settings,
            &[
                "--domain",
                "item",
                "--source",
                "wms",
                "--map",
                "sku=source_id",
                "--map",
                "item_desc=description",
                path_str(&mapped),
            ],
        );
        assert_eq!(count(&summary, "rows_read"), 2, "{summary}");
        assert_eq!(count(&summary, "rejected"), 0, "{summary}");
        assert_eq!(
            count(&summary, "created") + count(&summary, "auto_linked"),
            2,
            "{summary}"
        );

        let output = cli_for(
            &settings,
            &[
                "load",
                "--domain",
                "item",
                "--source",
                "legacy",
                path_str(&missing),
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "loading {missing:?} succeeded");
        assert!(
            stderr.contains("description") && stderr.contains("column"),
            "stderr should name the missing column: {stderr}"
        );
        assert!(
            output.stdout.is_empty(),
            "no summary expected: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let rows = crosswalk(&settings, "item");
        assert!(id_counts(&rows, "legacy").is_empty(), "{rows:?}");
        assert_eq!(rows.len(), 2, "{rows:?}");
    });

    let reader = app.token(&[Role::Reader], &[]);
    let (status, record) = app.get("/v1/item/records/wms/S-2", Some(&reader));
    assert_eq!(status, 200, "{record}");
    assert_eq!(
        record["attributes"]["description"], "Tarivo sterile gauze sponge",
        "{record}"
    );
    assert_eq!(record["attributes"]["bin_location"], "B-17-1", "{record}");
    assert!(record["attributes"].get("item_desc").is_none(), "{record}");
    assert!(record["attributes"].get("sku").is_none(), "{record}");
    let (status, record) = app.get("/v1/item/records/legacy/L-1", Some(&reader));
    assert_eq!(status, 404, "{record}");
}

#[test]
fn a_second_run_of_the_same_file_changes_nothing() {
    const ROWS: usize = 300;
    let app = spawn_app();
    let settings = app.settings.clone();
    let first = app.dir.path().join("vendors.csv");
    let corrected = app.dir.path().join("vendors-corrected.csv");
    let changed = [17, 150, 299];
    std::fs::write(&first, vendor_csv(ROWS, |_| "Chicago".into())).unwrap();
    std::fs::write(
        &corrected,
        vendor_csv(ROWS, |n| {
            if changed.contains(&n) {
                "Milwaukee".into()
            } else {
                "Chicago".into()
            }
        }),
    )
    .unwrap();

    let app = app.restart_with(|| {
        let args = ["--domain", "vendor", "--source", "ap", path_str(&first)];
        let (_, summary) = load(&settings, &args);
        assert_eq!(count(&summary, "rows_read"), ROWS as i64, "{summary}");
        assert_eq!(
            count(&summary, "created") + count(&summary, "auto_linked"),
            ROWS as i64,
            "{summary}"
        );

        let (_, again) = load(&settings, &args);
        assert_eq!(again["status"], "finished", "{again}");
        assert_ne!(again["id"], summary["id"], "a finished job is not resumed");
        assert_eq!(count(&again, "rows_read"), ROWS as i64, "{again}");
        assert_eq!(count(&again, "unchanged"), ROWS as i64, "{again}");
        for key in ["created", "auto_linked", "proposed", "updated", "rejected"] {
            assert_eq!(count(&again, key), 0, "{key}: {again}");
        }

        let (_, fixed) = load(
            &settings,
            &["--domain", "vendor", "--source", "ap", path_str(&corrected)],
        );
        assert_eq!(count(&fixed, "updated"), changed.len() as i64, "{fixed}");
        assert_eq!(
            count(&fixed, "unchanged"),
            (ROWS - changed.len()) as i64,
            "{fixed}"
        );
        for key in ["created", "auto_linked", "rejected"] {
            assert_eq!(count(&fixed, key), 0, "{key}: {fixed}");
        }
        assert_eq!(crosswalk(&settings, "vendor").len(), ROWS);
    });

    let reader = app.token(&[Role::Reader], &[]);
    let (status, record) = app.get("/v1/vendor/records/ap/V000150", Some(&reader));
    assert_eq!(status, 200, "{record}");
    assert_eq!(record["attributes"]["city"], "Milwaukee", "{record}");
}

#[test]
fn a_killed_load_resumes_and_loads_every_row_exactly_once() {
    // About 150 rows/s in a debug build: four batches keep the test well under a minute on
    // either backend and leave three to go when the first is committed.
    const ROWS: usize = 4 * BATCH_ROWS;
    let app = spawn_app();
    let settings = app.settings.clone();
    let input: PathBuf = app.dir.path().join("big-vendors.csv");
    std::fs::write(&input, vendor_csv(ROWS, |_| "Denver".into())).unwrap();
    let args = ["--domain", "vendor", "--source", "ap", path_str(&input)];

    let app = app.restart_with(|| {
        let mut child = golden_command(&settings)
            .arg("load")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until at least one batch is committed, then kill the load (SIGKILL). The wait
        // is generous: a debug build on a busy machine takes a while over the first batch.
        let deadline = Instant::now() + Duration::from_secs(300);
        let loaded = loop {
            let loaded = crosswalk(&settings, "vendor").len();
            if loaded > 0 {
                break loaded;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the load ended ({status}) before any batch was seen");
            }
            assert!(Instant::now() < deadline, "no batch committed in 300 s");
            std::thread::sleep(Duration::from_millis(50));
        };
        let finished_early = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let committed = crosswalk(&settings, "vendor").len();
        assert!(
            !finished_early && committed < ROWS && stdout.trim().is_empty(),
            "the load finished before it was killed ({loaded} then {committed} rows): make \
             the file bigger so the test exercises a resume; stdout: {stdout}"
        );
        assert!(committed >= loaded);
        assert_eq!(
            committed % BATCH_ROWS,
            0,
            "a batch's rows commit together: {committed} rows loaded"
        );

        let (output, summary) = load(&settings, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("resuming"), "{stderr}");
        assert_eq!(summary["status"], "finished", "{summary}");
        assert_eq!(count(&summary, "rows_read"), ROWS as i64, "{summary}");
        assert_eq!(count(&summary, "last_line"), ROWS as i64 + 1, "{summary}");
        assert_eq!(count(&summary, "rejected"), 0, "{summary}");
        assert_eq!(
            count(&summary, "created") + count(&summary, "auto_linked"),
            ROWS as i64,
            "{summary}"
        );
        // A row the killed run committed and a resumed run read again would count here.
        assert_eq!(count(&summary, "updated"), 0, "{summary}");
        assert_eq!(count(&summary, "unchanged"), 0, "{summary}");

        let rows = crosswalk(&settings, "vendor");
        let counts = id_counts(&rows, "ap");
        let twice: Vec<_> = counts.iter().filter(|(_, c)| **c > 1).collect();
        assert!(twice.is_empty(), "loaded more than once: {twice:?}");
        assert_eq!(counts.len(), ROWS);
        assert_eq!(rows.len(), ROWS);
    });

    // The index caught up with the database: a row of the killed run's first batch and one
    // of the resumed run's last are both found.
    let reader = app.token(&[Role::Reader], &[]);
    for n in [1, ROWS] {
        let name = vendor_name(n);
        let (status, body) = app.get(
            &format!("/v1/vendor/golden?q={}", name.replace(' ', "%20")),
            Some(&reader),
        );
        assert_eq!(status, 200, "{body}");
        let results = body["results"].as_array().unwrap();
        assert!(
            results.iter().any(|r| r["fields"]["name"] == name.as_str()),
            "{name} not found: {body}"
        );
    }
}

#[test]
fn a_load_on_postgresql_leaves_the_planner_statistics_current() {
    #[derive(diesel::QueryableByName)]
    struct Estimate {
        #[diesel(sql_type = diesel::sql_types::Float)]
        reltuples: f32,
    }
    let app = spawn_app();
    let golden::config::DatabaseUrl::Postgres(url) = app.settings.database.clone() else {
        // SQLite plans from its indexes alone; there is nothing to keep current.
        return;
    };
    let settings = app.settings.clone();
    let file = app.dir.path().join("vendors.csv");
    std::fs::write(&file, vendor_csv(BATCH_ROWS + 10, |_| "Chicago".into())).unwrap();
    let _app = app.restart_with(|| {
        load(
            &settings,
            &["--domain", "vendor", "--source", "ap", path_str(&file)],
        );
    });
    use diesel::{Connection, RunQueryDsl};
    let mut conn = diesel::PgConnection::establish(&url).unwrap();
    let estimate: Estimate =
        diesel::sql_query("SELECT reltuples FROM pg_class WHERE relname = 'source_records'")
            .get_result(&mut conn)
            .unwrap();
    // Analyzed after the first batch: the planner knows the table is not empty.
    assert!(
        estimate.reltuples >= BATCH_ROWS as f32,
        "{}",
        estimate.reltuples
    );
}
