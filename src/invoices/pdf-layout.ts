import { winAnsi } from './pdf-text';

/**
 * Page flow and tables on top of pdfkit: pdfkit places text but knows nothing of tables, so this keeps a
 * cursor, breaks pages before a row that would not fit (never inside one), and on every new page redraws
 * what the reader needs to read the rows that follow (the section's title and the table's column headers,
 * the current project's heading).
 */

export const FONT = { regular: 'Helvetica', bold: 'Helvetica-Bold' } as const;
export const COLOR = {
  text: '#1a1a1a',
  muted: '#666666',
  rule: '#d9d9d9',
  strongRule: '#1a1a1a',
  fill: '#f2f2f2',
};
export const SIZE = { body: 9, small: 8, section: 11 } as const;

/** Room kept above the bottom margin for the footer ("Page N of M"). */
const FOOTER_SPACE = 24;
const CELL_PAD_X = 4;
const CELL_PAD_Y = 4;

export class Flow {
  y: number;
  private readonly repeats: ((continued: boolean) => void)[] = [];

  constructor(
    readonly doc: PDFKit.PDFDocument,
    /** Drawn at the top of every page after the first. */
    private readonly runningHeader: (flow: Flow) => void,
  ) {
    this.y = doc.page.margins.top;
  }

  get left(): number {
    return this.doc.page.margins.left;
  }

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom - FOOTER_SPACE;
  }

  /** Starts a new page unless `height` more points fit on this one. */
  room(height: number): void {
    if (this.y + height <= this.bottom) return;
    this.doc.addPage();
    this.y = this.doc.page.margins.top;
    this.runningHeader(this);
    for (const draw of this.repeats) draw(true);
  }

  /**
   * Draws `draw(false)` now and, while `body` runs, `draw(true)` at the top of every new page: how a
   * section title, a table header or a project heading follows its rows onto the next page.
   */
  repeating(draw: (continued: boolean) => void, body: () => void): void {
    draw(false);
    this.repeats.push(draw);
    try {
      body();
    } finally {
      this.repeats.pop();
    }
  }

  rule(color = COLOR.rule, width = 0.5, left = this.left, right = this.left + this.width): void {
    this.doc
      .save()
      .moveTo(left, this.y)
      .lineTo(right, this.y)
      .lineWidth(width)
      .strokeColor(color)
      .stroke()
      .restore();
  }

  /** One line of text at the cursor, which then moves below it. */
  line(text: string, opts: { font?: string; size?: number; color?: string; gapAfter?: number } = {}): void {
    const { font = FONT.regular, size = SIZE.body, color = COLOR.text, gapAfter = 2 } = opts;
    this.doc.font(font).fontSize(size).fillColor(color);
    const s = winAnsi(text);
    const h = this.doc.heightOfString(s, { width: this.width });
    this.room(h);
    this.doc.text(s, this.left, this.y, { width: this.width });
    this.y += h + gapAfter;
  }
}

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right';
}

export interface RowStyle {
  font?: string;
  color?: string;
  fill?: string;
  /** A dark rule above the row (subtotals); rows otherwise end with a light rule. */
  strongRuleAbove?: boolean;
  /** Cells that span: [first column, last column] of one text (headings, subtotal labels). */
  span?: [number, number];
  spanAlign?: 'left' | 'right';
  /** Points from the left margin where the table starts (a narrower table, set to the right). */
  inset?: number;
}

const columnX = (flow: Flow, columns: readonly Column[], i: number, inset = 0): number =>
  flow.left + inset + columns.slice(0, i).reduce((s, c) => s + c.width, 0);

function rowHeight(flow: Flow, cells: { text: string; width: number }[]): number {
  const heights = cells.map((c) => flow.doc.heightOfString(c.text, { width: c.width - 2 * CELL_PAD_X }));
  return Math.max(...heights) + 2 * CELL_PAD_Y;
}

/** One table row; `cells` has one string per column (or one per span). */
export function drawRow(
  flow: Flow,
  columns: readonly Column[],
  cells: readonly string[],
  style: RowStyle = {},
): void {
  const { doc } = flow;
  doc.font(style.font ?? FONT.regular).fontSize(SIZE.body);
  const placed = style.span
    ? [
        ...columns.slice(0, style.span[0]).map((c, i) => ({ i, width: c.width, align: c.align })),
        {
          i: style.span[0],
          width: columns.slice(style.span[0], style.span[1] + 1).reduce((s, c) => s + c.width, 0),
          align: style.spanAlign ?? 'left',
        },
        ...columns
          .slice(style.span[1] + 1)
          .map((c, j) => ({ i: style.span![1] + 1 + j, width: c.width, align: c.align })),
      ]
    : columns.map((c, i) => ({ i, width: c.width, align: c.align }));
  const texts = placed.map((p, k) => ({ ...p, text: winAnsi(cells[k] ?? '') }));
  const height = rowHeight(flow, texts);
  flow.room(height);
  const inset = style.inset ?? 0;
  const left = flow.left + inset;
  const width = columns.reduce((s, c) => s + c.width, 0);
  if (style.fill) {
    doc.save().rect(left, flow.y, width, height).fillColor(style.fill).fill().restore();
  }
  if (style.strongRuleAbove) flow.rule(COLOR.strongRule, 0.75, left, left + width);
  doc.fillColor(style.color ?? COLOR.text);
  // Accounting alignment: a right-aligned cell without a closing parenthesis stops where a negative's
  // digits stop, so that $109.00 and ($59.77) line up digit for digit.
  const hang = doc.widthOfString(')');
  for (const t of texts) {
    const hanging = t.align === 'right' && !t.text.endsWith(')') ? hang : 0;
    doc.text(t.text, columnX(flow, columns, t.i, inset) + CELL_PAD_X, flow.y + CELL_PAD_Y, {
      width: t.width - 2 * CELL_PAD_X - hanging,
      align: t.align ?? 'left',
    });
  }
  flow.y += height;
  if (!style.fill && !style.strongRuleAbove) flow.rule(COLOR.rule, 0.5, left, left + width);
}

export function drawHeaderRow(flow: Flow, columns: readonly Column[]): void {
  drawRow(
    flow,
    columns,
    columns.map((c) => c.header),
    { font: FONT.bold, fill: COLOR.fill, color: COLOR.text },
  );
}

/** The height a row of these cells would take: to keep a heading with its first row. */
export function measureRow(
  flow: Flow,
  columns: readonly Column[],
  cells: readonly string[],
  font: string = FONT.regular,
): number {
  flow.doc.font(font).fontSize(SIZE.body);
  return rowHeight(
    flow,
    columns.map((c, i) => ({ text: winAnsi(cells[i] ?? ''), width: c.width })),
  );
}
