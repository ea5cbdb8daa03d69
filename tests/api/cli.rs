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

#[test]
fn started_outside_the_checkout_it_names_the_rules_dir_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for args in [&["serve"][..], &["load", "--domain", "vendor", "x.csv"]] {
        let output = golden()
            .args(args)
            .current_dir(dir.path())
            .env_remove("GOLDEN_RULES_DIR")
            .env_remove("DATABASE_URL")
            .env_remove("GOLDEN_JWT_SECRET")
            .env("GOLDEN_DATA_DIR", &data)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}: {stderr}");
        let looked_at = dir.path().canonicalize().unwrap().join("matching-rules");
        assert!(
            stderr.contains(&looked_at.display().to_string())
                || stderr.contains(&dir.path().join("matching-rules").display().to_string()),
            "{stderr}"
        );
        assert!(stderr.contains("set GOLDEN_RULES_DIR"), "{stderr}");
        assert!(!data.exists(), "{args:?} wrote to the data dir");
    }
}

#[test]
fn token_in_postgres_mode_asks_for_the_servers_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = golden()
        .args(["token", "--role", "admin"])
        .env_remove("GOLDEN_JWT_SECRET")
        .env("GOLDEN_DATA_DIR", dir.path().join("data"))
        .env("DATABASE_URL", "postgres://golden@127.0.0.1:5432/golden")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("the server's GOLDEN_JWT_SECRET"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn load_while_a_server_holds_the_index_says_so_in_one_sentence() {
    let app = spawn_app();
    let file = app.dir.path().join("vendors.csv");
    std::fs::write(&file, "source_id,name\n1,Acme\n").unwrap();
    let output = app.cli(&[
        "load",
        "--domain",
        "vendor",
        "--source",
        "sap",
        file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.starts_with("error: golden load cannot run while another golden process"),
        "{stderr}"
    );
    assert!(stderr.contains("bulk job"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn every_subcommand_help_lists_its_environment() {
    for args in [
        &["serve", "--help"][..],
        &["load", "--help"],
        &["token", "--help"],
        &["model", "export", "--help"],
        &["rules", "check", "--help"],
    ] {
        let output = golden().args(args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{args:?}");
        assert!(stdout.contains("Environment:"), "{args:?}: {stdout}");
    }
}

#[test]
fn logs_to_a_file_or_pipe_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let output = golden()
        .arg("reindex")
        .env_remove("DATABASE_URL")
        .env_remove("GOLDEN_LOG_FORMAT")
        .env("GOLDEN_DATA_DIR", dir.path().join("data"))
        .env("GOLDEN_RULES_DIR", rules_dir())
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("INFO"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}
