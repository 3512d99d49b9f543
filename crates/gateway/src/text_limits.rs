//! How long each text input may be and which characters it may hold, written once and attached
//! to every text argument and input field of the schema as a validator, so no stored field is
//! larger than it needs or hides control characters and direction overrides.

use async_graphql::{CustomValidator, InputValueError};

/// One line of text (a name, a title, a reference): no control characters at all, no line
/// breaks, no direction overrides, at most `.0` characters.
#[derive(Clone, Copy, Debug)]
pub struct Line(pub usize);

/// Free text a person writes (a description, a reason, a message, an address): line breaks
/// and tabs allowed, other control characters and direction overrides not, at most `.0`
/// characters.
#[derive(Clone, Copy, Debug)]
pub struct Prose(pub usize);

/// A list of one-line texts: at most `items` of them, each a [`Line`] of `chars`.
#[derive(Clone, Copy, Debug)]
pub struct Lines {
    pub items: usize,
    pub chars: usize,
}

/// Groups of one-line texts (synonyms): at most `groups` groups of [`Lines`].
#[derive(Clone, Copy, Debug)]
pub struct Groups {
    pub groups: usize,
    pub each: Lines,
}

// The limits, field by field. Generous for any real part, company or message; small enough that
// a page of them stays a page.
/// A person's name.
pub const PERSON: Line = Line(100);
/// A company's registered name (Chinese names run to 40 characters, English ones longer).
pub const COMPANY: Line = Line(200);
/// An email address (RFC 5321's limit).
pub const EMAIL: Line = Line(254);
/// A telephone number with its extension.
pub const PHONE: Line = Line(40);
/// A code or key: a credit code, a document kind, a role, an action, an attribute key, a
/// currency, an amount in minor units.
pub const CODE: Line = Line(64);
/// A product's name, an RFQ's title, a brand, a category or attribute label, a keyword.
pub const TITLE: Line = Line(200);
/// An attribute's value (`M8`, `A2-70`, `20 mm`).
pub const VALUE: Line = Line(200);
/// A reference: an uploaded file's address, a payment reference, a tracking number, an
/// idempotency key, a carrier.
pub const REFERENCE: Line = Line(300);
/// An address a web page was opened at, or came from.
pub const URL: Line = Line(2_000);
/// A page's path within the marketplace, as the analytics record it.
pub const PATH: Line = Line(512);
/// A reason for an action (cancelling, refusing, warning, ruling).
pub const REASON: Prose = Prose(2_000);
/// A delivery address.
pub const ADDRESS: Prose = Prose(500);
/// A product's or RFQ's description, a dispute's statement or evidence, a quote's note, a
/// review's comment.
pub const DESCRIPTION: Prose = Prose(10_000);
/// Files attached to one thing (images, drawings, evidence).
pub const FILES: Lines = Lines {
    items: 20,
    chars: REFERENCE.0,
};
/// The allowed values of a category's attribute.
pub const ATTRIBUTE_VALUES: Lines = Lines {
    items: 500,
    chars: VALUE.0,
};
/// A category's synonym groups.
pub const SYNONYMS: Groups = Groups {
    groups: 500,
    each: Lines {
        items: 50,
        chars: 100,
    },
};

/// Most items in a list input that has no tighter limit (attributes, tiers, cart lines).
pub const MAX_ITEMS: usize = 500;

/// A character that changes or hides the direction of the text around it (the "Trojan Source"
/// characters): in a part's name or a company's it can only mislead.
fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// An invisible character — Unicode's "default ignorable" code points: zero-width spaces and
/// joiners, soft hyphens, fillers (Hangul, half-width), variation selectors, word joiners,
/// byte-order marks, tag characters: in a one-line name it makes a look-alike of another name.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' | '\u{115F}' | '\u{1160}'
        | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Invisible characters free text keeps: the joiners and emoji variation selectors some scripts
/// and emoji are written with.
fn shapes_prose(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE0E}' | '\u{FE0F}')
}

/// What is wrong with `value` as text of at most `max` characters; `prose` allows line breaks
/// and tabs.
pub fn problem(value: &str, max: usize, prose: bool) -> Option<(&'static str, String)> {
    use crate::errors::ErrorCode;
    let chars = value.chars().count();
    if chars > max {
        return Some((
            ErrorCode::TooLong.as_str(),
            format!("at most {max} characters are allowed, {chars} were given"),
        ));
    }
    let allowed_control = |c: char| prose && matches!(c, '\n' | '\r' | '\t');
    if let Some(c) = value.chars().find(|&c| {
        (c.is_control() && !allowed_control(c))
            || is_direction_control(c)
            || (is_invisible(c) && !(prose && shapes_prose(c)))
            || matches!(c, '\u{2028}' | '\u{2029}')
    }) {
        let what = if is_direction_control(c) {
            "a text-direction control"
        } else if is_invisible(c) {
            "an invisible character"
        } else if c == '\n' || c == '\r' || c == '\u{2028}' || c == '\u{2029}' {
            "a line break (this field is one line)"
        } else {
            "a control character"
        };
        return Some((
            ErrorCode::BadCharacter.as_str(),
            format!("{what} (U+{:04X}) is not allowed here", c as u32),
        ));
    }
    None
}

