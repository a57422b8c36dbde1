//! Results on stdout: a table for people, JSON (`--json`) for scripts;
//! errors on stderr: the message and the reason.

use crate::fail::Failure;
use serde_json::Value;

/// Prints a result: its JSON as it is, or a table of its fields (the
/// broker's own payload, `raw`, only in JSON).
pub(crate) fn print(value: &Value, json: bool) {
    if json {
        println!("{value}");
        return;
    }
    match value {
        Value::Object(map) => {
            let rows: Vec<(&str, String)> = map
                .iter()
                .filter(|(key, _)| key.as_str() != "raw")
                .map(|(key, value)| (key.as_str(), cell(value)))
                .collect();
            let width = rows.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
            for (key, value) in rows {
                println!("{key:<width$}  {value}");
            }
        }
        Value::Array(items) => print_rows(items),
        other => println!("{}", cell(other)),
    }
}

/// An array of objects as columns, headed by the first object's keys.
fn print_rows(items: &[Value]) {
    let Some(Value::Object(first)) = items.first() else {
        return;
    };
    let keys: Vec<&String> = first.keys().collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| keys.iter().map(|k| cell(&item[k.as_str()])).collect())
        .collect();
    let widths: Vec<usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([k.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let text: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(keys.iter().map(|k| k.as_str()).collect());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Prints a failure on stderr: the error object with `--json`, else the
/// message and, where there is one, the reason and the broker's own words.
pub(crate) fn print_error(error: &Failure, json: bool) {
    if json {
        eprintln!("{}", error.to_json());
        return;
    }
    eprintln!(
        "brokerlink: {} ({}): {}",
        error.status.name(),
        error.status as i32,
        error.message
    );
    if let Some(reason) = error.reason {
        eprintln!("reason: {}", reason.as_str());
    }
    if let Some(code) = &error.broker_code {
        eprintln!("broker code: {code}");
    }
    if let Some(message) = &error.broker_message {
        eprintln!("broker message: {message}");
    }
}
