use std::process::Command;

use crate::helpers::{SECRET, rules_dir, spawn_app};

fn golden() -> Command {
    Command::new(env!("CARGO_BIN_EXE_golden"))
}

#[test]
fn rules_check_accepts_the_shipped_rules() {
    let output = golden()
        .args(["rules", "check"])
        .arg(rules_dir())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(stdout.contains("4 domain(s)"), "{stdout}");
}

#[test]
fn rules_check_points_at_the_broken_line() {
    let dir = tempfile::tempdir().unwrap();
    let vendor = std::fs::read_to_string(rules_dir().join("vendor.toml")).unwrap();
    let broken = vendor.replace("type = \"duns\"", "type = \"dunns\"");
    let line = broken.lines().position(|l| l.contains("dunns")).unwrap() + 1;
    std::fs::write(dir.path().join("vendor.toml"), broken).unwrap();
    let output = golden()
        .args(["rules", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success());
    assert!(
        stdout.contains(&format!("vendor.toml:{line}: unknown field type \"dunns\"")),
        "{stdout}"
    );
}

#[test]
fn token_command_prints_a_token_the_server_accepts() {
    let app = spawn_app();
    let output = golden()
        .args([
            "token", "--role", "ingest", "--sub", "loader", "--source", "erp", "--ttl", "10m",
        ])
        .env("GOLDEN_JWT_SECRET", SECRET)
        .env("GOLDEN_DATA_DIR", app.dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap();
    let record = crate::helpers::vendor("erp", "1", serde_json::json!({"name": "Hill-Rom"}));
    assert_eq!(
        app.post("/v1/vendor/records", Some(token.trim()), &record)
            .0,
        200
    );
    let other = crate::helpers::vendor("sap", "1", serde_json::json!({"name": "Hill-Rom"}));
    assert_eq!(
        app.post("/v1/vendor/records", Some(token.trim()), &other).0,
        403
    );
}

#[test]
fn token_command_refuses_an_unknown_role() {
    let output = golden()
        .args(["token", "--role", "superuser"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown role"));
}
