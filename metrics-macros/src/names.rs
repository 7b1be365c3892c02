//! The Prometheus data model's name rules, as coremeter checks them at run time, checked here
//! at compile time.

/// `None` if `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), else why not.
pub(crate) fn metric_name_error(name: &str) -> Option<String> {
    chars_error(name, true, false)
}

/// As [`metric_name_error`] for a label name (no `:`, no `__` prefix).
pub(crate) fn label_name_error(name: &str) -> Option<String> {
    if let Some(e) = chars_error(name, false, false) {
        return Some(e);
    }
    name.starts_with("__")
        .then(|| "names starting with `__` are reserved for Prometheus' own use".to_owned())
}

/// As [`metric_name_error`] for a unit (`[a-zA-Z0-9_]+`).
pub(crate) fn unit_error(unit: &str) -> Option<String> {
    chars_error(unit, false, true)
}

/// For a unit that measures time in something other than seconds (`ms`, `milliseconds`,
/// `minutes`, ..): what to write instead. Prometheus' base unit of time is the second, and what
/// `#[timed]` records into a histogram, summary or statistics is seconds.
pub(crate) fn time_unit_error(unit: &str) -> Option<String> {
    const OTHER_TIME_UNITS: &[(&str, &str)] = &[
        ("ns", "nanoseconds"),
        ("nanosecond", "nanoseconds"),
        ("nanoseconds", "nanoseconds"),
        ("nsec", "nanoseconds"),
        ("us", "microseconds"),
        ("µs", "microseconds"),
        ("usec", "microseconds"),
        ("microsecond", "microseconds"),
        ("microseconds", "microseconds"),
        ("ms", "milliseconds"),
        ("msec", "milliseconds"),
        ("millis", "milliseconds"),
        ("millisecond", "milliseconds"),
        ("milliseconds", "milliseconds"),
        ("s", "seconds"),
        ("sec", "seconds"),
        ("secs", "seconds"),
        ("second", "seconds"),
        ("min", "minutes"),
        ("mins", "minutes"),
        ("minute", "minutes"),
        ("minutes", "minutes"),
        ("h", "hours"),
        ("hour", "hours"),
        ("hours", "hours"),
        ("day", "days"),
        ("days", "days"),
        ("week", "weeks"),
        ("weeks", "weeks"),
    ];
    let lower = unit.to_ascii_lowercase();
    let (_, what) = OTHER_TIME_UNITS.iter().find(|(u, _)| *u == lower)?;
    Some(if *what == "seconds" {
        format!(
            "unit {unit:?} is written `seconds`: Prometheus' base unit of time, the one its \
             conventions (and #[timed]) use; write unit = \"seconds\""
        )
    } else {
        format!(
            "unit {unit:?} measures time in {what}, and a duration in Prometheus is in seconds \
             (its base unit; #[timed] records seconds): write unit = \"seconds\" and observe \
             seconds (a `Duration`'s `as_secs_f64()`)"
        )
    })
}

fn chars_error(name: &str, colon: bool, leading_digit: bool) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".to_owned());
    }
    for (i, c) in name.char_indices() {
        let ok = c.is_ascii_alphabetic()
            || c == '_'
            || (c.is_ascii_digit() && (i > 0 || leading_digit))
            || (c == ':' && colon);
        if !ok {
            let allowed = match (colon, leading_digit) {
                (true, _) => "[a-zA-Z_:][a-zA-Z0-9_:]*",
                (false, false) => "[a-zA-Z_][a-zA-Z0-9_]*",
                (false, true) => "[a-zA-Z0-9_]+",
            };
            return Some(format!(
                "{c:?} at byte {i} is not allowed: names are {allowed}"
            ));
        }
    }
    None
}

/// `PascalCase` or `snake_case` identifiers in another case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    Lower,
    Upper,
    Snake,
    ScreamingSnake,
    Kebab,
    Camel,
    Pascal,
}

impl Case {
    pub(crate) const ALL: &'static str = "\"lowercase\", \"UPPERCASE\", \"snake_case\", \"SCREAMING_SNAKE_CASE\", \"kebab-case\", \"camelCase\", \"PascalCase\"";

    pub(crate) fn from_str(s: &str) -> Option<Case> {
        Some(match s {
            "lowercase" => Case::Lower,
            "UPPERCASE" => Case::Upper,
            "snake_case" => Case::Snake,
            "SCREAMING_SNAKE_CASE" => Case::ScreamingSnake,
            "kebab-case" => Case::Kebab,
            "camelCase" => Case::Camel,
            "PascalCase" => Case::Pascal,
            _ => return None,
        })
    }

    /// Applies the case to an identifier written in `PascalCase` or `snake_case`.
    pub(crate) fn apply(self, ident: &str) -> String {
        let words = words(ident);
        match self {
            Case::Lower => words.concat().to_lowercase(),
            Case::Upper => words.concat().to_uppercase(),
            Case::Snake => join(&words, "_").to_lowercase(),
            Case::ScreamingSnake => join(&words, "_").to_uppercase(),
            Case::Kebab => join(&words, "-").to_lowercase(),
            Case::Camel => {
                let mut out = String::new();
                for (i, w) in words.iter().enumerate() {
                    if i == 0 {
                        out.push_str(&w.to_lowercase());
                    } else {
                        out.push_str(&capitalize(w));
                    }
                }
                out
            }
            Case::Pascal => words.iter().map(|w| capitalize(w)).collect(),
        }
    }
}

fn join(words: &[String], sep: &str) -> String {
    words.join(sep)
}

fn capitalize(w: &str) -> String {
    let mut chars = w.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// The words of `PascalCase`, `camelCase` or `snake_case`.
fn words(ident: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = ident.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !current.is_empty()
            && (chars[i - 1].is_lowercase()
                || chars[i - 1].is_ascii_digit()
                || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            words.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(Case::Snake.apply("HttpGet"), "http_get");
        assert_eq!(Case::Snake.apply("HTTPServer"), "http_server");
        assert_eq!(Case::ScreamingSnake.apply("NotFound"), "NOT_FOUND");
        assert_eq!(Case::Kebab.apply("NotFound"), "not-found");
        assert_eq!(Case::Camel.apply("NotFound"), "notFound");
        assert_eq!(Case::Pascal.apply("not_found"), "NotFound");
        assert_eq!(Case::Lower.apply("Get"), "get");
        assert_eq!(Case::Upper.apply("Get"), "GET");
        assert_eq!(Case::Snake.apply("Status2xx"), "status2xx");
    }

    #[test]
    fn names() {
        assert!(metric_name_error("a:b_1").is_none());
        assert!(metric_name_error("1a").is_some());
        assert!(label_name_error("a:b").is_some());
        assert!(label_name_error("__a").is_some());
        assert!(unit_error("2xx").is_none());
        assert!(metric_name_error("größe").unwrap().contains("'ö'"));
    }
}
