//! Which shipped release items answer which feature requests, and which requests say the same
//! thing. Text relevance is Okapi BM25 over release items (k1 = 1.2, b = 0.75) with English
//! Snowball stemming (`rust-stemmers`, the stemmer tantivy uses), stop words and a synonym table
//! for the words customers and release notes use for the same thing ("single sign-on" = "SAML" =
//! "SSO"). Everything is in memory: 5,000 requests against 2,000 items is a few milliseconds.

use rust_stemmers::{Algorithm, Stemmer};
use std::collections::{HashMap, HashSet};

/// A word as the index sees it, with where it stands in the original text (byte offsets).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub term: String,
    pub start: usize,
    pub end: usize,
}

/// Phrases that mean one thing, matched on lower-case words before stemming: (phrase, terms).
const PHRASES: &[(&[&str], &[&str])] = &[
    (&["single", "sign", "on"], &["sso"]),
    (&["single", "signon"], &["sso"]),
    (&["single", "sign", "in"], &["sso"]),
    (&["audit", "trail"], &["audit", "log"]),
    (&["activity", "log"], &["audit", "log"]),
    (&["two", "factor"], &["mfa"]),
    (&["multi", "factor"], &["mfa"]),
    (&["data", "residency"], &["eu", "resid"]),
    (&["access", "control"], &["role", "permiss"]),
    (&["rate", "limit"], &["rate", "limit"]),
    (&["rate", "limits"], &["rate", "limit"]),
];

/// Words that mean the same as a stem: (word, terms).
const WORDS: &[(&str, &[&str])] = &[
    ("saml", &["sso"]),
    ("signon", &["sso"]),
    ("2fa", &["mfa"]),
    ("rbac", &["role", "permiss"]),
    ("europe", &["eu"]),
    ("european", &["eu"]),
    ("gdpr", &["eu"]),
    ("ios", &["mobil"]),
    ("android", &["mobil"]),
    ("iphone", &["mobil"]),
    ("phone", &["mobil"]),
    ("app", &["mobil"]),
    ("sfdc", &["salesforc"]),
    ("throttle", &["rate", "limit"]),
    ("throttling", &["rate", "limit"]),
    ("throttled", &["rate", "limit"]),
    ("download", &["export"]),
    ("spreadsheet", &["csv"]),
    ("excel", &["csv"]),
    ("alert", &["notif"]),
    ("alerts", &["notif"]),
    ("notify", &["notif"]),
    ("notification", &["notif"]),
    ("notifications", &["notif"]),
    ("permissions", &["permiss"]),
];

const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "any", "are", "as", "ask", "asked", "asking", "at", "be", "because",
    "before", "being", "but", "by", "can", "could", "did", "do", "does", "for", "from", "get", "got", "had", "has",
    "have", "having", "here", "how", "i", "if", "in", "into", "is", "it", "its", "just", "keep", "let", "like", "lot",
    "make", "me", "more", "much", "must", "my", "need", "needs", "new", "no", "not", "now", "of", "off", "on", "only",
    "or", "our", "ours", "please", "really", "should", "so", "some", "still", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "to", "too", "up", "us", "use", "very", "want", "wants", "was",
    "way", "we", "were", "what", "when", "which", "while", "who", "will", "with", "would", "you", "your", "huge",
    "team", "hand", "every", "month", "go", "sees", "see", "buy",
];

pub struct Analyzer {
    stemmer: Stemmer,
    stop: HashSet<&'static str>,
    words: HashMap<&'static str, &'static [&'static str]>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer {
            stemmer: Stemmer::create(Algorithm::English),
            stop: STOP_WORDS.iter().copied().collect(),
            words: WORDS.iter().copied().collect(),
        }
    }
}

