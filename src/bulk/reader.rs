//! Streaming rows out of a CSV (with a header) or NDJSON input, one at a time, so memory stays
//! flat whatever the file's size. A row that can't be read (bad encoding, wrong column count,
//! bad JSON) becomes a reject with its line and reason; it never stops the stream.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::{Map, Value};

use super::{LoadError, Mapping};
use crate::model::RecordInput;
use crate::rules::Domain;

/// The input's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// Picks the format from a file name; `None` when the name doesn't say.
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".tsv") {
            Some(Self::Csv)
        } else if [".ndjson", ".jsonl", ".json"]
            .iter()
            .any(|ext| lower.ends_with(ext))
        {
            Some(Self::Ndjson)
        } else {
            None
        }
    }

    pub fn parse(text: &str) -> Result<Self, LoadError> {
        match text {
            "csv" => Ok(Self::Csv),
            "ndjson" | "jsonl" => Ok(Self::Ndjson),
            other => Err(LoadError::Input(format!(
                "format {other:?} must be csv or ndjson"
            ))),
        }
    }
}

/// One row of the input.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// The row as read (lossily decoded when its encoding is bad).
    pub raw: String,
    /// The record, or why the row could not be read.
    pub record: Result<RecordInput, String>,
}

/// Reads rows from an input. `bytes_read` tells how far it got, for progress.
pub struct RowReader<R: BufRead> {
    inner: Inner<R>,
    mapping: Mapping,
    default_source: Option<String>,
}

enum Inner<R: BufRead> {
    Csv {
        reader: csv::Reader<R>,
        headers: Vec<String>,
        record: csv::ByteRecord,
    },
    Ndjson {
        input: R,
        line: u64,
        bytes: u64,
        buffer: Vec<u8>,
    },
}

impl<R: BufRead> RowReader<R> {
    /// Opens the input. For CSV the header is read now and checked against the domain, so a
    /// missing required column is an error before any row is loaded.
    pub fn open(
        input: R,
        format: Format,
        mapping: Mapping,
        default_source: Option<String>,
        domain: &Domain,
    ) -> Result<Self, LoadError> {
        let inner = match format {
            Format::Csv => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .has_headers(true)
                    .from_reader(input);
                let headers = reader
                    .byte_headers()
                    .map_err(|e| LoadError::Input(format!("cannot read the CSV header: {e}")))?
                    .iter()
                    .map(|h| String::from_utf8_lossy(h).trim().to_owned())
                    .collect::<Vec<_>>();
                check_header(&headers, &mapping, default_source.is_some(), domain)?;
                Inner::Csv {
                    reader,
                    headers,
                    record: csv::ByteRecord::new(),
                }
            }
            Format::Ndjson => Inner::Ndjson {
                input,
                line: 0,
                bytes: 0,
                buffer: Vec::new(),
            },
        };
        Ok(Self {
            inner,
            mapping,
            default_source,
        })
    }

    /// The CSV header as read (empty for NDJSON, whose columns show row by row).
    pub fn columns(&self) -> &[String] {
        match &self.inner {
            Inner::Csv { headers, .. } => headers,
            Inner::Ndjson { .. } => &[],
        }
    }

    /// The mapping the rows are read with.
    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// Bytes consumed so far.
    pub fn bytes_read(&self) -> u64 {
        match &self.inner {
            Inner::Csv { reader, .. } => reader.position().byte(),
            Inner::Ndjson { bytes, .. } => *bytes,
        }
    }

    fn next_csv(&mut self) -> Option<Result<Row, LoadError>> {
        let Inner::Csv {
            reader,
            headers,
            record,
        } = &mut self.inner
        else {
            return None;
        };
        match reader.read_byte_record(record) {
            Ok(false) => None,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.kind() {
                    csv::ErrorKind::Io(_) => Some(Err(LoadError::Input(e.to_string()))),
                    _ => Some(Ok(Row {
                        line,
                        raw: String::new(),
                        record: Err(format!("unreadable CSV row: {e}")),
                    })),
                }
            }
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                let raw = raw_csv(record);
                let parsed = csv_record(
                    headers,
                    record,
                    &self.mapping,
                    self.default_source.as_deref(),
                );
                Some(Ok(Row {
                    line,
                    raw,
                    record: parsed,
                }))
            }
        }
    }

    fn next_ndjson(&mut self) -> Option<Result<Row, LoadError>> {
        let Inner::Ndjson {
            input,
            line,
            bytes,
            buffer,
        } = &mut self.inner
        else {
            return None;
        };
        loop {
            buffer.clear();
            match input.read_until(b'\n', buffer) {
                Ok(0) => return None,
                Ok(n) => {
                    *line += 1;
                    *bytes += n as u64;
                }
                Err(e) => return Some(Err(LoadError::Input(e.to_string()))),
            }
            let text = match std::str::from_utf8(buffer) {
                Ok(text) => text.trim(),
                Err(e) => {
                    return Some(Ok(Row {
                        line: *line,
                        raw: String::from_utf8_lossy(buffer).trim().to_owned(),
                        record: Err(format!("invalid UTF-8: {e}")),
                    }));
                }
            };
            if text.is_empty() {
                continue;
            }
            let record = json_record(text, &self.mapping, self.default_source.as_deref());
            return Some(Ok(Row {
                line: *line,
                raw: text.to_owned(),
                record,
            }));
        }
    }
}

