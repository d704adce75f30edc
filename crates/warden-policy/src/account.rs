//! Account identifiers and hosts, normalised so that patterns written against
//! `orgname-account_name` also catch the spellings people paste into connection files: upper
//! case, full URLs, the `snowflakecomputing.com` domain, region and PrivateLink qualifiers, and
//! `-` written for `_`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::glob::Glob;

/// The Snowflake domain a value carried, remembered for reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tld {
    /// `snowflakecomputing.com`
    Com,
    /// `snowflakecomputing.cn` (China regions)
    Cn,
}

/// What label 0 of an identifier looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// `orgname-account_name` (or a Client Redirect `orgname-connection_name`).
    OrgAccount,
    /// A legacy locator such as `xy12345`; it cannot be mapped to an org account offline.
    Locator,
    /// Characters no account identifier has (Snowflake allows `[A-Za-z0-9_-]` per label).
    Invalid,
}

/// Why a value cannot be normalised at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// Empty after trimming and stripping.
    #[error("value is empty")]
    Empty,
    /// A `${VAR}` reference; the Snowflake clients do not expand it, so its value is unknown.
    #[error("value is a `${{...}}` placeholder")]
    Placeholder,
}

/// A normalised account identifier or host name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormalizedAccount {
    /// The value as written.
    pub raw: String,
    /// The value trimmed and lower-cased, nothing else; patterns written with dots match here.
    pub lowered: String,
    /// Canonical label 0: lower case, and for org accounts every `-` of the account-name part
    /// written as `_` (the documented `orgname-account_name` form).
    pub account_part: String,
    /// Organisation name, for [`AccountKind::OrgAccount`].
    pub org: Option<String>,
    /// Account name in canonical form, for [`AccountKind::OrgAccount`].
    pub account_name: Option<String>,
    /// Labels after label 0 (`privatelink`, `global`, region, cloud, ...), for reporting only.
    pub qualifiers: Vec<String>,
    /// The Snowflake domain that was stripped, if any.
    pub tld: Option<Tld>,
    /// Shape of label 0.
    pub kind: AccountKind,
}

const DOMAIN_COM: &str = ".snowflakecomputing.com";
const DOMAIN_CN: &str = ".snowflakecomputing.cn";

/// True for values that hold a `${VAR}` reference.
pub fn is_placeholder(value: &str) -> bool {
    value.contains("${")
}

impl NormalizedAccount {
    /// Normalises an `account` or `host` value: trim; strip `scheme://`, path, query, port and
    /// trailing dots; lower-case; strip `.snowflakecomputing.com` / `.cn`; split on `.` into
    /// label 0 and qualifiers; classify label 0. Repeated until nothing changes, so the result
    /// is a fixed point (`x.snowflakecomputing.com.snowflakecomputing.com` becomes `x`).
    pub fn parse(raw: &str) -> Result<Self, AccountError> {
        if is_placeholder(raw) {
            return Err(AccountError::Placeholder);
        }
        let mut tld = None;
        let mut current = raw.to_owned();
        // Every pass after the first only removes characters, so this ends quickly; the bound
        // is a guard, not a limit that matters.
        for _ in 0..64 {
            let (next, found) = strip_once(&current);
            tld = found.or(tld);
            if next == current {
                break;
            }
            current = next;
        }
        if current.is_empty() {
            return Err(AccountError::Empty);
        }
        let mut labels = current.split('.').map(str::to_owned);
        let label0 = labels.next().unwrap_or_default();
        let qualifiers: Vec<String> = labels.collect();
        let valid = !label0.is_empty()
            && label0
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        let (kind, account_part, org, account_name) = match label0.split_once('-') {
            _ if !valid => (AccountKind::Invalid, label0, None, None),
            Some((org, name)) if !org.is_empty() && !name.is_empty() => {
                let name = name.replace('-', "_");
                (
                    AccountKind::OrgAccount,
                    format!("{org}-{name}"),
                    Some(org.to_owned()),
                    Some(name),
                )
            }
            Some(_) => (AccountKind::Invalid, label0, None, None),
            None => (AccountKind::Locator, label0, None, None),
        };
        Ok(Self {
            raw: raw.to_owned(),
            lowered: raw.trim().to_lowercase(),
            account_part,
            org,
            account_name,
            qualifiers,
            tld,
            kind,
        })
    }