impl Analyzer {
    /// The terms of `text`, in order, each with the span it came from.
    pub fn tokens(&self, text: &str) -> Vec<Token> {
        let mut words: Vec<(usize, usize, String)> = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
            match (c.is_alphanumeric(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    words.push((s, i, text[s..i].to_lowercase()));
                    start = None;
                }
                _ => {}
            }
        }
        let mut out = Vec::with_capacity(words.len());
        let mut i = 0;
        'words: while i < words.len() {
            for (phrase, terms) in PHRASES {
                if words.len() - i >= phrase.len() && phrase.iter().zip(&words[i..]).all(|(p, w)| *p == w.2) {
                    let (start, end) = (words[i].0, words[i + phrase.len() - 1].1);
                    out.extend(terms.iter().map(|t| Token {
                        term: t.to_string(),
                        start,
                        end,
                    }));
                    i += phrase.len();
                    continue 'words;
                }
            }
            let (start, end, word) = &words[i];
            i += 1;
            if let Some(terms) = self.words.get(word.as_str()) {
                out.extend(terms.iter().map(|t| Token {
                    term: t.to_string(),
                    start: *start,
                    end: *end,
                }));
            } else if !self.stop.contains(word.as_str())
                && (word.chars().count() > 1 || word.chars().all(|c| c.is_ascii_digit()))
            {
                out.push(Token {
                    term: self.stemmer.stem(word).into_owned(),
                    start: *start,
                    end: *end,
                });
            }
        }
        out
    }

    pub fn terms(&self, text: &str) -> Vec<String> {
        self.tokens(text).into_iter().map(|t| t.term).collect()
    }

    /// `text` cut into pieces, the ones holding one of `terms` marked.
    pub fn highlight(&self, text: &str, terms: &HashSet<String>) -> Vec<(String, bool)> {
        let mut spans: Vec<(usize, usize)> = self
            .tokens(text)
            .into_iter()
            .filter(|t| terms.contains(&t.term))
            .map(|t| (t.start, t.end))
            .collect();
        spans.dedup();
        let mut out = Vec::new();
        let mut at = 0;
        for (s, e) in spans {
            if s < at {
                continue;
            }
            if s > at {
                out.push((text[at..s].to_string(), false));
            }
            out.push((text[s..e].to_string(), true));
            at = e;
        }
        if at < text.len() {
            out.push((text[at..].to_string(), false));
        }
        out
    }
}

/// A request's candidate: the item (by its index in the corpus), its BM25 score and the shared
/// terms.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub item: usize,
    pub score: f64,
    pub terms: Vec<String>,
}

/// An item sharing words with a request, and whether the words alone make it worth proposing.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored {
    pub candidate: Candidate,
    pub relevant: bool,
}

/// What a proposal must reach. Sharing one rare word is often chance ("export" in a request about
/// exporting invoices); sharing two, or one that carries most of what the request says, is not.
const MIN_SHARED_TERMS: usize = 2;
const SINGLE_TERM_COVERAGE: f64 = 0.5;
const MIN_COVERAGE: f64 = 0.15;
/// At most this many items are proposed per request.
pub const PROPOSALS_PER_REQUEST: usize = 3;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Release items indexed for BM25.
pub struct Corpus {
    postings: HashMap<String, Vec<(u32, u32)>>,
    lengths: Vec<u32>,
    average_length: f64,
}

impl Corpus {
    pub fn new(analyzer: &Analyzer, items: &[&str]) -> Corpus {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut lengths = Vec::with_capacity(items.len());
        for (doc, text) in items.iter().enumerate() {
            let terms = analyzer.terms(text);
            lengths.push(terms.len() as u32);
            let mut counts: HashMap<String, u32> = HashMap::new();
            for t in terms {
                *counts.entry(t).or_default() += 1;
            }
            for (t, n) in counts {
                postings.entry(t).or_default().push((doc as u32, n));
            }
        }
        let average_length = if lengths.is_empty() {
            1.0
        } else {
            (lengths.iter().map(|&l| l as f64).sum::<f64>() / lengths.len() as f64).max(1.0)
        };
        Corpus {
            postings,
            lengths,
            average_length,
        }
    }

    fn idf(&self, term: &str) -> f64 {
        let n = self.lengths.len() as f64;
        let df = self.postings.get(term).map_or(0, Vec::len) as f64;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
    }

