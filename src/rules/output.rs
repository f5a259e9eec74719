//! Alerts as Falco prints them: the text line `TIME: Priority OUTPUT`, or one JSON object
//! with the keys in Falco's order and the output's fields under `output_fields`.

use hashbrown::HashMap;

use super::Rule;
use crate::fields::{push_iso8601, push_time};
use crate::format::{Format, push_json_string};
use crate::inspector::Event;

/// How alerts are written. Built once, then [`AlertFormat::write`] per alert.
#[derive(Debug)]
pub struct AlertFormat {
    json: bool,
    iso8601: bool,
    hostname: String,
    include_output: bool,
    include_tags: bool,
    /// Per rule (by name): the format of the output's fields with the time field, for
    /// `output_fields`.
    fields: HashMap<String, Format>,
    text: String,
}

impl AlertFormat {
    /// Text alerts with the local time: `16:17:57.881781397: Warning An open was seen`.
    pub fn text() -> AlertFormat {
        AlertFormat {
            json: false,
            iso8601: false,
            hostname: String::new(),
            include_output: true,
            include_tags: true,
            fields: HashMap::new(),
            text: String::new(),
        }
    }

    /// JSON alerts, with `hostname` as their host name.
    pub fn json(hostname: &str) -> AlertFormat {
        AlertFormat {
            json: true,
            hostname: hostname.to_string(),
            ..AlertFormat::text()
        }
    }

    /// Times in ISO 8601 (UTC) instead of the local time of day.
    pub fn iso8601(mut self, yes: bool) -> AlertFormat {
        self.iso8601 = yes;
        self
    }

    /// Whether JSON alerts carry the text line under `output` (default yes).
    pub fn include_output(mut self, yes: bool) -> AlertFormat {
        self.include_output = yes;
        self
    }

    /// Whether JSON alerts carry the rule's `tags` (default yes).
    pub fn include_tags(mut self, yes: bool) -> AlertFormat {
        self.include_tags = yes;
        self
    }

    /// Writes the alert of `rule` for `ev` into `out` (cleared first), without a newline.
    pub fn write(&mut self, rule: &Rule, ev: &Event<'_>, out: &mut String) {
        let mut line = std::mem::take(&mut self.text);
        let ts = ev.event().ts();
        self.line(rule.priority().name(), ts, &mut line);
        rule.format.render(ev.view(), &mut self.text);
        line.push_str(&self.text);
        if !self.json {
            out.clear();
            out.push_str(&line);
            self.text = line;
            return;
        }
        let key = rule.name();
        if !self.fields.contains_key(key) {
            let time = if self.iso8601 {
                "%evt.time.iso8601"
            } else {
                "%evt.time"
            };
            let f = Format::parse(&format!("*{time} {}", rule.output()))
                .or_else(|_| Format::parse(&format!("*{time}")))
                .expect("the time fields are fields");
            self.fields.insert(key.to_string(), f);
        }
        let mut fields = String::new();
        self.fields[key].render_json(ev.view(), &mut fields);
        self.object(
            rule.name(),
            rule.priority().name(),
            rule.tags(),
            &line,
            ts,
            out,
        );
        // Falco splices the fields in before the closing brace, with its own spacing.
        out.pop();
        out.push_str(", \"output_fields\": ");
        out.push_str(&fields);
        out.push('}');
        self.text = line;
    }

    /// Writes a notification that is not a rule match (Falco's internal messages, such as
    /// the syscall-drop alert), at event time `ts`: `TIME: Debug MESSAGE`.
    pub fn write_message(
        &mut self,
        priority: super::Priority,
        msg: &str,
        ts: u64,
        out: &mut String,
    ) {
        let mut line = String::new();
        self.line(priority.name(), ts, &mut line);
        line.push_str(msg);
        if self.json {
            self.object(msg, priority.name(), &[], &line, ts, out);
        } else {
            *out = line;
        }
    }

    /// The `TIME: Priority ` prefix.
    fn line(&self, priority: &str, ts: u64, out: &mut String) {
        out.clear();
        if self.iso8601 {
            push_iso8601(out, ts);
        } else {
            push_time(out, ts, false);
        }
        out.push_str(": ");
        out.push_str(priority);
        out.push(' ');
    }

    fn object(
        &self,
        rule: &str,
        priority: &str,
        tags: &[String],
        line: &str,
        ts: u64,
        out: &mut String,
    ) {
        out.clear();
        out.push_str("{\"hostname\":");
        push_json_string(out, &self.hostname);
        if self.include_output {
            out.push_str(",\"output\":");
            push_json_string(out, line);
        }
        out.push_str(",\"priority\":");
        push_json_string(out, priority);
        out.push_str(",\"rule\":");
        push_json_string(out, rule);
        out.push_str(",\"source\":\"syscall\"");
        if self.include_tags {
            out.push_str(",\"tags\":[");
            for (i, t) in tags.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_string(out, t);
            }
            out.push(']');
        }
        out.push_str(",\"time\":");
        let mut t = String::new();
        push_iso8601(&mut t, ts);
        let t = t
            .strip_suffix("+0000")
            .map_or(t.clone(), |s| format!("{s}Z"));
        push_json_string(out, &t);
        out.push('}');
    }
}