    /// Canonical label 0 followed by the qualifiers, without the domain. Normalising this
    /// string again yields the same value.
    pub fn normalized(&self) -> String {
        self.dotted().into_owned()
    }

    /// [`NormalizedAccount::normalized`], borrowed when there are no qualifiers (then it
    /// is label 0 itself), as patterns are matched against it for every connection.
    fn dotted(&self) -> Cow<'_, str> {
        if self.qualifiers.is_empty() {
            return Cow::Borrowed(&self.account_part);
        }
        let mut out = self.account_part.clone();
        for q in &self.qualifiers {
            out.push('.');
            out.push_str(q);
        }
        Cow::Owned(out)
    }

    /// Label 0 in the form two identifiers are compared in: for org accounts `_` and `-` made
    /// equal (Snowflake accepts both in the account name); locators unchanged, since `acme_prod`
    /// is not the org account `acme-prod`.
    pub fn folded_account_part(&self) -> String {
        match self.kind {
            AccountKind::OrgAccount => fold(&self.account_part),
            AccountKind::Locator | AccountKind::Invalid => self.account_part.clone(),
        }
    }

    /// True if `host` names this account: its label 0 equals ours (so region and PrivateLink
    /// hosts of the account pass) and it is a Snowflake host.
    pub fn host_matches(&self, host: &NormalizedAccount) -> bool {
        host.tld.is_some() && host.folded_account_part() == self.folded_account_part()
    }
}

fn fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    if c == '_' { '-' } else { c }
}

/// One normalisation pass; returns the new string and the domain it stripped.
fn strip_once(value: &str) -> (String, Option<Tld>) {
    let mut s = value.trim();
    if let Some(i) = s.find("://") {
        s = s[i + 3..].trim_start();
    }
    if let Some(i) = s.find(['/', '?', '#']) {
        s = &s[..i];
    }
    if let Some(i) = s.rfind(':')
        && s[i + 1..].chars().all(|c| c.is_ascii_digit())
    {
        s = &s[..i];
    }
    let lowered = s.trim().trim_end_matches('.').to_lowercase();
    let (rest, tld) = if let Some(rest) = lowered.strip_suffix(DOMAIN_COM) {
        (rest, Some(Tld::Com))
    } else if let Some(rest) = lowered.strip_suffix(DOMAIN_CN) {
        (rest, Some(Tld::Cn))
    } else if lowered == DOMAIN_COM[1..] || lowered == DOMAIN_CN[1..] {
        (
            "",
            Some(if lowered.ends_with("cn") {
                Tld::Cn
            } else {
                Tld::Com
            }),
        )
    } else {
        (lowered.as_str(), None)
    };
    (rest.trim().trim_end_matches('.').to_owned(), tld)
}

/// An account pattern compiled for the comparisons section (f) of the reference asks for.
#[derive(Debug, Clone)]
pub struct AccountPattern {
    glob: Glob,
    folded: Glob,
}

impl AccountPattern {
    /// Compiles `pattern` as a case-insensitive glob.
    pub fn new(pattern: &str) -> Result<Self, crate::GlobError> {
        let glob = Glob::new(pattern)?;
        let folded = glob.fold_separators();
        Ok(Self { glob, folded })
    }

    /// The underlying glob.
    pub fn glob(&self) -> &Glob {
        &self.glob
    }