impl<R: BufRead> Iterator for RowReader<R> {
    type Item = Result<Row, LoadError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner {
            Inner::Csv { .. } => self.next_csv(),
            Inner::Ndjson { .. } => self.next_ndjson(),
        }
    }
}

/// Refuses a header that lacks what every row needs.
fn check_header(
    headers: &[String],
    mapping: &Mapping,
    has_default_source: bool,
    domain: &Domain,
) -> Result<(), LoadError> {
    let fields: Vec<&str> = headers.iter().map(|h| mapping.field_of(h)).collect();
    let mut missing = Vec::new();
    if !fields.contains(&"source_id") {
        missing.push("source_id".to_owned());
    }
    if !has_default_source && !fields.contains(&"source_system") {
        missing.push("source_system (or pass --source)".to_owned());
    }
    for field in domain.fields.iter().filter(|f| f.required) {
        if !fields.contains(&field.name.as_str()) {
            missing.push(field.name.clone());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(LoadError::MissingColumns(missing))
    }
}

/// A CSV row back as text, for the rejects file.
fn raw_csv(record: &csv::ByteRecord) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b' '))
        .from_writer(Vec::new());
    let fields: Vec<String> = record
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    if writer.write_record(&fields).is_err() {
        return fields.join(",");
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim_end().to_owned()
}

fn csv_record(
    headers: &[String],
    record: &csv::ByteRecord,
    mapping: &Mapping,
    default_source: Option<&str>,
) -> Result<RecordInput, String> {
    if record.len() != headers.len() {
        return Err(format!(
            "expected {} columns, found {}",
            headers.len(),
            record.len()
        ));
    }
    let mut values = BTreeMap::new();
    for (header, value) in headers.iter().zip(record.iter()) {
        let value = std::str::from_utf8(value)
            .map_err(|e| format!("invalid UTF-8 in column {header}: {e}"))?;
        values.insert(mapping.field_of(header).to_owned(), value.trim().to_owned());
    }
    let mut attributes = Map::new();
    let mut source_system = default_source.map(str::to_owned);
    let mut source_id = None;
    for (name, value) in values {
        match name.as_str() {
            "source_system" if !value.is_empty() => source_system = Some(value),
            "source_system" => {}
            "source_id" => source_id = Some(value),
            _ if value.is_empty() => {}
            _ => {
                attributes.insert(name, Value::String(value));
            }
        }
    }
    Ok(RecordInput {
        source_system: source_system.ok_or("source_system is empty")?,
        source_id: source_id.ok_or("source_id is missing")?,
        attributes,
    })
}

