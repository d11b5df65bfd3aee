import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { charLength, ID_MAX_LENGTH, requireNonEmpty, TEXT_PATTERN } from '../../src/credits/amounts';

/**
 * The text rules exist twice by necessity: as the JSON Schema pattern the API publishes and validates
 * with (Ajv), and as requireNonEmpty, which the ledger and the workflows call. These tests hold the two
 * to one meaning.
 */
const ajv = new Ajv({ strict: true });
const schemaAccepts = ajv.compile({
  type: 'string',
  minLength: 1,
  maxLength: ID_MAX_LENGTH,
  pattern: TEXT_PATTERN,
});
const codeAccepts = (value: string): boolean => {
  try {
    requireNonEmpty('field', value);
    return true;
  } catch {
    return false;
  }
};

describe('text rules', () => {
  it('count characters, not UTF-16 units, like JSON Schema', () => {
    expect(charLength('😀'.repeat(150))).toBe(150);
    expect(charLength('a\ud800b')).toBe(3); // a lone surrogate is one (bad) unit
    expect(requireNonEmpty('model', '😀'.repeat(ID_MAX_LENGTH))).toHaveLength(2 * ID_MAX_LENGTH);
    expect(() => requireNonEmpty('model', '😀'.repeat(ID_MAX_LENGTH + 1))).toThrow(/at most 200/);
  });

  // Lone surrogates are refused before the pattern (src/api/text.ts; test/api/bad-requests.test.ts).
  it('refuse U+0000 in the published pattern', () => {
    for (const bad of ['gpt\u0000x', '\u0000', ' \u0000', 'a\u0000 ']) {
      expect(schemaAccepts(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const good of ['gpt-4o', '😀', '\u{10ffff}', 'a\u001cb', 'é', ' padded ']) {
      expect(schemaAccepts(good), JSON.stringify(good)).toBe(true);
    }
  });

  it('agree on what is blank, character by character over the whole BMP', () => {
    const disagreements: string[] = [];
    for (let cp = 1; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCharCode(cp);
      if (schemaAccepts(ch) !== codeAccepts(ch)) disagreements.push(cp.toString(16));
    }
    expect(disagreements).toEqual([]);
    expect(schemaAccepts(' \t\u3000')).toBe(false);
    expect(codeAccepts(' \t\u3000')).toBe(false);
  });

  it('agree on length limits at the boundary, with astral characters', () => {
    for (const value of ['x'.repeat(200), 'x'.repeat(201), '😀'.repeat(200), '😀'.repeat(201)]) {
      expect(schemaAccepts(value)).toBe(codeAccepts(value));
    }
  });

  it('match in linear time, however long the input', () => {
    const started = performance.now();
    schemaAccepts(' '.repeat(100_000));
    schemaAccepts(`${' '.repeat(50_000)}a${'b'.repeat(50_000)}\u0000`);
    expect(performance.now() - started).toBeLessThan(500);
  });
});