/// A limit as it applies to one input field, so that the error names the field:
/// `COMPANY.of("companyName")`.
#[derive(Clone, Copy, Debug)]
pub struct Field<L> {
    pub name: &'static str,
    pub limit: L,
}

macro_rules! named {
    ($($limit:ty),*) => {$(
        impl $limit {
            /// This limit for the input field `name`.
            pub const fn of(self, name: &'static str) -> Field<$limit> {
                Field { name, limit: self }
            }
        }
    )*};
}
named!(Line, Prose, Lines, Groups);

fn refuse<T: async_graphql::InputType>(
    field: &'static str,
    (code, message): (&'static str, String),
) -> InputValueError<T> {
    InputValueError::custom(format!("{field}: {message}"))
        .with_extension("code", code)
        .with_extension("field", field)
}

impl CustomValidator<String> for Field<Line> {
    fn check(&self, value: &String) -> Result<(), InputValueError<String>> {
        problem(value, self.limit.0, false).map_or(Ok(()), |p| Err(refuse(self.name, p)))
    }
}

impl CustomValidator<String> for Field<Prose> {
    fn check(&self, value: &String) -> Result<(), InputValueError<String>> {
        problem(value, self.limit.0, true).map_or(Ok(()), |p| Err(refuse(self.name, p)))
    }
}

fn check_lines(lines: &Lines, values: &[String]) -> Option<(&'static str, String)> {
    if values.len() > lines.items {
        return Some((
            "TOO_MANY",
            format!(
                "at most {} items are allowed, {} were given",
                lines.items,
                values.len()
            ),
        ));
    }
    values.iter().enumerate().find_map(|(i, v)| {
        problem(v, lines.chars, false).map(|(code, m)| (code, format!("item {}: {m}", i + 1)))
    })
}

impl CustomValidator<Vec<String>> for Field<Lines> {
    fn check(&self, value: &Vec<String>) -> Result<(), InputValueError<Vec<String>>> {
        check_lines(&self.limit, value).map_or(Ok(()), |p| Err(refuse(self.name, p)))
    }
}

impl CustomValidator<Vec<Vec<String>>> for Field<Groups> {
    fn check(&self, value: &Vec<Vec<String>>) -> Result<(), InputValueError<Vec<Vec<String>>>> {
        let groups = &self.limit;
        if value.len() > groups.groups {
            return Err(refuse(
                self.name,
                (
                    "TOO_MANY",
                    format!(
                        "at most {} groups are allowed, {} were given",
                        groups.groups,
                        value.len()
                    ),
                ),
            ));
        }
        value
            .iter()
            .enumerate()
            .find_map(|(i, group)| {
                check_lines(&groups.each, group)
                    .map(|(code, m)| (code, format!("group {}: {m}", i + 1)))
            })
            .map_or(Ok(()), |p| Err(refuse(self.name, p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_takes_any_script_but_no_breaks_controls_or_direction_overrides() {
        assert_eq!(
            problem("宁波紧固件有限公司 Ningbo Fasteners", 200, false),
            None
        );
        assert_eq!(problem("M8×20 DIN 933 — A2-70", 200, false), None);
        for bad in [
            "a\nb",
            "a\u{0}b",
            "a\u{7}b",
            "a\u{202E}b",
            "a\u{2066}b",
            "a\u{2028}b",
        ] {
            assert_eq!(
                problem(bad, 200, false).map(|p| p.0),
                Some("BAD_CHARACTER"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn prose_takes_line_breaks_and_tabs_but_not_other_controls() {
        assert_eq!(problem("first line\r\n\tsecond", 100, true), None);
        assert_eq!(
            problem("a\u{1b}[31mred", 100, true).map(|p| p.0),
            Some("BAD_CHARACTER")
        );
        assert_eq!(
            problem("a\u{202D}b", 100, true).map(|p| p.0),
            Some("BAD_CHARACTER")
        );
    }

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        // 100 Chinese characters are 300 bytes and fit a 100-character limit.
        assert_eq!(problem(&"紧".repeat(100), 100, false), None);
        let (code, message) = problem(&"紧".repeat(101), 100, false).expect("refused");
        assert_eq!(code, "TOO_LONG");
        assert!(message.contains("101"), "{message}");
    }
}
