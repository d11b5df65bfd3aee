import { createRequire } from 'node:module';
import path from 'node:path';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/**
 * A PDF's text as a reader sees it, through Mozilla's PDF.js (the parser browsers use): per page, the
 * lines top to bottom, each line the text pieces left to right. Pieces whose baselines are within 2 pt
 * make one line, so a table row reads as one line of cells.
 */
export interface PdfText {
  pages: string[][][];
  /** Every line of every page, its cells joined by " | ". */
  lines: string[];
  info: Record<string, unknown>;
}

const standardFontDataUrl = `${path.join(path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts')}/`;

export async function readPdfText(pdf: Buffer): Promise<PdfText> {
  const doc = await getDocument({ data: new Uint8Array(pdf), standardFontDataUrl, verbosity: 0 }).promise;
  const pages: string[][][] = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    const pieces: { x: number; y: number; str: string }[] = [];
    for (const item of content.items) {
      if (!('str' in item) || item.str.trim() === '') continue;
      pieces.push({ x: item.transform[4] as number, y: item.transform[5] as number, str: item.str.trim() });
    }
    pieces.sort((a, b) => b.y - a.y || a.x - b.x);
    const lines: { y: number; cells: { x: number; str: string }[] }[] = [];
    for (const p of pieces) {
      const line = lines.find((l) => Math.abs(l.y - p.y) <= 2);
      if (line) line.cells.push(p);
      else lines.push({ y: p.y, cells: [p] });
    }
    pages.push(lines.map((l) => l.cells.sort((a, b) => a.x - b.x).map((c) => c.str)));
  }
  const { info } = await doc.getMetadata();
  await doc.destroy();
  return {
    pages,
    lines: pages.flatMap((p) => p.map((cells) => cells.join(' | '))),
    info: info as Record<string, unknown>,
  };
}
