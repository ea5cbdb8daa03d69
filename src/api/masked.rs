//! Every JSON answer leaves through [`reply`] or [`plain`] (clippy refuses
//! `HttpResponseBuilder::json` elsewhere; see `clippy.toml`). [`reply`] masks the values of
//! sensitive fields for a caller without the `sensitive` role; [`plain`] only takes types
//! that declare they carry no field values. So a new route cannot forget masking: its answer
//! type must say, once, how it is masked or that it needs none.

use actix_web::{HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use super::auth::Caller;
use crate::masking::Mask;
use crate::rules::RuleSet;
use crate::service::browse::BrowsePage;
use crate::service::bulk::JobView;
use crate::service::preview::PreviewReport;
use crate::service::proposals::{ProposalDetail, ProposalView, QueuePage};
use crate::service::search::SearchHit;
use crate::service::stewardship::SplitResult;
use crate::service::views::{AuditPage, AuditView, EventView, GoldenView, RecordView};

/// What a caller masks, domain by domain.
pub struct Masks<'a> {
    /// `None` for a caller who sees sensitive values as they are.
    rules: Option<&'a RuleSet>,
}

impl<'a> Masks<'a> {
    pub fn for_caller(caller: &Caller, rules: &'a RuleSet) -> Self {
        Self {
            rules: (!caller.0.sees_sensitive()).then_some(rules),
        }
    }

    /// What `domain` masks; a name no rule file declares masks what any domain masks.
    pub fn domain(&self, domain: Option<&str>) -> Mask {
        let Some(rules) = self.rules else {
            return Mask::none();
        };
        match domain.and_then(|d| rules.domain(d)) {
            Some(domain) => Mask::of(domain),
            None => Mask::union(rules.domains().map(|d| d.as_ref())),
        }
    }
}

/// An answer that may carry values of sensitive fields: it knows where they are.
pub trait Masked: Serialize {
    /// Masks, in place, the values `masks` hides from the caller.
    fn mask(&mut self, masks: &Masks<'_>);
}

/// An answer that carries no values of declared fields (IDs, counts, statuses, settings),
/// or only values the caller itself sent (an ingest result's errors).
pub trait NoFieldValues: Serialize {}

/// `body` as JSON, masked for `caller`.
pub fn reply<T: Masked>(
    mut builder: HttpResponseBuilder,
    caller: &Caller,
    rules: &RuleSet,
    mut body: T,
) -> HttpResponse {
    body.mask(&Masks::for_caller(caller, rules));
    #[allow(clippy::disallowed_methods)]
    builder.json(body)
}

/// `body` as JSON, as it is.
pub fn plain<T: NoFieldValues>(mut builder: HttpResponseBuilder, body: T) -> HttpResponse {
    #[allow(clippy::disallowed_methods)]
    builder.json(body)
}

impl<T: Masked> Masked for Vec<T> {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.iter_mut().for_each(|item| item.mask(masks));
    }
}

impl<T: Masked> Masked for Option<T> {
    fn mask(&mut self, masks: &Masks<'_>) {
        if let Some(item) = self {
            item.mask(masks);
        }
    }
}

impl<T: NoFieldValues> NoFieldValues for Vec<T> {}

/// An answer about records of one domain that does not name the domain itself (a page of
/// golden records, search hits): the handler names it.
pub struct OfDomain<'d, T> {
    pub domain: &'d str,
    pub body: T,
}

impl<T: Serialize> Serialize for OfDomain<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

/// Records' fields by name inside an answer, masked with one domain's [`Mask`].
pub trait FieldsOf {
    fn mask_fields(&mut self, mask: &Mask);
}

impl<T: FieldsOf + Serialize> Masked for OfDomain<'_, T> {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.body.mask_fields(&masks.domain(Some(self.domain)));
    }
}

impl FieldsOf for BrowsePage {
    fn mask_fields(&mut self, mask: &Mask) {
        for record in &mut self.records {
            mask.fields(&mut record.fields);
        }
    }
}

impl FieldsOf for Vec<SearchHit> {
    fn mask_fields(&mut self, mask: &Mask) {
        for hit in self {
            mask.object(&mut hit.fields);
        }
    }
}

impl Masked for GoldenView {
    fn mask(&mut self, masks: &Masks<'_>) {
        masks.domain(Some(&self.domain)).fields(&mut self.fields);
    }
}

