use chrono::DateTime;
use serde_json::json;

use super::*;
use crate::normalize::FieldType;
use crate::rules::FieldDef;

fn at(secs: i64) -> NaiveDateTime {
    DateTime::from_timestamp(secs, 0).unwrap().naive_utc()
}

fn field(name: &str, field_type: FieldType, rule: SurvivorRule, priority: &[&str]) -> FieldDef {
    FieldDef {
        name: name.into(),
        field_type,
        required: false,
        sensitive: false,
        survivorship: rule,
        source_priority: priority.iter().map(|s| s.to_string()).collect(),
    }
}

fn domain(fields: Vec<FieldDef>) -> Domain {
    Domain {
        name: "t".into(),
        id_prefix: "T".into(),
        label: "t".into(),
        fields,
        key_fields: Vec::new(),
        four_eyes: Default::default(),
        matching: None,
        version: "0".into(),
    }
}

fn text_domain(rule: SurvivorRule, priority: &[&str]) -> Domain {
    domain(vec![field("v", FieldType::Text, rule, priority)])
}

/// One member's row: source system, source id, created, updated, attributes.
type Row = (&'static str, &'static str, i64, i64, Value);

fn members(rows: &[Row]) -> Vec<Member<'_>> {
    rows.iter()
        .map(|(system, id, created, updated, attributes)| Member {
            source_system: system,
            source_id: id,
            created_at: at(*created),
            updated_at: at(*updated),
            attributes: attributes.as_object().unwrap(),
        })
        .collect()
}

/// The surviving value of field `v` and the source id its lineage names.
fn winner(domain: &Domain, rows: &[Row]) -> (Value, String) {
    let survived = survive(domain, &members(rows), &[]);
    let lineage = &survived.lineage["v"];
    (
        survived.fields["v"].clone(),
        lineage.source_id.clone().unwrap(),
    )
}

#[test]
fn most_recent_non_empty_value_wins_with_lineage() {
    let d = domain(vec![
        field("name", FieldType::Text, SurvivorRule::MostRecent, &[]),
        field("city", FieldType::Text, SurvivorRule::MostRecent, &[]),
        field("phone", FieldType::Phone, SurvivorRule::MostRecent, &[]),
    ]);
    let rows = [
        (
            "a",
            "1",
            0,
            10,
            json!({"name": "Acme Old", "city": "Chicago"}),
        ),
        (
            "b",
            "2",
            0,
            20,
            json!({"name": "Acme New", "city": " ", "phone": null}),
        ),
    ];
    let survived = survive(&d, &members(&rows), &[]);
    assert_eq!(survived.fields["name"], "Acme New");
    assert_eq!(survived.lineage["name"].source_system.as_deref(), Some("b"));
    assert_eq!(survived.lineage["name"].rule, "most_recent");
    assert_eq!(survived.fields["city"], "Chicago");
    assert_eq!(survived.lineage["city"].source_id.as_deref(), Some("1"));
    assert!(!survived.fields.contains_key("phone"));
    assert!(!survived.lineage.contains_key("phone"));
}

