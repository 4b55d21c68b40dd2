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
    let fail = |what: String, why: &str| {
        Err(Unsupported {
            what,
            at: if at.is_empty() { "/".into() } else { at.into() },
            why: why.into(),
        })
    };
    if depth > MAX_DEPTH {
        return fail(
            "nesting".into(),
            &format!("schemas nest at most {MAX_DEPTH} deep"),
        );
    }
    let obj = match s {
        Value::Bool(_) => return Ok(()),
        Value::Object(o) => o,
        _ => {
            return fail(
                "a schema that is not an object".into(),
                "a schema is an object",
            );
        }
    };
    for (k, v) in obj {
        let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
        if ANNOTATIONS.contains(&k.as_str()) || k.starts_with("x-") {
            continue;
        }
        if !STRUCTURAL.contains(&k.as_str()) {
            return fail(
                format!("the keyword `{k}`"),
                "structured output follows type, properties, required, additionalProperties, \
                 items, prefixItems, minItems, maxItems, enum, const, anyOf, oneOf, allOf, $ref \
                 ($defs), minimum, maximum, exclusiveMinimum, exclusiveMaximum, minLength, \
                 maxLength, pattern and format (date, time, date-time, uuid)",
            );
        }
        match k.as_str() {
            "type" => {
                let names: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    one => vec![one],
                };
                if let Some(bad) = names
                    .iter()
                    .find(|n| !n.as_str().is_some_and(|n| TYPES.contains(&n)))
                {
                    return fail(format!("the type {bad}"), "types are those of JSON");
                }
            }
            "format" => {
                if !v.as_str().is_some_and(|f| FORMATS.contains(&f)) {
                    return fail(
                        format!("the format {v}"),
                        "the formats followed are date, time, date-time and uuid",
                    );
                }
            }
            "pattern" => {
                let p = v.as_str().unwrap_or("");
                if !(p.starts_with('^') && p.ends_with('$')) {
                    return fail(
                        format!("the pattern {v}"),
                        "a pattern must be anchored with ^ and $ to be followed",
                    );
                }
                if p.contains("(?") || p.contains("\\b") || p.contains("\\1") {
                    return fail(
                        format!("the pattern {v}"),
                        "look-arounds, backreferences and word boundaries cannot be followed",
                    );
                }
            }
            "properties" | "$defs" | "definitions" => {
                let Some(props) = v.as_object() else {
                    return fail(format!("`{k}`"), "it must be an object of schemas");
                };
                for (name, sub) in props {
                    walk(sub, &format!("{here}/{name}"), depth + 1)?;
                }
            }
            "items" | "additionalProperties" => walk(v, &here, depth + 1)?,
            "prefixItems" | "anyOf" | "oneOf" | "allOf" => {
                let Some(list) = v.as_array() else {
                    return fail(format!("`{k}`"), "it must be an array of schemas");
                };
                for (i, sub) in list.iter().enumerate() {
                    walk(sub, &format!("{here}/{i}"), depth + 1)?;
                }
            }
            "$ref" => {
                let r = v.as_str().unwrap_or("");
                if !r.starts_with("#/") && r != "#" {
                    return fail(
                        format!("the reference {v}"),
                        "only references inside the schema (#/...) are followed",
                    );
                }
            }
            _ => {}
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
        assert_eq!(e.at, "/properties/a/not");
        let e = check(&json!({"type": "string", "format": "email"})).unwrap_err();
        assert!(e.to_string().contains("email"), "{e}");
        let e = check(&json!({"type": "string", "pattern": "[a-z]+"})).unwrap_err();
        assert!(e.to_string().contains("anchored"), "{e}");
        assert!(check(&json!({"$ref": "https://example.com/s.json"})).is_err());
        assert!(check(&json!({"type": "thing"})).is_err());
        assert!(check(&json!({"uniqueItems": true})).is_err());
        let mut deep = json!({"type": "string"});
        for _ in 0..40 {
            deep = json!({"type": "array", "items": deep});
        }
        assert!(check(&deep).is_err());
    }
}