    /// Matches label 0 (with `_`/`-` equivalence for org accounts), then the dotted normalised form and the raw
    /// lower-cased value (for patterns written with dots, such as `xy12345.us-east-1`).
    pub fn matches(&self, account: &NormalizedAccount) -> bool {
        let label0 = match account.kind {
            AccountKind::OrgAccount => self.folded.matches_mapped(&account.account_part, fold_char),
            AccountKind::Locator | AccountKind::Invalid => self.glob.matches(&account.account_part),
        };
        label0 || self.glob.matches(&account.dotted()) || self.glob.matches(&account.lowered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The allocation-free comparison decides as comparing the folded and dotted
        /// strings themselves does.
        #[test]
        fn pattern_matching_agrees_with_the_string_forms(
            pattern in "[a-z_*?-]{1,8}(\\.[a-z0-9*-]{1,6})?",
            value in "[A-Za-z_-]{1,10}(\\.[a-z0-9-]{1,8}){0,2}",
        ) {
            if let (Ok(p), Ok(a)) = (AccountPattern::new(&pattern), NormalizedAccount::parse(&value)) {
                let label0 = match a.kind {
                    AccountKind::OrgAccount => p.folded.matches(&a.folded_account_part()),
                    _ => p.glob.matches(&a.account_part),
                };
                let expected = label0 || p.glob.matches(&a.normalized()) || p.glob.matches(&a.lowered);
                proptest::prop_assert_eq!(p.matches(&a), expected);
            }
        }
    }

    fn n(s: &str) -> NormalizedAccount {
        NormalizedAccount::parse(s).unwrap()
    }

    #[test]
    fn strips_url_parts() {
        let a = n("  https://WKPSRTU-ZKB28481.snowflakecomputing.com:443/console#x ");
        assert_eq!(a.account_part, "wkpsrtu-zkb28481");
        assert_eq!(a.kind, AccountKind::OrgAccount);
        assert_eq!(a.tld, Some(Tld::Com));
        assert!(a.qualifiers.is_empty());
        assert_eq!(a.org.as_deref(), Some("wkpsrtu"));
    }

    #[test]
    fn locator_with_region_and_cloud() {
        let a = n("lv05576.ap-southeast-3.aws");
        assert_eq!(a.kind, AccountKind::Locator);
        assert_eq!(a.account_part, "lv05576");
        assert_eq!(a.qualifiers, ["ap-southeast-3", "aws"]);
        assert_eq!(a.normalized(), "lv05576.ap-southeast-3.aws");
    }

    #[test]
    fn china_domain() {
        let a = n("xy12345.cn-northwest-1.aws.snowflakecomputing.cn.");
        assert_eq!(a.tld, Some(Tld::Cn));
        assert_eq!(a.account_part, "xy12345");
    }

    #[test]
    fn underscore_dash_canonical() {
        let a = n("ACME-marketing-test-account");
        assert_eq!(a.account_part, "acme-marketing_test_account");
        assert_eq!(a.account_name.as_deref(), Some("marketing_test_account"));
    }

    #[test]
    fn placeholder_and_empty() {
        assert_eq!(
            NormalizedAccount::parse("${SF_ACCOUNT}"),
            Err(AccountError::Placeholder)
        );
        assert_eq!(NormalizedAccount::parse("   "), Err(AccountError::Empty));
        assert_eq!(
            NormalizedAccount::parse("https://snowflakecomputing.com"),
            Err(AccountError::Empty)
        );
    }

    #[test]
    fn invalid_identifiers() {
        assert_eq!(n("<ACCOUNT_IDENTIFIER>").kind, AccountKind::Invalid);
        assert_eq!(n("-abc").kind, AccountKind::Invalid);
    }

    #[test]
    fn double_domain_is_stripped() {
        assert_eq!(
            n("x.snowflakecomputing.com.snowflakecomputing.com").normalized(),
            "x"
        );
    }

    #[test]
    fn host_match_rules() {
        let acct = n("acme-prod");
        assert!(acct.host_matches(&n("acme-prod.privatelink.snowflakecomputing.com")));
        assert!(acct.host_matches(&n("ACME-PROD.us-east-1.snowflakecomputing.com")));
        assert!(!acct.host_matches(&n("acme_prod.snowflakecomputing.com")));
        assert!(n("acme-data-eng").host_matches(&n("acme-data_eng.snowflakecomputing.com")));
        assert!(!acct.host_matches(&n("acme-dev.snowflakecomputing.com")));
        assert!(!acct.host_matches(&n("acme-prod.example.com")));
    }

    #[test]
    fn pattern_forms() {
        let p = AccountPattern::new("acme-marketing-*").unwrap();
        assert!(p.matches(&n("ACME-marketing_test")));
        let dotted = AccountPattern::new("xy12345.us-east-1").unwrap();
        assert!(dotted.matches(&n("https://xy12345.us-east-1.snowflakecomputing.com")));
        assert!(!dotted.matches(&n("xy12345")));
    }
}