impl Masked for RecordView {
    fn mask(&mut self, masks: &Masks<'_>) {
        let mask = masks.domain(Some(&self.domain));
        mask.object(&mut self.attributes);
        mask.object(&mut self.standardized);
        for version in &mut self.history {
            mask.object(&mut version.attributes);
        }
        if let Some(link) = &mut self.link {
            mask.evidence(&mut link.evidence);
        }
    }
}

impl Masked for SplitResult {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.golden.mask(masks);
        self.split_into.mask(masks);
    }
}

impl Masked for ProposalView {
    fn mask(&mut self, masks: &Masks<'_>) {
        let mask = masks.domain(Some(&self.domain));
        mask.evidence(&mut self.explanation.evidence);
        if let Some(summary) = &mut self.summary {
            for key in &mut summary.key_fields {
                for value in [&mut key.golden, &mut key.other].into_iter().flatten() {
                    mask.value(&key.field, value);
                }
            }
            // The display name is the first key field's value.
            if let Some(first) = summary.key_fields.first() {
                summary.golden_name = first.golden.clone();
                summary.other_name = first.other.clone();
            }
        }
    }
}

impl Masked for ProposalDetail {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.proposal.mask(masks);
        self.golden.mask(masks);
        self.other.mask(masks);
    }
}

impl Masked for QueuePage {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.proposals.mask(masks);
    }
}

impl Masked for EventView {
    fn mask(&mut self, masks: &Masks<'_>) {
        masks.domain(self.domain.as_deref()).tree(&mut self.data);
    }
}

impl Masked for AuditView {
    fn mask(&mut self, masks: &Masks<'_>) {
        let mask = masks.domain(self.domain.as_deref());
        for state in [&mut self.before, &mut self.after].into_iter().flatten() {
            mask.tree(state);
        }
    }
}

impl Masked for AuditPage {
    fn mask(&mut self, masks: &Masks<'_>) {
        self.entries.mask(masks);
    }
}

/// A preview's reasons and details, where they are about a sensitive field.
impl FieldsOf for PreviewReport {
    fn mask_fields(&mut self, mask: &Mask) {
        for reason in &mut self.reject_reasons {
            reason.reason = crate::masking::mask_reason(&reason.reason, mask);
        }
        for risky in &mut self.riskiest {
            if let Some(detail) = &mut risky.detail {
                *detail = crate::masking::mask_reason(detail, mask);
            }
        }
    }
}

impl Masked for JobView {
    fn mask(&mut self, masks: &Masks<'_>) {
        let mask = masks.domain(Some(&self.domain));
        if let Some(preview) = &mut self.preview {
            preview.mask_fields(&mask);
        }
        let Some(profile) = &mut self.profile else {
            return;
        };
        let sensitive = profile
            .columns
            .iter_mut()
            .filter(|c| c.field.as_deref().is_some_and(|f| mask.covers(f)));
        for column in sensitive {
            let examples = &mut column.examples;
            for example in examples
                .standardized
                .iter_mut()
                .chain(&mut examples.failed)
                .chain(&mut examples.unknown)
            {
                example.value = crate::masking::mask(&example.value);
                example.result = crate::masking::mask(&example.result);
            }
        }
    }
}

/// Keys, IDs and statuses only.
mod no_field_values {
    use super::NoFieldValues;
    use crate::matching::model::MatchModel;
    use crate::service::models::ModelInfo;
    use crate::service::rematch::RematchReport;
    use crate::service::rollback::RollbackView;
    use crate::service::stats::Stats;
    use crate::service::views::{CrosswalkEntry, LookupAnswer, ReverseCrosswalk};
    use crate::service::webhooks::{DeadLetterView, ReplayView, WebhookView};

    impl NoFieldValues for CrosswalkEntry {}
    impl NoFieldValues for LookupAnswer {}
    impl NoFieldValues for ReverseCrosswalk {}
    impl NoFieldValues for Stats {}
    /// A rollback's result names records and golden IDs.
    impl NoFieldValues for RollbackView {}
    impl NoFieldValues for ModelInfo {}
    /// Weights and value frequencies; a rule file cannot ask for the frequencies of a
    /// sensitive field (see `rules::matching`).
    impl NoFieldValues for MatchModel {}
    impl NoFieldValues for RematchReport {}
    /// Admin-only, and without event payloads.
    impl NoFieldValues for WebhookView {}
    impl NoFieldValues for DeadLetterView {}
    impl NoFieldValues for ReplayView {}
}
