//! The `[matching]` section of a rule file: candidate keys, comparisons with their evidence
//! levels, and the decision thresholds.
//!
//! Scoring follows Fellegi-Sunter: each comparison turns a similarity into a weight — the
//! log2 of how much more likely that agreement level is between records of one entity than
//! between records of different ones (`log2(m/u)`). Weights add up with the prior into
//! log-odds, reported as a match probability that the thresholds apply to.

use serde::Deserialize;
use toml::Spanned;

use super::FieldDef;

/// How a candidate key turns a field's standardized value into index terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// Each word.
    Words,
    /// Character trigrams of each word: finds typo'd names.
    Trigrams,
    /// The whole value.
    Exact,
    /// Tokens that look like model or part numbers (letters and digits), separators removed.
    ModelNumbers,
    /// The first four characters of the value: an identifier that survives a typo in its
    /// last digits.
    Prefix,
    /// The Double Metaphone codes of each word: "Smith", "Smyth" and "Schmidt" block together.
    Phonetic,
}

/// How two standardized values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Exact,
    JaroWinkler,
    Levenshtein,
    DamerauLevenshtein,
    /// Token-set ratio: shared words count fully, the rest by edit distance.
    TokenSet,
    /// Organisation names: token-set ratio, except that a name whose extra words name a
    /// member of a corporate family ("X Holdings", "X International", "X Canada" beside "X")
    /// is close, not equal (see `compare::FAMILY_WORDS`).
    NameWords,
    /// Edit-distance similarity of the words in sorted order.
    TokenSort,
    /// Each word's best Jaro-Winkler partner, averaged both ways.
    MongeElkan,
    /// Shared words over all words.
    Jaccard,
    /// 1 - relative difference.
    Numeric,
    /// Identifiers: equal or not. Agreement is strong evidence, disagreement evidence against.
    Identifier,
    /// Shared model-number-like tokens found anywhere in the values.
    ModelNumber,
    /// Shared pack sizes ("100/bx", "CS of 12") found anywhere in the values: 1 or 0.
    PackSize,
    /// Dates: equal, one digit off, day and month swapped, or different.
    Date,
    /// Street addresses: token-set similarity, capped low when the house numbers or the unit
    /// numbers (suite, room, floor) differ. The values of all its fields form one address.
    Address,
    /// Codes as systems write them: equal once case and separators are gone (1.0), or one
    /// the other with a prefix of the system's own ("CC4418", "2000-9220" and "4418") (0.9).
    Code,
    /// The numbers that tell units apart ("Dock 2", "Room 214", "Suite 550") in all the
    /// comparison's fields together: the same numbers 1.0, none on either side 0.75, one
    /// side's only 0.25, different numbers 0.
    Numbers,
    /// Not declarable: the correction an estimated model applies to a group of comparisons
    /// that describe one fact, for how their agreements go together.
    Combined,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::JaroWinkler => "jaro_winkler",
            Self::Levenshtein => "levenshtein",
            Self::DamerauLevenshtein => "damerau_levenshtein",
            Self::TokenSet => "token_set",
            Self::NameWords => "name_words",
            Self::TokenSort => "token_sort",
            Self::MongeElkan => "monge_elkan",
            Self::Jaccard => "jaccard",
            Self::Numeric => "numeric",
            Self::Identifier => "identifier",
            Self::ModelNumber => "model_number",
            Self::PackSize => "pack_size",
            Self::Date => "date",
            Self::Code => "code",
            Self::Numbers => "numbers",
            Self::Address => "address",
            Self::Combined => "combined",
        }
    }
}

/// One candidate key.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateKey {
    pub field: String,
    pub kind: KeyKind,
    pub boost: f32,
}

/// A similarity at or above `at_least` contributes `weight`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Level {
    pub at_least: f64,
    pub weight: f64,
}

/// One comparison: a field (or a field against a list of fields on the other side), a method
/// and its levels, highest first. A field missing on either side is neutral: no level.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub fields: Vec<String>,
    pub method: Method,
    pub levels: Vec<Level>,
    /// Whether an exact agreement weighs by how common the shared value is (a match on a
    /// chain's name or a big city's name is weaker evidence than one on a rare value).
    pub term_frequency: bool,
    /// The value frequencies an estimated model supplies when `term_frequency` is on.
    pub frequencies: Option<std::sync::Arc<TermFrequencies>>,
    /// Compared only between records of one source system: the values are that system's own
    /// codes (a type or parent code, a company number), meaningless next to another system's.
    pub within_source: bool,
}

