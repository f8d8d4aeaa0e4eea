/**
 * Built-in deterministic text analysis: tokenising, keyword extraction and an
 * approximate token count. No model files, no randomness: the same text gives
 * the same output on every machine.
 */

/** Common English function words (and contractions) that carry no topic. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are aren't as at be because been before being below between both but by
  can can't cannot could couldn't did didn't do does doesn't doing don't down during each either else ever few for from further get gets
  got had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how how's however i i'd
  i'll i'm i've if in into is isn't it it's its itself just let's may me might more most much must mustn't my myself neither no nor
  not now of off on once one only or other ought our ours ourselves out over own please same shall shan't she she'd she'll she's should
  shouldn't so some such than thank thanks that that's the their theirs them themselves then there there's these they they'd they'll
  they're they've this those through to too under until up upon us very was wasn't we we'd we'll we're we've were weren't what what's
  when when's where where's whether which while who who's whom whose why why's will with won't would wouldn't yes yet you you'd you'll
  you're you've your yours yourself yourselves hi hello hey okay ok tell know remember`
    .split(/\s+/)
    .filter((w) => w.length > 0),
);

/** Letters/digits, optionally joined by apostrophes (don't, dog's); ’ is normalised to ' first. */
const WORD = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu;

/** Lowercased word tokens in order (apostrophes kept, e.g. "dog's", "don't"). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().replace(/[\u2019\u02bc]/g, "'").match(WORD) ?? [];
}

/**
 * Light suffix stripping so "dogs"/"dog's" meet "dog": possessive 's, plural
 * -ies → -y, plural -s (not -ss/-us/-is). Deliberately conservative: a wrong
 * merge costs precision, a missed one only a little recall.
 */
export function stem(token: string): string {
  let t = token.endsWith("'s") ? token.slice(0, -2) : token;
  if (t.length > 4 && t.endsWith('ies')) t = `${t.slice(0, -3)}y`;
  else if (t.length > 3 && t.endsWith('s') && !/(ss|us|is)$/.test(t)) t = t.slice(0, -1);
  return t;
}

/** Content terms of a text, in order, with repeats: stemmed tokens that are no stopword and have ≥ 3 characters. */
export function contentTerms(text: string): string[] {
  const out: string[] = [];
  for (const tok of tokenize(text)) {
    if (STOPWORDS.has(tok)) continue;
    const s = stem(tok);
    if (s.length >= 3 && !STOPWORDS.has(s)) out.push(s);
  }
  return out;
}

/**
 * The `count` most salient terms of `text`: content terms ranked by frequency
 * (descending), then by first position (ascending), unique.
 */
export function extractKeywords(text: string, count: number): string[] {
  if (count <= 0) return [];
  const stats = new Map<string, { n: number; first: number }>();
  contentTerms(text).forEach((term, i) => {
    const s = stats.get(term);
    if (s) s.n++;
    else stats.set(term, { n: 1, first: i });
  });
  return [...stats.entries()]
    .sort(([, a], [, b]) => b.n - a.n || a.first - b.first)
    .slice(0, count)
    .map(([term]) => term);
}

/**
 * Approximate LLM token count, used for token budgets and token accounting:
 * each run of letters/digits counts ceil(length / 6) (common English words are
 * one token, long words split into pieces, as BPE vocabularies do), and each
 * other non-space character (punctuation, symbols) counts one. Whitespace is
 * free. Within ~20% of GPT-style tokenisers on English prose; exact parity is
 * not the point, a stable monotone measure is.
 */
export function countTokens(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)) {
    const piece = m[0];
    n += /^[\p{L}\p{N}]/u.test(piece) ? Math.ceil(piece.length / 6) : 1;
  }
  return n;
}

/**
 * Sentences (and `;`-separated clauses) of a text, trimmed, terminators kept:
 * splits after `.`, `!`, `?` or `;` followed by whitespace, and at line breaks.
 * "3.5" stays whole; abbreviations like "Dr. Smith" split (accepted: rare in chat).
 */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?;])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}
