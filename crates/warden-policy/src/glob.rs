//! Case-insensitive globs as Cortex Code documents them: `*` is any run of characters
//! (it crosses `.`, `-`, `_`, `:` and `/`, because the docs say "any characters") and `?` is
//! exactly one character. Nothing else is special.
//!
//! Character classes, braces and escaping are rejected rather than taken literally: the docs do
//! not say whether CoCo supports them, so a pattern that relies on them would mean one thing to
//! the admin and possibly another to CoCo.

use std::collections::VecDeque;
use std::fmt;

/// Why a pattern is not a valid glob. Positions are 1-based character columns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GlobError {
    /// The pattern is empty or only whitespace.
    #[error("pattern is empty")]
    Empty,
    /// Leading or trailing whitespace, almost always a copy-paste slip.
    #[error("pattern has leading or trailing whitespace")]
    SurroundingWhitespace,
    /// A control character (tab, newline, NUL, ...).
    #[error("control character U+{code:04X} at column {column}")]
    ControlCharacter {
        /// 1-based column.
        column: usize,
        /// The offending code point.
        code: u32,
    },
    /// A `(` without `)` or the reverse.
    #[error("unbalanced parenthesis `{ch}` at column {column}")]
    UnbalancedParenthesis {
        /// 1-based column.
        column: usize,
        /// `(` or `)`.
        ch: char,
    },
    /// `[`, `]`, `{`, `}` or `\`: syntax other glob dialects give meaning to.
    #[error(
        "`{ch}` at column {column} is not supported: Cortex Code globs know only `*` and `?` (no classes, braces or escapes)"
    )]
    Unsupported {
        /// 1-based column.
        column: usize,
        /// The offending character.
        ch: char,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Lit(char),
    Any,
    Star,
}

/// A compiled, case-insensitive glob.
#[derive(Clone, PartialEq, Eq)]
pub struct Glob {
    source: String,
    tokens: Vec<Token>,
}

/// Answer of [`Glob::covers`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containment {
    /// Every string the narrower glob matches is matched by the wider one.
    Yes,
    /// A string exists that the narrower glob matches and the wider one does not.
    No,
    /// Neither could be shown cheaply.
    Unknown,
}