/// How common values of one field are, from the stored records: only values common enough to
/// lower the weight of an exact agreement are kept.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TermFrequencies {
    /// The chance that two random records agree exactly on this field: the `u` that the top
    /// level's weight assumes on average.
    pub reference_u: f64,
    /// Share of records holding each common value.
    pub values: std::collections::HashMap<String, f64>,
}

impl TermFrequencies {
    /// The log2 correction for an exact agreement on `value`: negative for values more common
    /// than average, 0 for the rest. Rare values are not raised above the level's weight, so a
    /// term-frequency table never makes an auto-link more likely.
    pub fn adjustment(&self, value: &str) -> f64 {
        match self.values.get(value) {
            Some(&share) if share > self.reference_u && self.reference_u > 0.0 => {
                (self.reference_u / share).log2()
            }
            _ => 0.0,
        }
    }
}

impl Comparison {
    /// The level a similarity falls in (the last level always applies).
    pub fn level(&self, similarity: f64) -> usize {
        self.levels
            .iter()
            .position(|level| similarity >= level.at_least)
            .unwrap_or(self.levels.len().saturating_sub(1))
    }

    /// The weight for a similarity.
    pub fn weight(&self, similarity: f64) -> f64 {
        self.levels
            .get(self.level(similarity))
            .map_or(0.0, |level| level.weight)
    }
}

/// Comparisons that describe one fact (where a site is: its street, postal code, phone):
/// an estimated model learns how their agreements go together, so that one shared fact is not
/// counted as several independent pieces of evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    /// Indexes into the comparisons.
    pub members: Vec<usize>,
    /// From an estimated model: per combination of the members' levels, the log2 correction
    /// of the sum of their weights. `None` with declared weights.
    pub corrections: Option<std::sync::Arc<std::collections::HashMap<Vec<Option<u8>>, f64>>>,
    /// Declared (`[matching] group_max`): the most the members' weights may add up to. Fields
    /// that describe one fact (a site's address, city, postal code and phone) agree together,
    /// for two entities at that site as for one; their sum would count one fact several times.
    /// An estimated model's corrections take its place.
    pub max_weight: Option<f64>,
}

/// A domain's matching rules.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchRules {
    /// At or above this probability a record joins a golden record with no steward.
    pub auto_link: f64,
    /// At or above this (and below `auto_link`) a merge proposal goes to the stewards.
    pub review: f64,
    /// Log2 odds of a match before any comparison.
    pub prior: f64,
    /// Auto-link precision an estimated model's threshold is chosen for.
    pub target_precision: f64,
    /// Proposals per 1,000 records the review queue may grow by: an estimated model's review
    /// threshold rises until its expected queue fits (never below `review`).
    pub proposals_per_1000: f64,
    /// Candidate records taken from the index per incoming record.
    pub max_candidates: usize,
    /// A candidate key term held by more records than this only adds to the score of
    /// candidates found through rarer terms, so finding candidates does not slow down as the
    /// store grows.
    pub common_term_records: u64,
    /// Merge proposals opened per incoming record (best candidates first).
    pub max_proposals: usize,
    /// A proposal beyond the best is opened only within this many log2-odds of the best: a
    /// record close to several golden records offers them all, a clear best stands alone.
    pub proposal_margin: f64,
    /// Added when the candidate golden record already holds an active record of the incoming
    /// record's source system. Negative for domains whose sources keep one record per entity
    /// (a second one from the same system is more likely another entity); 0 to ignore.
    pub same_source_weight: f64,
    /// Comparisons of which at least one must agree at its top level for an auto-link (empty:
    /// none needed). A pair that scores high on shared evidence alone (one site, one phone)
    /// while its names only resemble each other goes to a steward.
    pub auto_link_needs: Vec<String>,
    /// Comparisons that say nothing when one side's address is a post office box and the
    /// other's a street address: a remit-to lockbox is where payments go, not a site.
    pub po_box_neutral: Vec<String>,
    pub candidates: Vec<CandidateKey>,
    pub comparisons: Vec<Comparison>,
    pub groups: Vec<Group>,
    /// The estimated model whose weights these are; `None` for the declared weights.
    pub model_version: Option<i64>,
}

