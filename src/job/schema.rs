//! Which JSON schemas an answer can be held to. Sampling follows a grammar that llama.cpp makes
//! of the schema (`engine::chat::schema_grammar`); a keyword that grammar cannot express would
//! be dropped without a word and the answer could break the schema. Such schemas are refused
//! here, naming the keyword and where it is, on the API and for peers' jobs alike.

use serde_json::Value;

/// Keywords the grammar follows.
const STRUCTURAL: &[&str] = &[
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "prefixItems",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "anyOf",
    "oneOf",
    "allOf",
    "$ref",
    "$defs",
    "definitions",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
];

/// Keywords that say nothing about what is valid.
const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "default",
    "examples",
    "$schema",
    "$id",
    "$comment",
    "deprecated",
    "readOnly",
    "writeOnly",
    "strict",
];

/// String formats the grammar knows.
const FORMATS: &[&str] = &["date", "time", "date-time", "uuid"];
const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "null", "object", "array",
];
/// Deepest nesting of schemas taken (the grammar's rules grow with it).
const MAX_DEPTH: usize = 32;
/// Largest repetition count (`minItems`, `maxLength`, a pattern's `{m,n}`): llama.cpp writes a
/// rule per repetition.
const MAX_REPEAT: u64 = 1000;
/// Longest pattern.
const MAX_PATTERN: usize = 512;

/// Why a schema cannot be followed: the keyword or value, and where (a JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} at `{at}` is not supported: {why}")]
pub struct Unsupported {
    pub what: String,
    pub at: String,
    pub why: String,
}

/// Whether an answer can be held to `schema`.
pub fn check(schema: &Value) -> Result<(), Unsupported> {
    walk(schema, "", 0)
}

fn walk(s: &Value, at: &str, depth: usize) -> Result<(), Unsupported> {
    let fail = |what: String, why: String| {
        Err(Unsupported {
            what,
            at: if at.is_empty() { "/".into() } else { at.into() },
            why,
        })
    };
    if depth > MAX_DEPTH {
        return fail(
            "nesting".into(),
            format!("schemas nest at most {MAX_DEPTH} deep"),
        );
    }
    let obj = match s {
        Value::Bool(_) => return Ok(()),
        Value::Object(o) => o,
        _ => {
            return fail(
                "a schema that is not an object".into(),
                "a schema is an object".into(),
            );
        }
    };
    for (k, v) in obj {
        if ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-") {
            continue;
        }
        if let Some((what, why)) = problem(k, v) {
            return fail(what, why);
        }
        let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
        match (k.as_str(), v) {
            ("properties" | "$defs" | "definitions", Value::Object(props)) => {
                for (name, sub) in props {
                    walk(sub, &format!("{here}/{name}"), depth + 1)?;
                }
            }
            ("items" | "additionalProperties", _) => walk(v, &here, depth + 1)?,
            ("prefixItems" | "anyOf" | "oneOf" | "allOf", Value::Array(list)) => {
                for (i, sub) in list.iter().enumerate() {
                    walk(sub, &format!("{here}/{i}"), depth + 1)?;
                }
            }
            _ => {}
        }
    }
    for (lo, hi) in [("minItems", "maxItems"), ("minLength", "maxLength")] {
        if let (Some(a), Some(b)) = (
            obj.get(lo).and_then(Value::as_u64),
            obj.get(hi).and_then(Value::as_u64),
        ) && a > b
        {
            return fail(
                format!("`{lo}` {a} above `{hi}` {b}"),
                "no value could satisfy both".into(),
            );
        }
    }
    Ok(())
}

/// What is wrong with keyword `k` of value `v` on its own, if anything: (what, why).
fn problem(k: &str, v: &Value) -> Option<(String, String)> {
    let says = |what: String, why: &str| Some((what, why.to_string()));
    match k {
        _ if !STRUCTURAL.contains(&k) => says(
            format!("the keyword `{k}`"),
            "structured output follows type, properties, required, additionalProperties, \
             items, prefixItems, minItems, maxItems, enum, const, anyOf, oneOf, allOf, $ref \
             ($defs), minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, \
             maxLength, pattern and format (date, time, date-time, uuid)",
        ),
        "type" => {
            let names: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                one => vec![one],
            };
            let bad = names
                .iter()
                .find(|n| !n.as_str().is_some_and(|n| TYPES.contains(&n)))?;
            says(format!("the type {bad}"), "types are those of JSON")
        }
        "format" if !v.as_str().is_some_and(|f| FORMATS.contains(&f)) => says(
            format!("the format {v}"),
            "the formats followed are date, time, date-time and uuid",
        ),
        "minItems" | "maxItems" | "minLength" | "maxLength"
            if v.as_u64().is_none_or(|n| n > MAX_REPEAT) =>
        {
            Some((
                format!("`{k}` = {v}"),
                format!("it must be a whole number from 0 to {MAX_REPEAT}"),
            ))
        }
        "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" if !v.is_number() => {
            says(format!("`{k}` = {v}"), "it must be a number")
        }
        "pattern" => pattern_problem(v),
        "properties" | "$defs" | "definitions" if !v.is_object() => {
            says(format!("`{k}`"), "it must be an object of schemas")
        }
        "prefixItems" | "anyOf" | "oneOf" | "allOf" if !v.is_array() => {
            says(format!("`{k}`"), "it must be an array of schemas")
        }
        "$ref" if v.as_str().is_none_or(|r| !r.starts_with("#/") && r != "#") => says(
            format!("the reference {v}"),
            "only references inside the schema (#/...) are followed",
        ),
        _ => None,
    }
}

