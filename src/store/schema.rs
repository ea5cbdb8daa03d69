//! Diesel table definitions, portable across SQLite and PostgreSQL.

diesel::table! {
    counters (name) {
        name -> Text,
        value -> BigInt,
    }
}

diesel::table! {
    golden_records (golden_id) {
        golden_id -> Text,
        domain -> Text,
        status -> Text,
        redirect_to -> Nullable<Text>,
        version -> BigInt,
        fields -> Text,
        lineage -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    golden_record_history (id) {
        id -> BigInt,
        golden_id -> Text,
        version -> BigInt,
        status -> Text,
        redirect_to -> Nullable<Text>,
        fields -> Text,
        lineage -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    source_records (id) {
        id -> BigInt,
        domain -> Text,
        source_system -> Text,
        source_id -> Text,
        golden_id -> Text,
        version -> BigInt,
        status -> Text,
        attributes -> Text,
        standardized -> Text,
        content_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        standardization -> Nullable<Text>,
    }
}

diesel::table! {
    source_record_versions (id) {
        id -> BigInt,
        record_id -> BigInt,
        version -> BigInt,
        change -> Text,
        attributes -> Text,
        content_hash -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> BigInt,
        record_id -> BigInt,
        golden_id -> Text,
        reason -> Text,
        valid_from -> Timestamp,
        valid_to -> Nullable<Timestamp>,
    }
}

diesel::table! {
    field_overrides (id) {
        id -> BigInt,
        golden_id -> Text,
        field -> Text,
        value -> Text,
        actor -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    proposals (id) {
        id -> BigInt,
        domain -> Text,
        golden_id -> Text,
        other_golden_id -> Text,
        record_id -> Nullable<BigInt>,
        score -> Double,
        status -> Text,
        explanation -> Text,
        rules_version -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
        comment -> Nullable<Text>,
        golden_version -> Nullable<BigInt>,
        other_version -> Nullable<BigInt>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        first_approved_by -> Nullable<Text>,
        first_approved_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    do_not_match (id) {
        id -> BigInt,
        domain -> Text,
        record_a -> BigInt,
        record_b -> BigInt,
        origin -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        domain -> Nullable<Text>,
        kind -> Text,
        golden_id -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        outcome -> Text,
        domain -> Nullable<Text>,
        entity_type -> Text,
        entity_id -> Nullable<Text>,
        request_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        before_state -> Nullable<Text>,
        after_state -> Nullable<Text>,
    }
}

diesel::table! {
    bulk_jobs (id) {
        id -> Text,
        domain -> Text,
        source_system -> Nullable<Text>,
        status -> Text,
        origin -> Text,
        input_name -> Text,
        input_path -> Nullable<Text>,
        rows_read -> BigInt,
        created -> BigInt,
        auto_linked -> BigInt,
        proposed -> BigInt,
        unchanged -> BigInt,
        rejected -> BigInt,
        last_line -> BigInt,
        error -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        updated -> BigInt,
        input_hash -> Nullable<Text>,
        allowed_sources -> Nullable<Text>,
        mapping -> Nullable<Text>,
        bytes_total -> Nullable<BigInt>,
        bytes_read -> BigInt,
        mode -> Text,
        report -> Nullable<Text>,
        rollback -> Nullable<Text>,
        preview_of -> Nullable<Text>,
    }
}

diesel::table! {
    bulk_job_decisions (id) {
        id -> BigInt,
        job_id -> Text,
        line -> BigInt,
        source_system -> Nullable<Text>,
        source_id -> Nullable<Text>,
        decision -> Text,
        golden_id -> Nullable<Text>,
        target -> Nullable<Text>,
        score -> Nullable<Double>,
        risk -> Double,
        risks -> Nullable<Text>,
        detail -> Nullable<Text>,
    }
}

diesel::table! {
    bulk_job_writes (id) {
        id -> BigInt,
        job_id -> Text,
        record_id -> BigInt,
        version -> BigInt,
        decision -> Text,
        golden_id -> Text,
        written_at -> Timestamp,
    }
}

diesel::table! {
    bulk_job_rejects (id) {
        id -> BigInt,
        job_id -> Text,
        line -> BigInt,
        raw -> Text,
        reason -> Text,
    }
}

diesel::table! {
    match_models (id) {
        id -> BigInt,
        domain -> Text,
        version -> BigInt,
        model -> Text,
        origin -> Text,
        active -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    link_evidence (id) {
        id -> BigInt,
        record_id -> BigInt,
        golden_id -> Text,
        matched_record_id -> Nullable<BigInt>,
        score -> Double,
        evidence -> Text,
        model_version -> Nullable<BigInt>,
        rules_version -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(source_records -> golden_records (golden_id));
diesel::joinable!(source_record_versions -> source_records (record_id));
diesel::joinable!(memberships -> source_records (record_id));

diesel::allow_tables_to_appear_in_same_query!(
    counters,
    golden_records,
    golden_record_history,
    source_records,
    source_record_versions,
    memberships,
    field_overrides,
    proposals,
    do_not_match,
    events,
    audit_log,
    bulk_jobs,
    bulk_job_decisions,
    bulk_job_rejects,
    bulk_job_writes,
    match_models,
    link_evidence,
);

diesel::table! {
    webhooks (id) {
        id -> Text,
        url -> Text,
        domains -> Text,
        event_types -> Text,
        secret -> Text,
        position -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_dead_letters (webhook_id, seq) {
        webhook_id -> Text,
        seq -> BigInt,
        status -> Text,
        attempts -> BigInt,
        last_error -> Text,
        failed_at -> Timestamp,
        next_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    leases (name) {
        name -> Text,
        holder -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}
