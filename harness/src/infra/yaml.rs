//! YAML for the harness, on `serde-saphyr` (YAML 1.2 core schema, maintained,
//! panic-free parser with real source locations). Replaces `serde_yaml`.
//!
//! * [`from_str`] reads one document into any `Deserialize` type. Errors carry
//!   the line and column (1-based) of the node at fault and a message without
//!   any location suffix; like `serde_yaml`'s, the message starts with the path
//!   of that node (`steps[0]: unknown variant ...`) when it is not the root.
//!   Externally tagged enums are read from one-key maps (`- restart: dex`),
//!   and unit variants from plain scalars (`at: dex`), natively: no
//!   `with = ...` attribute is needed. `model::one_key::strict_enums` is an optional
//!   `deserialize_with` that also refuses a bare name for a variant with a
//!   payload (`- restart`), which serde-saphyr 2.2.0 misreads.
//!   A key repeated in one mapping is an error (YAML forbids it) naming both
//!   places.
//! * [`to_string`] writes YAML that YAML 1.1 readers (Go's `sigs.k8s.io/yaml`,
//!   `gopkg.in/yaml.v2`, PyYAML) and YAML 1.2 readers (`yaml.v3`) read back the
//!   same: strings that would read as anything else (`"true"`, `"yes"`, `"1"`,
//!   `"0755"`, `"null"`, `""`, ...) are quoted.
//! * [`key_locations`] and [`duplicate_keys`] locate mapping keys by their
//!   position in the document, not by searching the text.

use std::collections::HashMap;
use std::fmt;

use serde_saphyr as saphyr;
use serde_saphyr::granit_parser::{self as parser, Event, ScalarStyle};

/// A YAML error: where (1-based line and column; 0 when unknown) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for YamlError {
    /// `line:column: message`, or only the message when the place is unknown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "{}:{}: {}", self.line, self.column, self.message)
        }
    }
}

impl std::error::Error for YamlError {}

/// A mapping key: its path (`connectors[0].config.insecureEnableGroup`,
/// top-level `issuer`, sequence indices in brackets) and where it starts
/// (1-based line and column; for a quoted key, its opening quote).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyLocation {
    pub path: String,
    pub line: usize,
    pub column: usize,
}

/// The reading options, chosen to read what `serde_yaml` 0.9 read, the same
/// way (see the tests): YAML 1.2 core schema booleans (`yes`/`on`/`y` are
/// strings), `0755` and `1_000` stay strings in untyped values, `.inf`/`.nan`
/// reach the visitor (a `serde_json::Value` turns them into null), and a plain
/// `~`/empty value read into a `String` is its text (`"~"`, `""`).
fn options() -> saphyr::Options {
    saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
        null_as_string: true,
        non_finite_float_policy: saphyr::NonFiniteFloatPolicy::PassThrough,
        duplicate_keys: saphyr::DuplicateKeyPolicy::Error,
        with_snippet: false,
    }
}

/// Reads one YAML document. An empty document (nothing, or only comments) is
/// `null`: `Option`/`Value` read it as `None`/`Null`, a struct with required
/// fields fails with "empty document".
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    saphyr::from_str_with_options(text, options()).map_err(|e| convert(text, &e))
}