#[cfg(test)]
impl MatchRules {
    /// Rules for unit tests: these candidate keys and comparisons, plain settings for the rest
    /// (prior 0, auto-link at 0.99, review at 0.5, no groups, declared weights).
    pub fn for_tests(candidates: Vec<CandidateKey>, comparisons: Vec<Comparison>) -> Self {
        Self {
            auto_link: 0.99,
            review: 0.5,
            prior: 0.0,
            target_precision: 0.995,
            proposals_per_1000: 300.0,
            max_candidates: 10,
            common_term_records: 500,
            max_proposals: 1,
            proposal_margin: 2.0,
            same_source_weight: 0.0,
            auto_link_needs: vec![],
            po_box_neutral: vec![],
            candidates,
            comparisons,
            groups: vec![],
            model_version: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMatching {
    auto_link: Spanned<f64>,
    review: Spanned<f64>,
    #[serde(default)]
    prior: f64,
    #[serde(default = "default_target_precision")]
    target_precision: f64,
    #[serde(default = "default_proposals_per_1000")]
    proposals_per_1000: f64,
    #[serde(default = "default_candidates")]
    max_candidates: usize,
    #[serde(default = "default_common_term_records")]
    common_term_records: u64,
    #[serde(default = "default_proposals")]
    max_proposals: usize,
    #[serde(default = "default_margin")]
    proposal_margin: f64,
    #[serde(default)]
    same_source_weight: f64,
    /// Comparison names: an auto-link needs one of them at its top level.
    #[serde(default)]
    auto_link_needs: Vec<Spanned<String>>,
    /// Comparison names: neutral between a post office box and a street address.
    #[serde(default)]
    po_box_neutral: Vec<Spanned<String>>,
    /// Per group name, the most its members' weights may add up to.
    #[serde(default)]
    group_max: std::collections::BTreeMap<String, f64>,
    #[serde(rename = "candidate", default)]
    candidates: Vec<RawKey>,
    #[serde(rename = "compare", default)]
    comparisons: Vec<RawComparison>,
}

fn default_target_precision() -> f64 {
    0.995
}

fn default_proposals_per_1000() -> f64 {
    300.0
}

fn default_candidates() -> usize {
    20
}

fn default_common_term_records() -> u64 {
    500
}

fn default_proposals() -> usize {
    1
}

fn default_margin() -> f64 {
    2.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    field: Spanned<String>,
    kind: KeyKind,
    #[serde(default = "default_boost")]
    boost: f32,
}

fn default_boost() -> f32 {
    1.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComparison {
    field: Spanned<String>,
    /// Other fields whose values also take part (e.g. a description and a long description).
    #[serde(default)]
    also: Vec<Spanned<String>>,
    #[serde(default)]
    name: Option<String>,
    method: Method,
    levels: Spanned<Vec<RawLevel>>,
    #[serde(default)]
    term_frequency: bool,
    #[serde(default)]
    within_source: bool,
    /// Comparisons naming the same group describe one fact.
    #[serde(default)]
    group: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    at_least: f64,
    #[serde(default)]
    weight: Option<f64>,
    #[serde(default)]
    m: Option<f64>,
    #[serde(default)]
    u: Option<f64>,
}

/// A mistake at a byte offset of the file.
pub(super) type Located = (usize, String);

impl RawMatching {
    /// Checks references and numbers, returning typed rules or every mistake.
    pub(super) fn into_rules(self, fields: &[FieldDef]) -> Result<MatchRules, Vec<Located>> {
        let mut errors = Vec::new();
        let known = |name: &Spanned<String>, errors: &mut Vec<Located>| {
            if !fields.iter().any(|f| &f.name == name.get_ref()) {
                errors.push((
                    name.span().start,
                    format!("{:?} is not a declared field", name.get_ref()),
                ));
            }
        };
        for (value, what) in [(&self.auto_link, "auto_link"), (&self.review, "review")] {
            if !(0.0..=1.0).contains(value.get_ref()) {
                errors.push((
                    value.span().start,
                    format!("{what} must be a probability between 0 and 1"),
                ));
            }
        }
        if !(0.5..1.0).contains(&self.target_precision) {
            errors.push((
                self.auto_link.span().start,
                "target_precision must be at least 0.5 and below 1".into(),
            ));
        }
        if self.proposals_per_1000.is_nan() || self.proposals_per_1000 < 0.0 {
            errors.push((
                self.auto_link.span().start,
                "proposals_per_1000 must not be negative".into(),
            ));
        }
        if self.review.get_ref() > self.auto_link.get_ref() {
            errors.push((
                self.review.span().start,
                "review must not exceed auto_link".into(),
            ));
        }
        for key in &self.candidates {
            known(&key.field, &mut errors);
        }
        let mut comparisons = Vec::new();
        let mut groups: Vec<Group> = Vec::new();
        for raw in self.comparisons {
            if raw.method == Method::Combined {
                errors.push((
                    raw.field.span().start,
                    "method \"combined\" is not declarable: name a group instead".into(),
                ));
            }
            if let Some(name) = &raw.group {
                let index = comparisons.len();
                match groups.iter_mut().find(|g| &g.name == name) {
                    Some(group) => group.members.push(index),
                    None => groups.push(Group {
                        name: name.clone(),
                        members: vec![index],
                        corrections: None,
                        max_weight: self.group_max.get(name).copied(),
                    }),
                }
            }
            known(&raw.field, &mut errors);
            raw.also.iter().for_each(|f| known(f, &mut errors));
            let sensitive = std::iter::once(&raw.field)
                .chain(&raw.also)
                .find(|f| fields.iter().any(|d| d.sensitive && &d.name == f.get_ref()));
            if let (true, Some(field)) = (raw.term_frequency, sensitive) {
                errors.push((
                    field.span().start,
                    format!(
                        "{:?} is sensitive: term_frequency would publish its common values in \
                         the domain's model",
                        field.get_ref()
                    ),
                ));
            }
            match levels(raw.levels.get_ref()) {
                Ok(levels) => comparisons.push(Comparison {
                    name: raw.name.unwrap_or_else(|| raw.field.get_ref().clone()),
                    fields: std::iter::once(raw.field.into_inner())
                        .chain(raw.also.into_iter().map(Spanned::into_inner))
                        .collect(),
                    method: raw.method,
                    levels,
                    term_frequency: raw.term_frequency,
                    frequencies: None,
                    within_source: raw.within_source,
                }),
                Err(message) => errors.push((raw.levels.span().start, message)),
            }
        }
        for name in self.group_max.keys() {
            if !groups.iter().any(|g| &g.name == name) {
                errors.push((
                    self.auto_link.span().start,
                    format!("group_max names {name:?}, which no comparison's `group` declares"),
                ));
            }
        }
        let listed = [
            ("auto_link_needs", &self.auto_link_needs),
            ("po_box_neutral", &self.po_box_neutral),
        ];
        for (setting, names) in listed {
            for name in names {
                if !comparisons.iter().any(|c| &c.name == name.get_ref()) {
                    errors.push((
                        name.span().start,
                        format!(
                            "{setting} names {:?}, which is not a comparison",
                            name.get_ref()
                        ),
                    ));
                }
            }
        }
        if !self.po_box_neutral.is_empty()
            && !comparisons.iter().any(|c| c.method == Method::Address)
        {
            errors.push((
                self.po_box_neutral[0].span().start,
                "po_box_neutral needs an `address` comparison to tell a post office box".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MatchRules {
            auto_link: self.auto_link.into_inner(),
            review: self.review.into_inner(),
            prior: self.prior,
            target_precision: self.target_precision,
            proposals_per_1000: self.proposals_per_1000,
            max_candidates: self.max_candidates.clamp(1, 500),
            common_term_records: self.common_term_records.max(1),
            max_proposals: self.max_proposals.clamp(1, 20),
            proposal_margin: self.proposal_margin.max(0.0),
            same_source_weight: self.same_source_weight,
            auto_link_needs: self
                .auto_link_needs
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            po_box_neutral: self
                .po_box_neutral
                .into_iter()
                .map(Spanned::into_inner)
                .collect(),
            candidates: self
                .candidates
                .into_iter()
                .map(|k| CandidateKey {
                    field: k.field.into_inner(),
                    kind: k.kind,
                    boost: k.boost,
                })
                .collect(),
            comparisons,
            groups,
            model_version: None,
        })
    }
}

fn levels(raw: &[RawLevel]) -> Result<Vec<Level>, String> {
    if raw.is_empty() {
        return Err("a comparison needs at least one level".into());
    }
    let mut levels = Vec::with_capacity(raw.len());
    for level in raw {
        let weight = match (level.weight, level.m, level.u) {
            (Some(w), None, None) if w.is_finite() => w,
            (None, Some(m), Some(u)) if m > 0.0 && u > 0.0 && m <= 1.0 && u <= 1.0 => {
                (m / u).log2()
            }
            _ => {
                return Err("each level needs either a finite weight, or m and u in (0, 1]".into());
            }
        };
        levels.push(Level {
            at_least: level.at_least,
            weight,
        });
    }
    if levels.windows(2).any(|w| w[0].at_least <= w[1].at_least) {
        return Err("levels must be listed from the highest at_least down".into());
    }
    Ok(levels)
}
