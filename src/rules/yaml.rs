//! A YAML document as a small tree of nodes, each with the place it starts at, built from
//! the events of `libyaml-safer` (a safe Rust port of libyaml: it accepts what libyaml and
//! yaml-cpp accept, such as a flow list's `]` at its key's indentation, which Falco's own
//! rules files use). Scalars keep their text and whether they were quoted (YAML types are
//! read where a key wants them, as Falco reads them), and every node knows its line and
//! column for diagnostics.

use libyaml_safer::{EventData, Parser, ScalarStyle};

/// Where a node starts: byte offset, 1-based line, 0-based column (as Falco reports them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    /// Offset in characters from the start of the content.
    pub offset: usize,
    /// Line, counted from 1.
    pub line: usize,
    /// Column, counted from 0.
    pub column: usize,
}

impl From<libyaml_safer::Mark> for Mark {
    fn from(m: libyaml_safer::Mark) -> Self {
        Mark {
            offset: m.index as usize,
            line: m.line as usize + 1,
            column: m.column as usize,
        }
    }
}

/// A YAML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `~`, `null`, or nothing.
    Null,
    /// A scalar: its text, and whether it was written plain (unquoted).
    Scalar(String, bool),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order.
    Map(Vec<(Node, Node)>),
}

/// A YAML node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// What it is.
    pub kind: Kind,
    /// Where it starts.
    pub mark: Mark,
}

impl Node {
    /// The value under `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(&k.kind, Kind::Scalar(s, _) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The scalar's text.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    /// Whether the node is null.
    pub fn is_null(&self) -> bool {
        self.kind == Kind::Null
    }

    /// The scalar read as a boolean, with the spellings YAML 1.1 allows (`true`, `yes`,
    /// `on`, `y`, and their opposites, in any of the usual cases).
    pub fn as_bool(&self) -> Option<bool> {
        parse_bool(self.as_str()?)
    }

    /// The sequence's items.
    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }
}

/// A YAML 1.1 boolean.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Why content is not YAML, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub mark: Mark,
}

/// Builds nodes from parser events.
#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    /// Open sequences and mappings, with their anchors and, in a mapping, the key waiting
    /// for its value.
    stack: Vec<(Node, Option<String>, Option<Node>)>,
    anchors: Vec<(String, Node)>,
    /// Nodes made so far, aliases counted by the size of what they copy.
    nodes: usize,
}

/// Most nodes a content may make: aliases copy their anchor's tree, so a few lines can
/// ask for billions ("billion laughs"); rules files have tens of thousands.
const MAX_NODES: usize = 2_000_000;

fn size(n: &Node) -> usize {
    1 + match &n.kind {
        Kind::Seq(v) => v.iter().map(size).sum(),
        Kind::Map(v) => v.iter().map(|(k, x)| size(k) + size(x)).sum(),
        _ => 0,
    }
}

/// Deepest nesting accepted: keeps hostile input from building absurd trees.
const MAX_DEPTH: usize = 64;