/// Reads every document of a stream (`---`-separated manifests); empty
/// documents are left out.
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>, YamlError> {
    let docs: Vec<serde_json::Value> =
        saphyr::from_str_multiple_with_options::<serde_json::Value, _>(text, options())
            .map_err(|e| convert(text, &e))?;
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

/// Writes `value` as one YAML document (block style, 2-space indentation,
/// no `---`). Strings that a YAML 1.1 or 1.2 reader would take for a boolean,
/// number, null or timestamp are quoted; strings with line breaks are written
/// as literal blocks (`|`), long ones as folded blocks (`>`).
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, String> {
    // The defaults are what we want: YAML 1.1-safe quoting (`yaml_12: false`),
    // `[]`/`{}` for empty collections.
    saphyr::to_string_with_options(value, saphyr::ser_options! {}).map_err(|e| e.to_string())
}

/// Every mapping key of the document with its path and position (1-based), in
/// document order; a key repeated in one mapping appears once per occurrence.
/// Keys inside an anchored node are listed once, where the anchor is defined
/// (an alias adds none). A syntax error, or a second document, is an error.
pub fn key_locations(text: &str) -> Result<Vec<KeyLocation>, YamlError> {
    let walk = Walk::run(text);
    if let Some(e) = walk.error {
        return Err(e);
    }
    Ok(walk
        .nodes
        .into_iter()
        .filter(|n| matches!(n.kind, Kind::Key))
        .map(|n| KeyLocation {
            path: n.path,
            line: n.line,
            column: n.column,
        })
        .collect())
}

/// Keys repeated within one mapping (YAML forbids them; say where both are):
/// `(first, repeat)`, one pair per repeat, in document order. Keys compare by
/// their text after unquoting (`a` and `"a"` are the same key). Pairs found
/// before a syntax error are still returned.
pub fn duplicate_keys(text: &str) -> Vec<(KeyLocation, KeyLocation)> {
    Walk::run(text).duplicates
}

// ---------------------------------------------------------------------------
// Enums written as a bare scalar

// ---------------------------------------------------------------------------
// Errors

const MULTIPLE_DOCUMENTS: &str = "more than one YAML document (`---`); only one is read";

fn convert(text: &str, err: &saphyr::Error) -> YamlError {
    let original = original(err);
    let (line, column) = err
        .location()
        .or_else(|| original.location())
        .map(|l| (to_usize(l.line()), to_usize(l.column())))
        .unwrap_or((0, 0));
    // The nodes of the document, to name the path and describe what was found
    // (only on the error path: a second, cheap pass over the events).
    let walk = Walk::run(text);
    let at = |want_value: bool| {
        walk.nodes.iter().rev().find(|n| {
            n.line == line && n.column == column && (matches!(n.kind, Kind::Key) != want_value)
        })
    };
    let value = if line > 0 { at(true) } else { None };
    let key = if line > 0 { at(false) } else { None };
    let found = value.and_then(|n| describe(&n.kind));
    let mut message = message(original, found.as_deref(), &walk);
    // The path of the node at fault: the value's own, or for a key (unknown
    // field, unknown variant) the mapping it is in.
    let path = value
        .map(|n| n.path.as_str())
        .or(key.map(|n| n.parent.as_str()))
        .unwrap_or("");
    if !path.is_empty() {
        message = format!("{path}: {message}");
    }
    YamlError {
        line,
        column,
        message,
    }
}

fn to_usize(n: u64) -> usize {
    usize::try_from(n).unwrap_or(usize::MAX)
}

/// The error itself, without the wrappers that only add locations.
fn original(mut err: &saphyr::Error) -> &saphyr::Error {
    loop {
        match err {
            saphyr::Error::AliasError { error, .. } | saphyr::Error::WithSnippet { error, .. } => {
                err = error
            }
            _ => return err,
        }
    }
}

/// `serde`'s own wording (what `serde_yaml` printed) where serde-saphyr words
/// it differently or says less; serde-saphyr's wording otherwise.
fn message(err: &saphyr::Error, found: Option<&str>, walk: &Walk) -> String {
    use saphyr::Error as E;
    let invalid_type =
        |expected: &str| found.map(|found| format!("invalid type: {found}, expected {expected}"));
    let rewritten = match err {
        E::SerdeUnknownField {
            field, expected, ..
        } => Some(if expected.is_empty() {
            format!("unknown field `{field}`, there are no fields")
        } else {
            format!("unknown field `{field}`, expected {}", one_of(expected))
        }),
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => Some(if expected.is_empty() {
            format!("unknown variant `{variant}`, there are no variants")
        } else {
            format!("unknown variant `{variant}`, expected {}", one_of(expected))
        }),
        E::Unexpected { expected, .. } => match *expected {
            "sequence start" => invalid_type("a sequence"),
            "mapping start" => invalid_type("a map"),
            "string scalar" | "str expected" => invalid_type("a string"),
            _ => None,
        },
        E::InvalidBooleanStrict { .. } => invalid_type("a boolean"),
        E::InvalidScalar { ty, .. } => found.map(|found| {
            // A number out of the type's range is a wrong value, anything
            // else a wrong type (serde's distinction).
            let numeric = found.starts_with("integer") || found.starts_with("floating");
            let kind = if numeric { "value" } else { "type" };
            format!("invalid {kind}: {found}, expected {ty}")
        }),
        E::DuplicateMappingKey { key, location } => {
            let (line, column) = (to_usize(location.line()), to_usize(location.column()));
            let first = walk
                .duplicates
                .iter()
                .find(|(_, repeat)| repeat.line == line && repeat.column == column)
                .map(|(first, _)| first);
            Some(match (key, first) {
                (Some(k), Some(f)) => format!(
                    "duplicate key `{k}` (first on line {}, column {})",
                    f.line, f.column
                ),
                (Some(k), None) => format!("duplicate key `{k}`"),
                (None, _) => "duplicate key".to_string(),
            })
        }
        E::MultipleDocuments { .. } => Some(MULTIPLE_DOCUMENTS.to_string()),
        E::Eof { .. } if walk.error.is_none() && walk.nodes.is_empty() => {
            Some("empty document".to_string())
        }
        _ => None,
    };
    rewritten.unwrap_or_else(|| {
        saphyr::MessageFormatter::format_message(&saphyr::DefaultMessageFormatter, err).into_owned()
    })
}

/// serde's list of expected names: "`a`", "`a` or `b`", "one of `a`, `b`, `c`".
fn one_of(names: &[&str]) -> String {
    match names {
        [one] => format!("`{one}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!("one of {}", quoted.join(", "))
        }
    }
}

/// What a node is, in serde's words (`string "x"`, `integer `1``, `map`).
fn describe(kind: &Kind) -> Option<String> {
    Some(match kind {
        Kind::Key | Kind::Alias => return None,
        Kind::Map => "map".to_string(),
        Kind::Seq => "sequence".to_string(),
        Kind::Scalar {
            value,
            plain: false,
        } => format!("string {value:?}"),
        Kind::Scalar { value, plain: true } => {
            // Resolve the plain scalar as an untyped read would.
            match saphyr::from_str_with_options::<serde_json::Value>(value, options()) {
                Ok(serde_json::Value::Null) => "null".to_string(),
                Ok(serde_json::Value::Bool(b)) => format!("boolean `{b}`"),
                Ok(serde_json::Value::Number(n)) if n.is_f64() => {
                    format!("floating point `{n}`")
                }
                Ok(serde_json::Value::Number(n)) => format!("integer `{n}`"),
                _ => format!("string {value:?}"),
            }
        }
    })
}

// ---------------------------------------------------------------------------
// The document's nodes and keys, from the parser's events

#[derive(Debug)]
enum Kind {
    Key,
    Map,
    Seq,
    Scalar { value: String, plain: bool },
    Alias,
}

#[derive(Debug)]
struct Node {
    /// A key's path (`a.b`), or a value's (`a.b`, `a.list[0]`).
    path: String,
    /// For a key, the path of the mapping it is in.
    parent: String,
    line: usize,
    column: usize,
    kind: Kind,
}

enum Frame {
    Map {
        path: String,
        next: Next,
        seen: HashMap<String, KeyLocation>,
    },
    Seq {
        path: String,
        next: usize,
    },
}

/// What a mapping reads next.
enum Next {
    Key,
    /// Inside a collection that is a key (`? [a, b]: c`).
    InKey,
    /// The value of this key.
    Value(String),
    /// Inside a collection that is a value.
    InValue,
}

#[derive(Default)]
struct Walk {
    nodes: Vec<Node>,
    duplicates: Vec<(KeyLocation, KeyLocation)>,
    error: Option<YamlError>,
}

fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Walk {
    fn run(text: &str) -> Walk {
        let mut walk = Walk::default();
        let mut opts = parser::Options::default();
        opts.set_emit_comments(false);
        let mut events = parser::Parser::new_from_str_with_options(text, opts);
        let mut stack: Vec<Frame> = Vec::new();
        let mut documents = 0usize;
        while let Some(next) = events.next_event() {
            let (event, span) = match next {
                Ok(e) => e,
                Err(e) => {
                    walk.error = Some(YamlError {
                        line: e.marker().line(),
                        column: e.marker().col() + 1,
                        message: e.info(),
                    });
                    break;
                }
            };
            let (line, column) = (span.start.line(), span.start.col() + 1);
            match event {
                Event::DocumentStart(..) => {
                    documents += 1;
                    if documents > 1 {
                        walk.error = Some(YamlError {
                            line,
                            column,
                            message: MULTIPLE_DOCUMENTS.to_string(),
                        });
                        break;
                    }
                }
                Event::Scalar(value, style, ..) => {
                    let plain = matches!(style, ScalarStyle::Plain);
                    walk.node(
                        &mut stack,
                        line,
                        column,
                        Some(value.into_owned()),
                        plain,
                        None,
                    );
                }
                Event::Alias(..) => {
                    walk.node(&mut stack, line, column, None, false, None);
                }
                Event::MappingStart(..) => {
                    let path = walk.node(&mut stack, line, column, None, false, Some(Kind::Map));
                    stack.push(Frame::Map {
                        path,
                        next: Next::Key,
                        seen: HashMap::new(),
                    });
                }
                Event::SequenceStart(..) => {
                    let path = walk.node(&mut stack, line, column, None, false, Some(Kind::Seq));
                    stack.push(Frame::Seq { path, next: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    // The collection was a complete key or value of its parent.
                    if let Some(Frame::Map { next, .. }) = stack.last_mut() {
                        *next = match next {
                            Next::InKey => Next::Value("?".to_string()),
                            _ => Next::Key,
                        };
                    }
                }
                _ => {}
            }
        }
        walk
    }

    /// Records a node (a scalar or alias when `collection` is None) where the
    /// stack says it is; returns its path.
    fn node(
        &mut self,
        stack: &mut [Frame],
        line: usize,
        column: usize,
        scalar: Option<String>,
        plain: bool,
        collection: Option<Kind>,
    ) -> String {
        let is_collection = collection.is_some();
        let kind = collection.unwrap_or_else(|| match &scalar {
            Some(value) => Kind::Scalar {
                value: value.clone(),
                plain,
            },
            None => Kind::Alias,
        });
        let path = match stack.last_mut() {
            None => String::new(),
            Some(Frame::Seq { path, next }) => {
                *next += 1;
                format!("{path}[{}]", *next - 1)
            }
            Some(Frame::Map { path, next, seen }) => match std::mem::replace(next, Next::Key) {
                Next::Value(k) => {
                    // A value; a collection value completes at its end.
                    if is_collection {
                        *next = Next::InValue;
                    }
                    join(path, &k)
                }
                // (InKey/InValue: a node inside the collection, which has its
                // own frame: not seen here.)
                Next::Key | Next::InKey | Next::InValue => {
                    // A key. A scalar key is complete now; a collection key
                    // at its end.
                    let text = scalar.clone().unwrap_or_else(|| "?".to_string());
                    let here = KeyLocation {
                        path: join(path, &text),
                        line,
                        column,
                    };
                    if scalar.is_some() {
                        if let Some(first) = seen.get(&text) {
                            self.duplicates.push((first.clone(), here.clone()));
                        } else {
                            seen.insert(text.clone(), here.clone());
                        }
                    }
                    self.nodes.push(Node {
                        path: here.path.clone(),
                        parent: path.clone(),
                        line,
                        column,
                        kind: Kind::Key,
                    });
                    *next = if is_collection {
                        Next::InKey
                    } else {
                        Next::Value(text)
                    };
                    // Nodes inside a collection key get paths under the key.
                    return here.path;
                }
            },
        };
        self.nodes.push(Node {
            path: path.clone(),
            parent: String::new(),
            line,
            column,
            kind,
        });
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::{Value, json};

    /// The scenario files, from the harness crate (`../scenarios`) or, in the
    /// scratch crate this was written in, the project's checkout.
    fn scenario_files() -> Vec<std::path::PathBuf> {
        let here = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dir = [here.join("../scenarios"), "/work/main/scenarios".into()]
            .into_iter()
            .find(|d| d.is_dir())
            .expect("a scenarios directory");
        let mut files = Vec::new();
        for sub in std::fs::read_dir(&dir).unwrap() {
            let sub = sub.unwrap().path();
            if !sub.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(&sub).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(f);
                }
            }
        }
        files.sort();
        assert!(files.len() >= 8, "found only {files:?}");
        files
    }

    // --- 1. Values as serde_yaml 0.9 read them -----------------------------

    /// What serde_yaml 0.9 gives for each (checked against serde_yaml itself
    /// in the scratch crate's tests/serde_yaml_compat.rs).
    #[test]
    fn scalars_resolve_as_serde_yaml_did() {
        let text = "a: \"true\"\nb: true\nc: 1\nd: 1.5\ne: ~\nf: \"\"\ng: 0755\nh: '123'\n\
                    i: yes\nj: on\nk: y\nl: True\nm: NULL\nn:\no: 0o17\np: 0x1F\nq: 1_000\n\
                    r: .inf\ns: 2024-01-01\nt: 1e3\nu: -0\nv: +1\nw: 00\nx: 0X1F\ny: 1:20\n\
                    z: 12345678901234567890\n";
        let v: Value = from_str(text).unwrap();
        assert_eq!(
            v,
            json!({
                "a": "true", "b": true, "c": 1, "d": 1.5, "e": null, "f": "", "g": "0755",
                "h": "123", "i": "yes", "j": "on", "k": "y", "l": true, "m": null, "n": null,
                "o": 15, "p": 31, "q": "1_000", "r": null, "s": "2024-01-01", "t": 1000.0,
                "u": 0, "v": 1, "w": "00", "x": "0X1F", "y": "1:20",
                "z": 12345678901234567890u64,
            })
        );
        // Number kinds matter to serde_json equality: 1 is an integer, 1e3 a float.
        assert!(v["c"].is_u64() && v["t"].is_f64());
    }

    #[test]
    fn every_scenario_file_reads_and_round_trips() {
        for path in scenario_files() {
            let text = std::fs::read_to_string(&path).unwrap();
            let v: Value = from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(
                v["guide"].is_string() && v["steps"].is_array(),
                "{}",
                path.display()
            );
            let again: Value = from_str(&to_string(&v).unwrap()).unwrap();
            assert_eq!(again, v, "{}", path.display());
            assert!(duplicate_keys(&text).is_empty(), "{}", path.display());
            assert!(!key_locations(&text).unwrap().is_empty());
        }
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Texts {
        a: String,
        b: String,
        c: Option<String>,
        d: String,
    }

    #[test]
    fn null_spellings_into_a_string_are_their_text_as_serde_yaml_did() {
        let t: Texts = from_str("a: ~\nb:\nc: ~\nd: 1.50\n").unwrap();
        let expected = Texts {
            a: "~".into(),
            b: "".into(),
            c: None,
            d: "1.50".into(),
        };
        assert_eq!(t, expected);
    }

    #[test]
    fn aliases_are_resolved() {
        let v: Value = from_str("a: &x {u: 1}\nb: *x\nc: &s [1, 2]\nd: *s\n").unwrap();
        assert_eq!(
            v,
            json!({"a": {"u": 1}, "b": {"u": 1}, "c": [1, 2], "d": [1, 2]})
        );
    }

    #[test]
    fn merge_keys_are_expanded_unlike_serde_yaml() {
        // serde_yaml 0.9 gave {"<<": {...}, "y": 2}; YAML 1.1 readers (Go,
        // PyYAML) and serde-saphyr merge.
        let v: Value = from_str("base: &b {x: 1, y: 1}\nd:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(v["d"], json!({"x": 1, "y": 2}));
    }

    // --- 2. Externally tagged enums as one-key maps, no `with` ---------------

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Plan {
        steps: Vec<Step>,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    enum Step {
        BrowserLogin(BrowserLogin),
        Restart(Restartable),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct BrowserLogin {
        at: String,
        user: String,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Restartable {
        Dex,
        Apiserver,
    }

    #[test]
    fn steps_are_one_key_maps_natively() {
        let login = || {
            Step::BrowserLogin(BrowserLogin {
                at: "dex".into(),
                user: "u".into(),
            })
        };
        let flow: Plan =
            from_str("steps: [ {browser_login: {at: dex, user: u}}, {restart: dex} ]").unwrap();
        assert_eq!(flow.steps, vec![login(), Step::Restart(Restartable::Dex)]);
        let block: Plan = from_str(
            "steps:\n  - browser_login:\n      at: dex\n      user: u\n  - restart: apiserver\n",
        )
        .unwrap();
        assert_eq!(
            block.steps,
            vec![login(), Step::Restart(Restartable::Apiserver)]
        );
        // Aliased steps, as paletteai-apiserver/kubelogin.yaml writes them.
        let aliased: Plan =
            from_str("steps:\n  - browser_login: &l {at: dex, user: u}\n  - browser_login: *l\n")
                .unwrap();
        assert_eq!(aliased.steps, vec![login(), login()]);
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct StrictPlan {
        #[serde(deserialize_with = "crate::model::one_key::strict_enums")]
        steps: Vec<Step>,
        #[serde(default, deserialize_with = "crate::model::one_key::strict_enums")]
        more: Option<Vec<Step>>,
    }

    #[test]
    fn a_bare_verb_with_a_payload_takes_the_next_item_unless_strict() {
        // serde-saphyr 2.2.0: `restart` takes `apiserver` as its payload.
        let plan: Plan = from_str("steps: [restart, apiserver]").unwrap();
        assert_eq!(plan.steps, vec![Step::Restart(Restartable::Apiserver)]);
        let e = from_str::<Plan>("steps:\n  - restart\n  - browser_login: {at: dex, user: u}\n");
        assert_eq!(
            e.unwrap_err().to_string(),
            "3:5: steps[1]: unknown variant `browser_login`, expected `dex` or `apiserver`"
        );
        // With the helper, the bare verb is the error, where it is.
        let e = from_str::<StrictPlan>("steps: [restart, apiserver]").unwrap_err();
        assert_eq!(
            e.to_string(),
            "1:9: steps[0]: invalid type: unit variant, expected newtype variant"
        );
        let e = from_str::<StrictPlan>("steps: []\nmore:\n  - restart\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "3:5: more[0]: invalid type: unit variant, expected newtype variant"
        );
        // Everything else as without it.
        let plan: StrictPlan = from_str(
            "steps:\n  - browser_login: {at: dex, user: u}\n  - restart: dex\nmore: [{restart: apiserver}]\n",
        )
        .unwrap();
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.more, Some(vec![Step::Restart(Restartable::Apiserver)]));
        assert_eq!(from_str::<StrictPlan>("steps: []").unwrap().more, None);
        let e = from_str::<StrictPlan>("steps:\n  - browser_logon: {}\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:5: steps[0]: unknown variant `browser_logon`, expected `browser_login` or `restart`"
        );
        let e = from_str::<StrictPlan>("steps:\n  - browser_login: {at: dex, usr: u}\n");
        assert_eq!(
            e.unwrap_err().to_string(),
            "2:30: steps[0].browser_login: unknown field `usr`, expected `at` or `user`"
        );
        let e = from_str::<StrictPlan>("steps:\n  - restart: dex\n    x: 1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "2:5: steps[0]: expected a map with one key, the variant; found more keys"
        );
    }

    // --- 3. Errors where the problem is, in serde's words --------------------

    /// The harness's Scenario, its keys and step verbs exactly (values loose).
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Scenario {
        guide: String,
        source: String,
        description: String,
        #[serde(default)]
        findings: Vec<String>,
        #[serde(default)]
        keycloak: Option<Value>,
        #[serde(default)]
        dex: Option<Value>,
        #[serde(default)]
        app: Option<Value>,
        #[serde(default)]
        apiserver: Option<Value>,
        #[serde(default)]
        impersonation_proxy: Option<Value>,
        #[serde(default)]
        oauth2_proxy: Option<Value>,
        #[serde(default)]
        osmo_values: Option<Value>,
        #[serde(default)]
        istio: Option<Value>,
        steps: Vec<Verb>,
        #[serde(default)]
        variants: Vec<Value>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case", deny_unknown_fields)]
    #[allow(dead_code)]
    enum Verb {
        PasswordGrant(Value),
        BrowserLogin(Login),
        Kubelogin(Value),
        Kubectl(Value),
        CanI(Value),
        ProxyCanI(Value),
        ProxyLogin(Value),
        HttpGet(Value),
        Oauth2ProxyStart(Value),
        SetCredentials(Value),
        Restart(Restartable),
        WaitTokenExpired(Value),
        DexStart(Value),
        Discovery(Value),
        DeviceLogin(Value),
        EnvoyJwt(Value),
        SetPassword(Value),
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Login {
        at: String,
        user: String,
        #[serde(default)]
        lifetime: Option<u16>,
        #[serde(default)]
        refresh: Option<bool>,
    }

    #[track_caller]
    fn error(tail: &str) -> String {
        let text = format!("guide: g\nsource: s\ndescription: d\n{tail}");
        let e = from_str::<Scenario>(&text).unwrap_err();
        let shown = e.to_string();
        assert_eq!(shown, format!("{}:{}: {}", e.line, e.column, e.message));
        assert!(!e.message.contains(" at line "), "{shown}");
        shown
    }

    #[test]
    fn unknown_key_is_located_with_the_valid_keys() {
        // Byte for byte what harness/src/scenario/mod.rs expects today.
        assert_eq!(
            error("stepz: []\n"),
            "4:1: unknown field `stepz`, expected one of `guide`, `source`, `description`, \
             `findings`, `keycloak`, `dex`, `app`, `apiserver`, `impersonation_proxy`, \
             `oauth2_proxy`, `osmo_values`, `istio`, `steps`, `variants`"
        );
        assert_eq!(
            error("steps:\n  - browser_login: {at: dex, user: u, usr: x}\n"),
            "5:39: steps[0].browser_login: unknown field `usr`, expected one of `at`, `user`, \
             `lifetime`, `refresh`"
        );
    }

    #[test]
    fn unknown_verb_is_located_with_its_path() {
        // Byte for byte what harness/src/scenario/mod.rs expects today.
        assert_eq!(
            error("steps:\n  - browser_logon: {}\n"),
            "5:5: steps[0]: unknown variant `browser_logon`, expected one of `password_grant`, \
             `browser_login`, `kubelogin`, `kubectl`, `can_i`, `proxy_can_i`, `proxy_login`, \
             `http_get`, `oauth2_proxy_start`, `set_credentials`, `restart`, \
             `wait_token_expired`, `dex_start`, `discovery`, `device_login`, `envoy_jwt`, \
             `set_password`"
        );
        assert_eq!(
            error("steps:\n  - restart: dexx\n"),
            "5:14: steps[0].restart: unknown variant `dexx`, expected `dex` or `apiserver`"
        );
    }

    #[test]
    fn type_errors_point_at_the_value() {
        assert_eq!(
            error("findings: hello\nsteps: []\n"),
            "4:11: findings: invalid type: string \"hello\", expected a sequence"
        );
        assert_eq!(
            error("steps: {a: 1}\n"),
            "4:8: steps: invalid type: map, expected a sequence"
        );
        assert_eq!(
            error("steps:\n  - browser_login: {at: dex, user: [u]}\n"),
            "5:36: steps[0].browser_login.user: invalid type: sequence, expected a string"
        );
        assert_eq!(
            error("steps:\n  - browser_login: {at: dex, user: u, lifetime: 70000}\n"),
            "5:49: steps[0].browser_login.lifetime: invalid value: integer `70000`, expected u16"
        );
        assert_eq!(
            error("steps:\n  - browser_login: {at: dex, user: u, refresh: yes}\n"),
            "5:48: steps[0].browser_login.refresh: invalid type: string \"yes\", expected a boolean"
        );
        assert_eq!(
            error("steps:\n  - browser_login:\n      at: dex\n"),
            "6:7: steps[0].browser_login: missing field `user`"
        );
    }

    #[test]
    fn syntax_errors_are_located() {
        assert_eq!(
            error("steps:\n  - restart: dex\n   - restart: dex\n"),
            "6:4: while parsing a block collection, did not find expected '-' indicator"
        );
        assert_eq!(
            error("steps:\n - restart: dex\n  bad: 1\n"),
            "6:3: while parsing a block collection, did not find expected '-' indicator"
        );
        assert_eq!(error("steps: []\napp: \"open\n"), "5:6: unclosed quote");
        assert_eq!(error("steps: [a\n"), "4:8: steps: unclosed bracket '['");
        assert_eq!(
            error("steps:\n\t- restart: dex\n"),
            "5:2: tabs disallowed within this context (block indentation)"
        );
        assert_eq!(
            error("steps: *nope\n"),
            "4:8: alias references unknown anchor"
        );
        assert_eq!(
            error("steps: []\n---\nguide: h\n"),
            "6:1: more than one YAML document (`---`); only one is read"
        );
    }

    #[test]
    fn duplicate_key_is_an_error_naming_both_places() {
        assert_eq!(
            error("source: again\nsteps: []\n"),
            "4:1: duplicate key `source` (first on line 2, column 1)"
        );
        assert_eq!(
            error("dex:\n  config: {issuer: a, issuer: b}\nsteps: []\n"),
            "5:23: dex.config: duplicate key `issuer` (first on line 5, column 12)"
        );
        // Also in an untyped read (serde_yaml kept the last value).
        let e = from_str::<Value>("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "3:1: duplicate key `a` (first on line 1, column 1)"
        );
    }

    // --- 4. Writing for Go's readers ------------------------------------------

    fn tricky() -> Value {
        json!({
            "strings": ["true", "false", "True", "yes", "no", "on", "off", "y", "n", "1", "-1",
                        "1.5", "1e3", "", " ", "0755", "0o17", "0x1F", "1_000", "null", "Null",
                        "~", "a: b", "#x", "x #y", "- a", "[a]", "{a}", "*a", "&a", "!a", "%a",
                        "@a", "'q'", "\"dq\"", ".inf", ".nan", "2024-01-01", "12:30:00", "<<",
                        "=", "-", "?", ":", "a:", "a\tb", "trailing ", " leading", "é😀",
                        "\u{7}bell", "\u{feff}bom", "back\\slash"],
            "multi": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
            "multi_no_newline": "line1\nline2",
            "multi_blank_lines": "a\n\n\n",
            "multi_indented": "  indented\nnext\n",
            "multi_trailing_spaces": "a  \nb \n",
            "crlf": "a\r\nb\r\n",
            "newline": "\n",
            "long": "word ".repeat(40),
            "long_spaces": "a  b  ".repeat(30),
            "cel": "claims.email_verified == true && 'admin' in claims.groups ? \"x\" : \"y\"",
            "nested": {"list": [1, -2, 2.5, 1e300, true, null, {"a": []}, [], {}, [[1]]],
                       "empty_map": {}, "empty_list": []},
            "big": 12345678901234567890u64,
            "keys": {"true": 1, "1": 2, "": 3, "null": 4, "a: b": 5, "#": 6, "yes": 7},
        })
    }

    #[test]
    fn written_yaml_reads_back_equal() {
        let v = tricky();
        let text = to_string(&v).unwrap();
        let back: Value = from_str(&text).unwrap();
        assert_eq!(back, v, "{text}");
        // Read as a YAML 1.1 reader does (sigs.k8s.io/yaml, yaml.v2: `yes` is
        // a boolean, `0755` octal): still the same strings.
        let yaml11 = saphyr::options! { legacy_octal_numbers: true, with_snippet: false };
        let back11: Value = saphyr::from_str_with_options(&text, yaml11).unwrap();
        assert_eq!(back11, v, "{text}");
    }

    #[test]
    fn strings_that_look_like_other_things_are_quoted() {
        let v = json!({"s": ["true", "1", "", "0755", "null", "a: b", "#x", "yes", "on", "~",
                             "1.5", "2024-01-01", "plain"]});
        let text = to_string(&v).unwrap();
        assert_eq!(
            text,
            "s:\n- \"true\"\n- \"1\"\n- \"\"\n- \"0755\"\n- \"null\"\n- \"a: b\"\n- \"#x\"\n\
             - \"yes\"\n- \"on\"\n- \"~\"\n- \"1.5\"\n- \"2024-01-01\"\n- plain\n"
        );
        let multi = to_string(&json!({"ca": "line1\nline2\n", "k": {"a": [1, {"b": null}]}}));
        assert_eq!(
            multi.unwrap(),
            "ca: |\n  line1\n  line2\nk:\n  a:\n  - 1\n  - b: null\n"
        );
    }

    // --- 5. Keys and where they are --------------------------------------------

    const KEYS: &str = "\
issuer: https://a
connectors:
  - type: oidc
    config:
      insecureEnableGroup: true
      \"quoted key\": 1
  - {id: x, config: {insecureEnableGroup: false, 'b': 2}}
issuer: https://b
flow: {a: 1, b: 2, a: 3}
";

    fn at(path: &str, line: usize, column: usize) -> KeyLocation {
        KeyLocation {
            path: path.into(),
            line,
            column,
        }
    }

    #[test]
    fn key_locations_by_position() {
        assert_eq!(
            key_locations(KEYS).unwrap(),
            vec![
                at("issuer", 1, 1),
                at("connectors", 2, 1),
                at("connectors[0].type", 3, 5),
                at("connectors[0].config", 4, 5),
                at("connectors[0].config.insecureEnableGroup", 5, 7),
                at("connectors[0].config.quoted key", 6, 7),
                at("connectors[1].id", 7, 6),
                at("connectors[1].config", 7, 13),
                at("connectors[1].config.insecureEnableGroup", 7, 22),
                at("connectors[1].config.b", 7, 50),
                at("issuer", 8, 1),
                at("flow", 9, 1),
                at("flow.a", 9, 8),
                at("flow.b", 9, 14),
                at("flow.a", 9, 20),
            ]
        );
        assert_eq!(
            key_locations("- a: 1\n- [{b: 2}]\nx: 1\n")
                .unwrap_err()
                .to_string(),
            "3:1: while parsing a block collection, did not find expected '-' indicator"
        );
        assert_eq!(key_locations("").unwrap(), vec![]);
        // An alias adds no keys: they are where the anchor is.
        assert_eq!(
            key_locations("a: &x {k: 1}\nb: *x\n").unwrap(),
            vec![at("a", 1, 1), at("a.k", 1, 8), at("b", 2, 1)]
        );
    }

    #[test]
    fn duplicate_keys_name_both_places() {
        assert_eq!(
            duplicate_keys(KEYS),
            vec![
                (at("issuer", 1, 1), at("issuer", 8, 1)),
                (at("flow.a", 9, 8), at("flow.a", 9, 20)),
            ]
        );
        // `a` and "a" are one key; the same key in two mappings is no repeat.
        assert_eq!(
            duplicate_keys("m: {a: 1, \"a\": 2}\nl: [{a: 1}, {a: 2}]\n"),
            vec![(at("m.a", 1, 5), at("m.a", 1, 11))]
        );
        // Found before a syntax error, still reported.
        assert_eq!(
            duplicate_keys("a: 1\na: 2\nb: [\n"),
            vec![(at("a", 1, 1), at("a", 2, 1))]
        );
        assert!(duplicate_keys(&"a: 1\n".repeat(3)).len() == 2);
    }

    // --- 6. Hostile and degenerate input --------------------------------------

    #[test]
    fn empty_input() {
        assert_eq!(from_str::<Value>("").unwrap(), Value::Null);
        assert_eq!(
            from_str::<Value>("# only a comment\n").unwrap(),
            Value::Null
        );
        assert_eq!(from_str::<Option<Plan>>("").unwrap(), None);
        assert_eq!(
            from_str::<Plan>("").unwrap_err().to_string(),
            "1:1: empty document"
        );
        assert_eq!(
            from_str::<Plan>("---\n").unwrap_err().to_string(),
            "1:4: invalid type: null, expected a map"
        );
    }

    /// A small deterministic generator (no rand dependency).
    fn bytes(seed: u64, n: usize) -> Vec<u8> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(from_str::<Value>("\0").is_err());
        assert!(from_str::<Value>("a: \0\n").is_err());
        assert!(from_str::<Plan>("steps: [\0]").is_err());
        for seed in 0..200 {
            let raw = bytes(seed, 1 + (seed as usize * 37) % 4096);
            let text = String::from_utf8_lossy(&raw);
            // A control character (NUL, ...) is not YAML, wherever it is.
            let value = from_str::<Value>(&text);
            let control = text
                .chars()
                .any(|c| (c < ' ' && !"\t\n\r".contains(c)) || c == '\x7f');
            assert!(value.is_err() || !control, "seed {seed}: {value:?}");
            assert!(from_str::<Plan>(&text).is_err());
            let _ = key_locations(&text);
            let _ = duplicate_keys(&text);
        }
        // Printable garbage, including YAML's indicators.
        let alphabet = b"{}[]:,-?&*!|>'\"%@` #\n\ta1";
        for seed in 0..300 {
            let text: String = bytes(seed, 200)
                .iter()
                .map(|b| alphabet[*b as usize % alphabet.len()] as char)
                .collect();
            let _ = from_str::<Value>(&text);
            let _ = from_str::<Plan>(&text);
            let _ = key_locations(&text);
            let _ = duplicate_keys(&text);
        }
    }

    #[test]
    fn large_input() {
        // 1 MB of ordinary YAML reads; the same size of nesting or aliases is
        // refused by the parser's limits, as an error.
        let mut big = String::from("items:\n");
        while big.len() < 1 << 20 {
            big.push_str("  - {name: item, value: \"0755\", on: yes}\n");
        }
        let v: Value = from_str(&big).unwrap();
        assert!(v["items"].as_array().unwrap().len() > 20_000);
        assert_eq!(v["items"][0]["on"], "yes");
        assert_eq!(
            key_locations(&big).unwrap().len(),
            1 + 3 * v["items"].as_array().unwrap().len()
        );

        let deep = "[".repeat(1 << 20);
        let e = from_str::<Value>(&deep).unwrap_err();
        assert!(e.line == 1 && e.column > 1, "{e}");
        assert!(key_locations(&deep).is_err());

        let block: String = (0..2000)
            .map(|i| format!("{}- \n", " ".repeat(i * 2)))
            .collect();
        assert!(from_str::<Value>(&block).is_err());

        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..20 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        assert!(from_str::<Value>(&bomb).is_err());

        let huge_key = format!("{}: 1\n", "k".repeat(1 << 20));
        let _ = from_str::<Value>(&huge_key);
        let _ = key_locations(&huge_key);
    }
}
