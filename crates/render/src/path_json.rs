//! `path --json`: the report as one pretty-printed document whose first key
//! is `"schema": "rabbithole.path/1"`; `docs/json.md` lists every field.

use model::path::PathReport;
use serde::Serialize;

/// The schema name and version of the document.
pub const SCHEMA: &str = "rabbithole.path/1";

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    #[serde(flatten)]
    report: &'a PathReport,
}

/// The document, with a final newline.
pub fn document(report: &PathReport) -> serde_json::Result<String> {
    let doc = Document {
        schema: SCHEMA,
        report,
    };
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}