/// What is wrong with a pattern, if anything.
fn pattern_problem(v: &Value) -> Option<(String, String)> {
    let p = v.as_str().unwrap_or("");
    let what = || format!("the pattern {v}");
    if p.len() > MAX_PATTERN {
        return Some((
            "a pattern".into(),
            format!("patterns are at most {MAX_PATTERN} bytes"),
        ));
    }
    if let Err(why) = counts(p) {
        return Some((what(), why));
    }
    if !(p.starts_with('^') && p.ends_with('$')) {
        return Some((
            what(),
            "a pattern must be anchored with ^ and $ to be followed".into(),
        ));
    }
    if p.contains("(?") || p.contains("\\b") || p.contains("\\1") {
        return Some((
            what(),
            "look-arounds, backreferences and word boundaries cannot be followed".into(),
        ));
    }
    None
}

/// A pattern's repetition counts (`{m}`, `{m,}`, `{m,n}`): whole, at most [`MAX_REPEAT`], and
/// `m` ≤ `n` (llama.cpp would wrap `n - m` around and grow its grammar without end).
fn counts(p: &str) -> Result<(), String> {
    let mut rest = p;
    while let Some(open) = rest.find('{') {
        let escaped = rest[..open].ends_with('\\');
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            break;
        };
        let inner = &after[..close];
        rest = &after[close + 1..];
        if escaped || !inner.chars().all(|c| c.is_ascii_digit() || c == ',') {
            continue;
        }
        let mut parts = inner.splitn(2, ',');
        let num = |s: Option<&str>| -> Result<Option<u64>, String> {
            match s.map(str::trim) {
                None | Some("") => Ok(None),
                Some(n) => n
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= MAX_REPEAT)
                    .map(Some)
                    .ok_or_else(|| format!("repetition counts go up to {MAX_REPEAT}")),
            }
        };
        let (m, n) = (num(parts.next())?, num(parts.next())?);
        if let (Some(m), Some(n)) = (m, n)
            && m > n
        {
            return Err(format!("the repetition {{{inner}}} counts down"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_the_grammar_follows_passes() {
        let s = json!({
            "type": "object", "title": "Person", "additionalProperties": false,
            "properties": {
                "name": {"type": "string", "minLength": 1, "description": "who"},
                "age": {"type": ["integer", "null"], "minimum": 0},
                "born": {"type": "string", "format": "date"},
                "tags": {"type": "array", "items": {"$ref": "#/$defs/tag"}, "maxItems": 3},
                "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            "required": ["name"],
            "$defs": {"tag": {"enum": ["a", "b"]}},
        });
        assert_eq!(check(&s), Ok(()));
        assert_eq!(check(&json!(true)), Ok(()));
    }

    #[test]
    fn what_it_cannot_follow_is_named_with_its_place() {
        let e = check(&json!({"type": "object", "properties": {"a": {"not": {"type": "null"}}}}))
            .unwrap_err();
        assert_eq!(e.what, "the keyword `not`");
        assert_eq!(e.at, "/properties/a");
        let e = check(&json!({"type": "string", "format": "email"})).unwrap_err();
        assert!(e.to_string().contains("email"), "{e}");
        let e = check(&json!({"type": "string", "pattern": "[a-z]+"})).unwrap_err();
        assert!(e.to_string().contains("anchored"), "{e}");
        assert!(check(&json!({"$ref": "https://example.com/s.json"})).is_err());
        assert!(check(&json!({"type": "thing"})).is_err());
        assert!(check(&json!({"uniqueItems": true})).is_err());
        // Counts llama.cpp would wrap around (a grammar without end), or too large.
        let e = check(&json!({"type": "string", "minLength": 5, "maxLength": 2})).unwrap_err();
        assert!(e.to_string().contains("minLength"), "{e}");
        assert!(check(&json!({"type": "array", "maxItems": 5000})).is_err());
        assert!(check(&json!({"type": "array", "minItems": -1})).is_err());
        assert!(check(&json!({"type": "string", "pattern": "^a{5,2}$"})).is_err());
        assert!(check(&json!({"type": "string", "pattern": "^a{1,99999}$"})).is_err());
        assert!(check(&json!({"type": "string", "pattern": "^a{2,5}b{3}$"})).is_ok());
        assert!(
            check(&json!({"type": "string", "pattern": format!("^{}$", "a".repeat(600))})).is_err()
        );
        let mut deep = json!({"type": "string"});
        for _ in 0..40 {
            deep = json!({"type": "array", "items": deep});
        }
        assert!(check(&deep).is_err());
    }
}