    /// The items worth proposing for `request_terms`, best first; `allowed` filters items (e.g.
    /// shipped after the request, not rejected).
    pub fn candidates(&self, request_terms: &[String], allowed: impl Fn(usize) -> bool) -> Vec<Candidate> {
        let mut out: Vec<Candidate> = self
            .scored(request_terms, allowed)
            .into_iter()
            .filter(|s| s.relevant)
            .map(|s| s.candidate)
            .collect();
        out.truncate(PROPOSALS_PER_REQUEST);
        out
    }

    /// Every allowed item sharing a term with the request, best first, each saying whether it
    /// passes the relevance rule on its words alone.
    pub fn scored(&self, request_terms: &[String], allowed: impl Fn(usize) -> bool) -> Vec<Scored> {
        let query: HashSet<&str> = request_terms.iter().map(String::as_str).collect();
        let total_idf: f64 = query.iter().map(|t| self.idf(t)).sum();
        if total_idf <= 0.0 {
            return Vec::new();
        }
        let mut scores: HashMap<u32, (f64, f64, Vec<&str>)> = HashMap::new();
        for term in &query {
            let Some(list) = self.postings.get(*term) else {
                continue;
            };
            let idf = self.idf(term);
            for &(doc, tf) in list {
                let len = self.lengths[doc as usize] as f64;
                let tf = tf as f64;
                let part = idf * tf * (K1 + 1.0) / (tf + K1 * (1.0 - B + B * len / self.average_length));
                let entry = scores.entry(doc).or_insert((0.0, 0.0, Vec::new()));
                entry.0 += part;
                entry.1 += idf;
                entry.2.push(term);
            }
        }
        let mut out: Vec<Scored> = scores
            .into_iter()
            .filter(|(doc, _)| allowed(*doc as usize))
            .map(|(doc, (score, covered, mut terms))| {
                let coverage = covered / total_idf;
                let relevant = if terms.len() >= MIN_SHARED_TERMS {
                    coverage >= MIN_COVERAGE
                } else {
                    coverage >= SINGLE_TERM_COVERAGE && query.len() <= 2
                };
                terms.sort_unstable();
                Scored {
                    candidate: Candidate {
                        item: doc as usize,
                        score,
                        terms: terms.into_iter().map(str::to_string).collect(),
                    },
                    relevant,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.candidate
                .score
                .total_cmp(&a.candidate.score)
                .then(a.candidate.item.cmp(&b.candidate.item))
        });
        out
    }
}

/// Groups near-duplicate requests: two requests belong together when the idf-weighted overlap of
/// their terms is at least `THEME_SIMILARITY` of both. Returns, per request, the index of the
/// request that names its group (the first one in input order).
pub fn themes(requests: &[Vec<String>]) -> Vec<usize> {
    const THEME_SIMILARITY: f64 = 0.45;
    // Requests with the same terms are one node: the demo and real imports repeat quotes a lot.
    let mut node_of: HashMap<Vec<String>, usize> = HashMap::new();
    let mut nodes: Vec<(Vec<String>, usize)> = Vec::new(); // (distinct terms, first request)
    let mut request_node = Vec::with_capacity(requests.len());
    for (i, terms) in requests.iter().enumerate() {
        let mut key = terms.clone();
        key.sort_unstable();
        key.dedup();
        let next = nodes.len();
        let node = *node_of.entry(key.clone()).or_insert_with(|| {
            nodes.push((key, i));
            next
        });
        request_node.push(node);
    }
    let mut df: HashMap<&str, f64> = HashMap::new();
    for (terms, _) in &nodes {
        for t in terms {
            *df.entry(t).or_default() += 1.0;
        }
    }
    let n = nodes.len() as f64;
    let idf = |t: &str| ((n - df[t] + 0.5) / (df[t] + 0.5) + 1.0).ln();
    let weight: Vec<f64> = nodes
        .iter()
        .map(|(terms, _)| terms.iter().map(|t| idf(t)).sum())
        .collect();
    let mut by_term: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (terms, _)) in nodes.iter().enumerate() {
        for t in terms {
            by_term.entry(t).or_default().push(i);
        }
    }
    let mut parent: Vec<usize> = (0..nodes.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for (i, (terms, _)) in nodes.iter().enumerate() {
        let mut shared: HashMap<usize, f64> = HashMap::new();
        for t in terms {
            for &j in &by_term[t.as_str()] {
                if j > i {
                    *shared.entry(j).or_default() += idf(t);
                }
            }
        }
        for (j, overlap) in shared {
            if overlap >= THEME_SIMILARITY * weight[i].max(weight[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                if a != b {
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    request_node
        .iter()
        .map(|&node| {
            let r = root(&mut parent, node);
            nodes[r].1
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stems_drop_stop_words_and_join_synonyms() {
        let a = Analyzer::default();
        assert_eq!(
            a.terms("We need SSO with Okta before security signs off"),
            strings(&["sso", "okta", "secur", "sign"])
        );
        assert_eq!(
            a.terms("SAML single sign-on for Okta"),
            strings(&["sso", "sso", "okta"])
        );
        assert_eq!(a.terms("Exporting reports"), strings(&["export", "report"]));
        let tokens = a.tokens("Single sign-on!");
        assert_eq!((tokens[0].start, tokens[0].end), (0, 14));
    }

    #[test]
    fn highlight_marks_the_shared_words_in_place() {
        let a = Analyzer::default();
        let terms: HashSet<String> = strings(&["sso", "okta"]).into_iter().collect();
        let parts = a.highlight("SAML single sign-on with Okta and Azure AD", &terms);
        let marked: Vec<&str> = parts.iter().filter(|p| p.1).map(|p| p.0.as_str()).collect();
        assert_eq!(marked, vec!["SAML", "single sign-on", "Okta"]);
        assert_eq!(
            parts.iter().map(|p| p.0.as_str()).collect::<String>(),
            "SAML single sign-on with Okta and Azure AD"
        );
    }

    #[test]
    fn bm25_ranks_the_item_that_answers_the_request_first() {
        let a = Analyzer::default();
        let items = [
            "SAML single sign-on with Okta and Azure AD",
            "SCIM user provisioning",
            "Post compression reports to Slack channels",
            "Export any report as CSV",
            "Audit log of admin and permission changes",
            "Export the audit log as CSV",
        ];
        let corpus = Corpus::new(&a, &items);
        let ask = |q: &str| -> Vec<usize> {
            corpus
                .candidates(&a.terms(q), |_| true)
                .into_iter()
                .map(|c| c.item)
                .collect()
        };
        assert_eq!(
            ask("We need SSO with Okta before security signs off on the renewal."),
            vec![0]
        );
        assert_eq!(
            ask("A Slack integration so the team sees compression reports in channel"),
            vec![2]
        );
        assert_eq!(
            ask("Our auditors keep asking for an audit log of admin actions."),
            vec![4, 5]
        );
        assert_eq!(
            ask("Bulk export to CSV — we copy numbers by hand every month."),
            vec![3, 5]
        );
        // Nothing shipped for it: no proposal rather than a weak one.
        assert!(ask("A mobile app to check job status on the go.").is_empty());
        assert!(ask("We can only buy if our data stays in the EU.").is_empty());
        // A filtered-out item (rejected, or shipped before the request) is never proposed.
        assert!(corpus.candidates(&a.terms("SSO with Okta"), |i| i != 0).is_empty());
    }

    #[test]
    fn near_duplicate_requests_share_a_theme_across_wording() {
        let a = Analyzer::default();
        let requests: Vec<Vec<String>> = [
            "We need SSO with Okta before security signs off on the renewal.",
            "Slack integration please",
            "SSO via Okta is a must for our security review",
            "We need SSO with Okta before security signs off on the renewal.",
            "Salesforce sync for account data",
        ]
        .iter()
        .map(|q| a.terms(q))
        .collect();
        assert_eq!(themes(&requests), vec![0, 1, 0, 0, 4]);
    }
}