impl Builder {
    fn push(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some((parent, _, pending)) => match &mut parent.kind {
                Kind::Seq(items) => items.push(node),
                Kind::Map(entries) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                _ => {}
            },
        }
    }

    fn remember(&mut self, anchor: Option<String>, node: &Node) {
        if let Some(a) = anchor {
            self.anchors.push((a, node.clone()));
        }
    }

    fn open(&mut self, kind: Kind, anchor: Option<String>, mark: Mark) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                mark,
            });
        }
        self.stack.push((Node { kind, mark }, anchor, None));
        Ok(())
    }

    fn event(&mut self, ev: EventData, mark: Mark) -> Result<bool, YamlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                message: format!("more than {MAX_NODES} nodes (aliases included)"),
                mark,
            });
        }
        match ev {
            EventData::Scalar {
                anchor,
                value,
                style,
                ..
            } => {
                let plain = style == ScalarStyle::Plain;
                let kind = if plain && matches!(value.as_str(), "" | "~" | "null" | "Null" | "NULL")
                {
                    Kind::Null
                } else {
                    Kind::Scalar(value, plain)
                };
                let node = Node { kind, mark };
                self.remember(anchor, &node);
                self.push(node);
            }
            EventData::SequenceStart { anchor, .. } => {
                self.open(Kind::Seq(Vec::new()), anchor, mark)?
            }
            EventData::MappingStart { anchor, .. } => {
                self.open(Kind::Map(Vec::new()), anchor, mark)?
            }
            EventData::SequenceEnd | EventData::MappingEnd => {
                if let Some((node, anchor, _)) = self.stack.pop() {
                    self.remember(anchor, &node);
                    self.push(node);
                }
            }
            EventData::Alias { anchor } => {
                let node = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(a, _)| *a == anchor)
                    .map(|(_, n)| n.clone())
                    .ok_or_else(|| YamlError {
                        message: format!("unknown anchor '{anchor}'"),
                        mark,
                    })?;
                self.nodes += size(&node);
                if self.nodes > MAX_NODES {
                    return Err(YamlError {
                        message: format!("more than {MAX_NODES} nodes (aliases included)"),
                        mark,
                    });
                }
                self.push(node);
            }
            EventData::DocumentStart { .. } => self.anchors.clear(),
            EventData::StreamEnd => return Ok(false),
            EventData::DocumentEnd { .. } | EventData::StreamStart { .. } => {}
        }
        Ok(true)
    }
}

/// Every document of `text`. An empty document is a null node.
pub fn load_all(text: &str) -> Result<Vec<Node>, YamlError> {
    // libyaml-safer 0.3 panics on a block scalar (`condition: >`) that ends the content
    // without a line break, as a file without a final newline does: give it one.
    let owned;
    let text = if text.ends_with('\n') {
        text
    } else {
        owned = format!("{text}\n");
        &owned
    };
    // And should the parser panic on some other input, that is a parse error, not a crash.
    std::panic::catch_unwind(|| parse_all(text)).unwrap_or_else(|_| {
        Err(YamlError {
            message: "the YAML parser failed on this content".into(),
            mark: Mark::default(),
        })
    })
}

fn parse_all(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut b = Builder::default();
    let mut input = text.as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    loop {
        let ev = parser.parse().map_err(|e| YamlError {
            message: e.problem().to_string(),
            mark: e.problem_mark().map(Mark::from).unwrap_or_default(),
        })?;
        let mark = Mark::from(ev.start_mark);
        if !b.event(ev.data, mark)? {
            break;
        }
    }
    Ok(b.docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_order_quotes_and_places() {
        let docs =
            load_all("- a: 1\n  b: 'x'\n- [c, ~]\n---\nz: &A [1]\nw: *A\nv: [\n  1\n]\n").unwrap();
        assert_eq!(docs.len(), 2);
        let first = docs[0].as_seq().unwrap();
        assert_eq!(
            first[0].get("a").unwrap().kind,
            Kind::Scalar("1".into(), true)
        );
        assert_eq!(
            first[0].get("b").unwrap().kind,
            Kind::Scalar("x".into(), false)
        );
        assert_eq!(first[1].mark.line, 3);
        assert!(first[1].as_seq().unwrap()[1].is_null());
        assert_eq!(docs[1].get("w").unwrap().as_seq().unwrap().len(), 1);
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..9 {
            let prev = (b'a' + i) as char;
            let next = (b'b' + i) as char;
            text.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let e = load_all(&text).unwrap_err();
        assert!(e.message.contains("nodes"), "{e:?}");
        let deep = "[".repeat(100_000);
        assert!(load_all(&deep).is_err());
    }

    #[test]
    fn content_without_a_final_newline_reads() {
        let docs = load_all("- macro: a\n  condition: >\n    evt.type=open").unwrap();
        let m = &docs[0].as_seq().unwrap()[0];
        assert_eq!(
            m.get("condition").unwrap().as_str(),
            Some("evt.type=open\n")
        );
        assert!(load_all("a: |").is_ok());
    }

    #[test]
    fn bad_yaml_says_where() {
        let e = load_all("this : is : not : yaml").unwrap_err();
        assert_eq!(e.mark.line, 1);
        assert!(e.mark.column > 0, "{e:?}");
    }
}
