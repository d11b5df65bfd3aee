import { invalid } from '../errors';

/**
 * The largest credit amount one operation accepts. Far above any real generation or pack, and small
 * enough that balances summed from millions of such operations stay exact in a JS number (< 2^53).
 */
export const MAX_CREDITS_PER_OPERATION = 1_000_000_000;

/**
 * Accepts only a whole number of credits in [min, MAX_CREDITS_PER_OPERATION]. Strings, fractions, NaN,
 * negatives and absurdly large values are refused with VALIDATION_FAILED naming the field.
 */
export function requireCredits(field: string, value: unknown, { min = 1 }: { min?: 0 | 1 } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(field, 'must be a number');
  if (!Number.isInteger(value)) throw invalid(field, 'must be a whole number of credits');
  if (value < min) throw invalid(field, min === 0 ? 'must not be negative' : 'must be at least 1');
  if (value > MAX_CREDITS_PER_OPERATION) throw invalid(field, `must be at most ${MAX_CREDITS_PER_OPERATION}`);
  return value;
}

/**
 * What String.prototype.trim() removes (WhiteSpace and LineTerminator), as a regexp class body that
 * JavaScript (unicode mode, as Ajv compiles patterns), Python and Rust all read alike, so that clients
 * and test generators checking the published pattern agree with us (`\s` differs between them).
 */
const BLANK_CHARS =
  '\\u0009-\\u000d\\u0020\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/**
 * Free text as the API accepts it (a JSON Schema pattern): at least one character that is not blank,
 * and no U+0000 (PostgreSQL cannot store it in text). The classes are disjoint where they meet, so a
 * match is linear in the length of the string. Lone surrogates, which PostgreSQL cannot store either,
 * are refused by src/api/text.ts instead: Rust's regexp engine (which schemathesis, among others,
 * validates patterns with) cannot compile a class that names them.
 */
export const TEXT_PATTERN = `^[${BLANK_CHARS}]*[^\\u0000${BLANK_CHARS}][^\\u0000]*$`;

const BLANK = new RegExp(`^[${BLANK_CHARS}]*$`, 'u');

/** Length in characters (code points), as JSON Schema's maxLength counts: an emoji is one, not two. */
export function charLength(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is a single character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The longest id (and short text such as a model name) any API input or ledger call accepts. */
export const ID_MAX_LENGTH = 200;

/** A string of 1..maxLength characters that is not only blanks, as the API's TEXT_PATTERN demands. */
export function requireNonEmpty(field: string, value: unknown, maxLength = ID_MAX_LENGTH): string {
  if (typeof value !== 'string' || BLANK.test(value)) throw invalid(field, 'must be a non-empty string');
  if (charLength(value) > maxLength) throw invalid(field, `must be at most ${maxLength} characters`);
  return value;
}

/** Idempotency-Key headers and the keys stored from them: visible ASCII only, at most this long. */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** No whitespace that a proxy might trim or fold, like Stripe's keys. */
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]+$';