#[test]
fn most_recent_tie_goes_to_the_earlier_member() {
    let d = text_domain(SurvivorRule::MostRecent, &[]);
    let rows = [
        ("a", "1", 0, 10, json!({"v": "x"})),
        ("b", "2", 0, 20, json!({"v": "y"})),
        ("c", "3", 0, 20, json!({"v": "z"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("y"), "2".into()));
}

#[test]
fn source_priority_prefers_the_listed_system_over_recency() {
    let d = text_domain(SurvivorRule::SourcePriority, &["sap", "oracle"]);
    let rows = [
        ("legacy", "1", 0, 90, json!({"v": "newest"})),
        ("oracle", "2", 0, 50, json!({"v": "second"})),
        ("sap", "3", 0, 10, json!({"v": "first"})),
        ("sap", "4", 0, 5, json!({"v": ""})),
    ];
    let survived = survive(&d, &members(&rows), &[]);
    assert_eq!(survived.fields["v"], "first");
    assert_eq!(survived.lineage["v"].rule, "source_priority");
    // Without sap, oracle still beats an unlisted system however recent.
    assert_eq!(winner(&d, &rows[..2]), (json!("second"), "2".into()));
}

#[test]
fn source_priority_ties_go_to_the_most_recent() {
    let d = text_domain(SurvivorRule::SourcePriority, &["sap"]);
    let rows = [
        ("sap", "1", 0, 10, json!({"v": "old"})),
        ("sap", "2", 0, 30, json!({"v": "new"})),
        ("sap", "3", 0, 30, json!({"v": "also new"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("new"), "2".into()));
    // Unlisted systems tie with each other: recency decides.
    let rows = [
        ("x", "1", 0, 10, json!({"v": "old"})),
        ("y", "2", 0, 30, json!({"v": "new"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("new"), "2".into()));
}

#[test]
fn most_frequent_ignores_case_accents_and_whitespace() {
    let d = text_domain(SurvivorRule::MostFrequent, &[]);
    let rows = [
        ("a", "1", 0, 10, json!({"v": "Café  Müller"})),
        ("b", "2", 0, 30, json!({"v": "CAFE MULLER "})),
        ("c", "3", 0, 90, json!({"v": "Other Cafe"})),
        ("d", "4", 0, 20, json!({"v": "cafe muller"})),
    ];
    // The group of three wins; its most recent member spells it in capitals only, so the most
    // recent mixed-case spelling of the same value stands for it, and lineage names that one.
    let survived = survive(&d, &members(&rows), &[]);
    assert_eq!(survived.fields["v"], "Café  Müller");
    assert_eq!(survived.lineage["v"].source_id.as_deref(), Some("1"));
    assert_eq!(survived.lineage["v"].rule, "most_frequent");
}

#[test]
fn a_mixed_case_spelling_of_the_chosen_value_beats_its_capitals() {
    let d = text_domain(SurvivorRule::MostRecent, &[]);
    let rows = [
        ("a", "1", 0, 10, json!({"v": "Dallas"})),
        ("b", "2", 0, 20, json!({"v": "dallas"})),
        ("c", "3", 0, 30, json!({"v": "DALLAS"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("Dallas"), "1".into()));
    // A different value in mixed case does not stand in for the chosen one.
    let rows = [
        ("a", "1", 0, 10, json!({"v": "Fort Worth"})),
        ("c", "3", 0, 30, json!({"v": "DALLAS"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("DALLAS"), "3".into()));
    // Capitals that are the only spelling stay, and so does a mixed-case winner.
    let rows = [
        ("a", "1", 0, 10, json!({"v": "DALLAS"})),
        ("c", "3", 0, 30, json!({"v": "Dallas TX"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("Dallas TX"), "3".into()));
}

#[test]
fn most_frequent_tie_goes_to_the_group_with_the_latest_member() {
    let d = text_domain(SurvivorRule::MostFrequent, &[]);
    let rows = [
        ("a", "1", 0, 50, json!({"v": "alpha"})),
        ("b", "2", 0, 10, json!({"v": "beta"})),
        ("c", "3", 0, 60, json!({"v": "BETA"})),
        ("d", "4", 0, 40, json!({"v": "Alpha"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("BETA"), "3".into()));
    // Equal counts and equal times: the group met first in the slice.
    let rows = [
        ("a", "1", 0, 10, json!({"v": "alpha"})),
        ("b", "2", 0, 10, json!({"v": "beta"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("alpha"), "1".into()));
}

#[test]
fn most_frequent_compares_identifiers_in_standard_form() {
    let d = domain(vec![field(
        "v",
        FieldType::TaxId,
        SurvivorRule::MostFrequent,
        &[],
    )]);
    let rows = [
        ("a", "1", 0, 10, json!({"v": "12-3456789"})),
        ("b", "2", 0, 20, json!({"v": "123456789"})),
        ("c", "3", 0, 30, json!({"v": "98-7654321"})),
    ];
    assert_eq!(winner(&d, &rows), (json!("123456789"), "2".into()));
}

#[test]
fn longest_value_wins_and_ties_go_to_the_most_recent() {
    let d = text_domain(SurvivorRule::Longest, &[]);
    let rows = [
        ("a", "1", 0, 90, json!({"v": "Glove"})),
        ("b", "2", 0, 10, json!({"v": "Glove, nitrile, large"})),
        ("c", "3", 0, 50, json!({"v": "Glove nitrile L  "})),
    ];
    assert_eq!(
        winner(&d, &rows),
        (json!("Glove, nitrile, large"), "2".into())
    );
    let rows = [
        ("a", "1", 0, 10, json!({"v": "abc"})),
        ("b", "2", 0, 20, json!({"v": "xyz"})),
        ("c", "3", 0, 20, json!({"v": "  é€z  "})),
    ];
    assert_eq!(winner(&d, &rows), (json!("xyz"), "2".into()));
    // Numbers count by their written form.
    let rows = [
        ("a", "1", 0, 20, json!({"v": 12})),
        ("b", "2", 0, 10, json!({"v": 12.5})),
    ];
    assert_eq!(winner(&d, &rows), (json!(12.5), "2".into()));
}

#[test]
fn first_non_empty_takes_the_earliest_created_member() {
    let d = text_domain(SurvivorRule::FirstNonEmpty, &[]);
    let rows = [
        ("a", "1", 30, 30, json!({"v": "late"})),
        ("b", "2", 5, 5, json!({"v": ""})),
        ("c", "3", 10, 99, json!({"v": "early"})),
        ("d", "4", 10, 10, json!({"v": "early too"})),
    ];
    let survived = survive(&d, &members(&rows), &[]);
    assert_eq!(survived.fields["v"], "early");
    assert_eq!(survived.lineage["v"].source_id.as_deref(), Some("3"));
    assert_eq!(survived.lineage["v"].rule, "first_non_empty");
}

#[test]
fn an_override_beats_every_rule() {
    let value = json!("Steward's Choice");
    let stray = json!("ignored");
    let rows = [("sap", "1", 0, 10, json!({"v": "From SAP"}))];
    for rule in SurvivorRule::ALL {
        let d = text_domain(*rule, &["sap"]);
        let overrides = [
            Override {
                field: "v",
                value: &stray,
                actor: "bob",
                at: at(1),
                comment: None,
            },
            Override {
                field: "v",
                value: &value,
                actor: "alice",
                at: at(2),
                comment: Some("checked with the vendor"),
            },
            Override {
                field: "undeclared",
                value: &stray,
                actor: "bob",
                at: at(1),
                comment: None,
            },
        ];
        let survived = survive(&d, &members(&rows), &overrides);
        assert_eq!(survived.fields["v"], value, "{rule}");
        assert!(!survived.fields.contains_key("undeclared"));
        let lineage = &survived.lineage["v"];
        assert_eq!(lineage.rule, OVERRIDE_RULE);
        assert_eq!(lineage.overridden_by.as_deref(), Some("alice"));
        assert_eq!(lineage.overridden_at, Some(at(2)));
        assert_eq!(lineage.comment.as_deref(), Some("checked with the vendor"));
        assert_eq!(lineage.source_system, None);
        assert_eq!(lineage.source_id, None);
    }
    // An override fills a field no member has.
    let d = text_domain(SurvivorRule::MostRecent, &[]);
    let overrides = [Override {
        field: "v",
        value: &value,
        actor: "alice",
        at: at(2),
        comment: None,
    }];
    assert_eq!(survive(&d, &[], &overrides).fields["v"], value);
}

#[test]
fn stored_lineage_of_the_old_shape_still_reads() {
    let old = r#"{"name":{"source_system":"sap","source_id":"1","rule":"most_recent"}}"#;
    let lineage: BTreeMap<String, Lineage> = serde_json::from_str(old).unwrap();
    assert_eq!(
        lineage["name"],
        Lineage {
            source_system: Some("sap".into()),
            source_id: Some("1".into()),
            rule: "most_recent".into(),
            overridden_by: None,
            overridden_at: None,
            comment: None,
        }
    );
    // Written back, it has the same shape: no `overridden_by` key.
    assert_eq!(
        serde_json::to_value(&lineage).unwrap(),
        serde_json::from_str::<Value>(old).unwrap()
    );
    let value = json!("x");
    let by_alice = Override {
        field: "name",
        value: &value,
        actor: "alice",
        at: at(0),
        comment: None,
    };
    let overridden = serde_json::to_value(Lineage::overridden(&by_alice)).unwrap();
    assert_eq!(
        overridden,
        json!({"source_system": null, "source_id": null, "rule": "override",
               "overridden_by": "alice", "overridden_at": "1970-01-01T00:00:00"})
    );
    let back: Lineage = serde_json::from_value(overridden).unwrap();
    assert_eq!(back, Lineage::overridden(&by_alice));
}
