/**
 * The PDF uses only the standard Helvetica faces (nothing embedded, nothing downloaded), which encode
 * text in WinAnsi (Windows-1252): Latin-1 plus a few typographic characters. pdfkit writes any other
 * character as an unrelated glyph (`日本` would print as garbage), so text outside the set becomes `?`,
 * visibly and honestly; the JSON and CSV keep the original. A minus sign (U+2212) becomes a hyphen.
 */
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

const encodable = (ch: string): boolean => {
  const cp = ch.codePointAt(0)!;
  return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff) || WIN_ANSI_EXTRA.has(ch);
};

export function winAnsi(text: string): string {
  let out = '';
  for (const ch of text.normalize('NFC')) {
    if (encodable(ch)) out += ch;
    else if (ch === '\u2212') out += '-';
    else if (ch === '\n' || ch === '\t') out += ' ';
    else out += '?';
  }
  return out;
}