impl Glob {
    /// Compiles `pattern`, rejecting anything ambiguous with a precise reason.
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        let trimmed = pattern.trim();
        if trimmed.is_empty() {
            return Err(GlobError::Empty);
        }
        if trimmed.len() != pattern.len() {
            return Err(GlobError::SurroundingWhitespace);
        }
        // Columns of the `(`s still open: only the innermost is ever reported.
        let mut open: Vec<usize> = Vec::new();
        let mut check = |column: usize, ch: char| match ch {
            c if c.is_control() => Err(GlobError::ControlCharacter {
                column,
                code: u32::from(c),
            }),
            '[' | ']' | '{' | '}' | '\\' => Err(GlobError::Unsupported { column, ch }),
            '(' => {
                open.push(column);
                Ok(())
            }
            ')' if open.pop().is_none() => Err(GlobError::UnbalancedParenthesis { column, ch }),
            _ => Ok(()),
        };
        // In ASCII, nearly every pattern, a byte is a character and a column.
        if pattern.is_ascii() {
            for (i, b) in pattern.bytes().enumerate() {
                check(i + 1, char::from(b))?;
            }
        } else {
            for (i, ch) in pattern.chars().enumerate() {
                check(i + 1, ch)?;
            }
        }
        if let Some(column) = open.pop() {
            return Err(GlobError::UnbalancedParenthesis { column, ch: '(' });
        }
        Ok(Self::compile(pattern))
    }

    /// Builds tokens from an already validated pattern. Runs of wildcards are put in a canonical
    /// order (`?`s first, then at most one `*`), which keeps the language and makes
    /// [`Glob::covers`] decide more cases.
    fn compile(pattern: &str) -> Self {
        let mut tokens = Vec::with_capacity(pattern.len());
        let mut run_any = 0usize;
        let mut run_star = false;
        let flush = |tokens: &mut Vec<Token>, run_any: &mut usize, run_star: &mut bool| {
            tokens.extend(std::iter::repeat_n(Token::Any, *run_any));
            if *run_star {
                tokens.push(Token::Star);
            }
            *run_any = 0;
            *run_star = false;
        };
        let mut push = |ch: char| match ch {
            '*' => run_star = true,
            '?' => run_any += 1,
            c => {
                flush(&mut tokens, &mut run_any, &mut run_star);
                tokens.push(Token::Lit(c));
            }
        };
        // Lower-casing ASCII byte by byte is what `to_lowercase` does to it, without
        // the copy.
        if pattern.is_ascii() {
            pattern
                .bytes()
                .for_each(|b| push(char::from(b.to_ascii_lowercase())));
        } else {
            pattern.to_lowercase().chars().for_each(push);
        }
        flush(&mut tokens, &mut run_any, &mut run_star);
        Self {
            source: pattern.to_owned(),
            tokens,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True if `text` matches, ignoring case.
    pub fn matches(&self, text: &str) -> bool {
        self.matches_mapped(text, |c| c)
    }

    /// True if `text`, lower-cased and with every character passed through `map`, matches.
    /// ASCII text (nearly every account, role and tool name) is compared byte by byte
    /// without allocating; lower-casing ASCII that way is exactly what `to_lowercase` does.
    pub(crate) fn matches_mapped(&self, text: &str, map: impl Fn(char) -> char) -> bool {
        let one = |tok: &Token, c: char| match tok {
            Token::Lit(l) => *l == map(c),
            Token::Any => true,
            // `wildcard_match` handles `*` itself.
            Token::Star => false,
        };
        if text.is_ascii() {
            wildcard_match(&self.tokens, text.as_bytes(), |tok, b| {
                one(tok, char::from(b.to_ascii_lowercase()))
            })
        } else {
            let text: Vec<char> = text.to_lowercase().chars().collect();
            wildcard_match(&self.tokens, &text, |tok, c| one(tok, *c))
        }
    }

    /// True if the pattern consists of `*` only, i.e. it matches every string.
    pub fn is_match_all(&self) -> bool {
        self.tokens == [Token::Star]
    }

    /// True if the pattern has no wildcard.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Lit(_)))
    }

    /// Number of literal characters, a rough measure of how specific the pattern is.
    pub fn literal_len(&self) -> usize {
        self.tokens
            .iter()
            .filter(|t| matches!(t, Token::Lit(_)))
            .count()
    }

    /// The same glob with every `_` turned into `-`, for comparisons where Snowflake treats the
    /// two as one.
    pub(crate) fn fold_separators(&self) -> Self {
        Self {
            source: self.source.clone(),
            tokens: self
                .tokens
                .iter()
                .map(|t| match t {
                    Token::Lit('_') => Token::Lit('-'),
                    t => *t,
                })
                .collect(),
        }
    }

    /// Whether every string `narrower` matches is also matched by `self`.
    ///
    /// Decided exactly when `self` is `*`, when `narrower` is a literal, or when `narrower`
    /// can be read symbol by symbol as an instance of `self` (its `*` consumed by a `*` of
    /// `self`, its `?` by a `?` or `*`): then the answer is [`Containment::Yes`]. The answer is
    /// [`Containment::No`] when an instance of `narrower` (each `*` as nothing or as one character
    /// foreign to both patterns, each `?` as such a character) escapes `self`. Anything else,
    /// e.g. `*a*` against `*a*a*`-style overlaps that need reasoning about repeated letters, is
    /// [`Containment::Unknown`]; full inclusion of glob languages is not cheap in general.
    pub fn covers(&self, narrower: &Glob) -> Containment {
        if self.is_match_all() {
            return Containment::Yes;
        }
        let symbolic = wildcard_match(&self.tokens, &narrower.tokens, |wide, sym| match wide {
            Token::Lit(l) => *sym == Token::Lit(*l),
            Token::Any => *sym != Token::Star,
            Token::Star => false,
        });
        if symbolic {
            return Containment::Yes;
        }
        const FOREIGN: char = '\u{1}';
        for star in ["", "\u{1}"] {
            let witness: String = narrower
                .tokens
                .iter()
                .map(|t| match t {
                    Token::Lit(c) => c.to_string(),
                    Token::Any => FOREIGN.to_string(),
                    Token::Star => star.to_owned(),
                })
                .collect();
            if !self.matches(&witness) {
                return Containment::No;
            }
        }
        if narrower.is_literal() {
            // A literal's only instance was tested above and matched.
            return Containment::Yes;
        }
        Containment::Unknown
    }

    /// Whether some string matches both globs. Always decided exactly (product of the two
    /// automata, at most `(len+1)²` states).
    pub fn intersects(&self, other: &Glob) -> bool {
        let (a, b) = (&self.tokens, &other.tokens);
        let width = b.len() + 1;
        let mut seen = vec![false; (a.len() + 1) * width];
        let mut queue = VecDeque::from([(0usize, 0usize)]);
        seen[0] = true;
        let mut push = |i: usize, j: usize, queue: &mut VecDeque<(usize, usize)>| {
            if !seen[i * width + j] {
                seen[i * width + j] = true;
                queue.push_back((i, j));
            }
        };
        while let Some((i, j)) = queue.pop_front() {
            if i == a.len() && j == b.len() {
                return true;
            }
            // Let a `*` match nothing.
            if a.get(i) == Some(&Token::Star) {
                push(i + 1, j, &mut queue);
            }
            if b.get(j) == Some(&Token::Star) {
                push(i, j + 1, &mut queue);
            }
            // Consume one common character.
            let (Some(ta), Some(tb)) = (a.get(i), b.get(j)) else {
                continue;
            };
            if let (Token::Lit(x), Token::Lit(y)) = (ta, tb)
                && x != y
            {
                continue;
            }
            let ni = if *ta == Token::Star { i } else { i + 1 };
            let nj = if *tb == Token::Star { j } else { j + 1 };
            push(ni, nj, &mut queue);
        }
        false
    }
}

