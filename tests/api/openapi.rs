//! The served `/openapi.json` against the copy checked in at `docs/openapi.json`, so that a
//! change to the HTTP contract shows up in review. `GOLDEN_UPDATE_SNAPSHOTS=1 cargo test
//! openapi` rewrites the copy after an intended change.

use std::path::PathBuf;

use crate::helpers::spawn_app;

/// Most differing lines a failure prints.
const SHOWN: usize = 40;

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json")
}

#[test]
fn the_served_description_matches_the_checked_in_snapshot() {
    let app = spawn_app();
    let (status, document) = app.get("/openapi.json", None);
    assert_eq!(status, 200);
    let served = serde_json::to_string_pretty(&document).unwrap() + "\n";
    let path = snapshot_path();
    if std::env::var("GOLDEN_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &served).unwrap();
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    if stored != served {
        panic!(
            "/openapi.json differs from {} (- checked in, + served):\n{}\n\
             If the change is intended, run `GOLDEN_UPDATE_SNAPSHOTS=1 cargo test openapi` and \
             commit the file.",
            path.display(),
            line_diff(&stored, &served)
        );
    }
}

/// The lines only in `old` (`-`) or only in `new` (`+`), numbered, from a longest common
/// subsequence of the two; at most [`SHOWN`] of them.
fn line_diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut common = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            common[i][j] = if a[i] == b[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || common[i + 1][j] >= common[i][j + 1]) {
            out.push(format!("-{:>5} {}", i + 1, a[i]));
            i += 1;
        } else {
            out.push(format!("+{:>5} {}", j + 1, b[j]));
            j += 1;
        }
    }
    let more = out.len().saturating_sub(SHOWN);
    out.truncate(SHOWN);
    if more > 0 {
        out.push(format!("... and {more} more differing lines"));
    }
    out.join("\n")
}

#[test]
fn the_diff_names_changed_lines() {
    let diff = line_diff("a\nb\nc\n", "a\nB\nc\nd\n");
    assert_eq!(diff, "-    2 b\n+    2 B\n+    4 d");
}