/// An NDJSON line: either the API's record shape (`attributes` nested) or a flat object.
fn json_record(
    text: &str,
    mapping: &Mapping,
    default_source: Option<&str>,
) -> Result<RecordInput, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("each line must be a JSON object".into());
    };
    let mut source_system = default_source.map(str::to_owned);
    let mut source_id = None;
    let mut attributes = Map::new();
    for (key, value) in object {
        match (mapping.field_of(&key), value) {
            ("source_system", Value::String(s)) if !s.trim().is_empty() => source_system = Some(s),
            ("source_system", Value::Null) => {}
            ("source_system", _) => return Err("source_system must be a string".into()),
            ("source_id", Value::String(s)) => source_id = Some(s),
            ("source_id", Value::Number(n)) => source_id = Some(n.to_string()),
            ("source_id", _) => return Err("source_id must be a string".into()),
            ("attributes", Value::Object(nested)) => {
                for (name, value) in nested {
                    attributes.insert(mapping.field_of(&name).to_owned(), value);
                }
            }
            (_, Value::Null) => {}
            (field, value) => {
                attributes.insert(field.to_owned(), value);
            }
        }
    }
    Ok(RecordInput {
        source_system: source_system.ok_or("source_system is missing")?,
        source_id: source_id.ok_or("source_id is missing")?,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::parse_domain;
    use std::path::Path;

    fn domain() -> Domain {
        parse_domain(
            Path::new("t.toml"),
            "[domain]\nname=\"t\"\nid_prefix=\"T\"\n[[field]]\nname=\"name\"\ntype=\"text\"\nrequired=true\n[[field]]\nname=\"city\"\ntype=\"text\"\n",
        )
        .unwrap()
    }

    fn rows(text: &[u8], format: Format, mapping: Mapping, source: Option<&str>) -> Vec<Row> {
        RowReader::open(text, format, mapping, source.map(str::to_owned), &domain())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn csv_rows_carry_their_line_and_bad_rows_their_reason() {
        let text = b"source_id,name,city,extra\n1,Acme,Chicago,x\n2,Beta\n3,\"Multi\nline\",Austin,\n4,Ca\xffe,Paris,\n";
        let rows = rows(text, Format::Csv, Mapping::default(), Some("sap"));
        assert_eq!(rows.len(), 4);
        let first = rows[0].record.as_ref().unwrap();
        assert_eq!(rows[0].line, 2);
        assert_eq!(first.source_system, "sap");
        assert_eq!(first.attributes["extra"], "x", "unknown columns are kept");
        assert_eq!(rows[1].line, 3);
        assert_eq!(
            rows[1].record.as_ref().unwrap_err(),
            "expected 4 columns, found 2"
        );
        assert_eq!(rows[2].line, 4);
        assert!(rows[2].record.is_ok());
        assert_eq!(rows[3].line, 6);
        assert!(rows[3].record.as_ref().unwrap_err().contains("UTF-8"));
        assert!(rows[3].raw.contains("Paris"));
    }

    #[test]
    fn a_missing_required_column_is_refused_before_any_row() {
        let text = b"source_id,city\n1,Chicago\n";
        let result = RowReader::open(&text[..], Format::Csv, Mapping::default(), None, &domain());
        let Err(LoadError::MissingColumns(missing)) = result else {
            panic!("expected missing columns");
        };
        assert_eq!(missing, ["source_system (or pass --source)", "name"]);
    }

    #[test]
    fn mapping_renames_columns_for_csv_and_ndjson() {
        let mapping = Mapping::parse(&["vendor_name=name".into(), "id=source_id".into()]).unwrap();
        let rows = rows(
            b"id,vendor_name\n7,Acme\n",
            Format::Csv,
            mapping.clone(),
            Some("s"),
        );
        let record = rows[0].record.as_ref().unwrap();
        assert_eq!(record.source_id, "7");
        assert_eq!(record.attributes["name"], "Acme");
        let text = b"{\"source_system\":\"s\",\"id\":8,\"vendor_name\":\"Beta\"}\n\nnot json\n";
        let rows = super::tests::rows(text, Format::Ndjson, mapping, None);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].record.as_ref().unwrap().source_id, "8");
        assert_eq!(rows[1].line, 3);
        assert!(
            rows[1]
                .record
                .as_ref()
                .unwrap_err()
                .contains("malformed JSON")
        );
    }
}