/// Wildcard matching of `pat` against a symbol sequence, `*` consuming any run of symbols and
/// every other token exactly one symbol accepted by `one`. Linear backtracking to the last
/// `*` is enough because a `*` accepts any run.
fn wildcard_match<S>(pat: &[Token], text: &[S], one: impl Fn(&Token, &S) -> bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Token::Star) => {
                resume = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(tok) if one(tok, &text[t]) => {
                p += 1;
                t += 1;
                continue;
            }
            _ => {}
        }
        match resume {
            Some((rp, rt)) => {
                p = rp;
                t = rt + 1;
                resume = Some((rp, rt + 1));
            }
            None => return false,
        }
    }
    pat[p.min(pat.len())..].iter().all(|t| *t == Token::Star)
}

impl fmt::Debug for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Glob({:?})", self.source)
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for Glob {
    type Err = GlobError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str) -> Glob {
        Glob::new(p).unwrap()
    }

    /// Matching as it was before the ASCII path: Unicode lower-casing into a char vector.
    fn reference_match(glob: &Glob, text: &str) -> bool {
        let text: Vec<char> = text.to_lowercase().chars().collect();
        wildcard_match(&glob.tokens, &text, |tok, c| match tok {
            Token::Lit(l) => l == c,
            Token::Any => true,
            Token::Star => false,
        })
    }

    proptest::proptest! {
        #[test]
        fn ascii_path_decides_as_unicode_lowering(
            pattern in "[a-zA-Z0-9_.*?\\-]{1,10}|[a-zK\u{212A}\u{130}*?]{1,6}",
            text in "[a-zA-Z0-9_.-]{0,14}",
        ) {
            if let Ok(glob) = Glob::new(&pattern) {
                proptest::prop_assert_eq!(glob.matches(&text), reference_match(&glob, &text));
            }
        }
    }

    #[test]
    fn basic_matching() {
        assert!(g("acme-*").matches("ACME-prod"));
        assert!(g("acme-*").matches("acme-"));
        assert!(!g("acme-*").matches("acm-prod"));
        assert!(g("a?c").matches("abc"));
        assert!(!g("a?c").matches("ac"));
        assert!(g("*").matches(""));
        assert!(g("*.us-east-1").matches("xy12345.us-east-1"));
        assert!(g("https://*.example.com/*").matches("https://mcp.example.com/v1/x"));
        assert!(g("a*b*c").matches("aXXbYYbZc"));
        assert!(!g("a*b*c").matches("aXXbYYbZ"));
    }

    #[test]
    fn rejects_with_reasons() {
        assert_eq!(Glob::new(""), Err(GlobError::Empty));
        assert_eq!(Glob::new("  "), Err(GlobError::Empty));
        assert_eq!(Glob::new(" a"), Err(GlobError::SurroundingWhitespace));
        assert_eq!(
            Glob::new("a\tb"),
            Err(GlobError::ControlCharacter { column: 2, code: 9 })
        );
        assert_eq!(
            Glob::new("git:*)"),
            Err(GlobError::UnbalancedParenthesis { column: 6, ch: ')' })
        );
        assert_eq!(
            Glob::new("x(a"),
            Err(GlobError::UnbalancedParenthesis { column: 2, ch: '(' })
        );
        assert_eq!(
            Glob::new("acme-[ab]"),
            Err(GlobError::Unsupported { column: 6, ch: '[' })
        );
        assert!(Glob::new("acme-(x)").is_ok());
    }

    #[test]
    fn match_all_and_literal() {
        assert!(g("*").is_match_all());
        assert!(g("***").is_match_all());
        assert!(!g("?*").is_match_all());
        assert!(g("abc").is_literal());
        assert!(!g("a?c").is_literal());
    }

    #[test]
    fn covers_decisions() {
        use Containment::*;
        assert_eq!(g("*").covers(&g("acme-*")), Yes);
        assert_eq!(g("acme-*").covers(&g("acme-prod*")), Yes);
        assert_eq!(g("acme-*").covers(&g("ACME-PROD")), Yes);
        assert_eq!(g("acme-prod").covers(&g("acme-*")), No);
        assert_eq!(g("acme-*").covers(&g("other-*")), No);
        assert_eq!(g("?*").covers(&g("*?")), Yes);
        assert_eq!(g("a?").covers(&g("a*")), No);
        assert_eq!(g("*a*").covers(&g("*b*")), No);
    }

    #[test]
    fn intersects_exactly() {
        assert!(g("acme-*").intersects(&g("*-prod")));
        assert!(!g("acme-*").intersects(&g("other-*")));
        assert!(g("a?c").intersects(&g("*c")));
        assert!(!g("a?c").intersects(&g("a??c")));
        assert!(g("*").intersects(&g("x")));
        assert!(!g("x*").intersects(&g("y*")));
    }
}
