import { AD_PLATFORMS } from '../wallet/statuses';
import { INVOICE_LINE_KINDS, type InvoiceLine, type InvoiceLineKind } from './document';

/**
 * The order every rendering shows lines in (issue 11): the plan, credits per project, credit packs,
 * wallet debits per project and platform, usage over allowance. The document stores its lines in this
 * order (./checks.ts sorts them when it is issued), so the JSON, the CSV and the PDF agree line for line.
 */
export const LINE_GROUPS = [
  { id: 'plan', title: 'Subscription', kinds: ['subscription', 'proration'] },
  {
    id: 'credits',
    title: 'Credits consumed by project',
    kinds: ['credits_rolled_over', 'credits_included', 'credits_prepaid', 'credits_overage'],
  },
  { id: 'packs', title: 'Credit packs', kinds: ['credit_pack'] },
  { id: 'wallet', title: 'Ad spend by project, paid from the wallet', kinds: ['ad_spend', 'platform_fee'] },
  { id: 'usage', title: 'Usage over allowance', kinds: ['usage_overage'] },
] as const satisfies readonly { id: string; title: string; kinds: readonly InvoiceLineKind[] }[];

export type LineGroupId = (typeof LINE_GROUPS)[number]['id'];

const groupIndex = new Map<InvoiceLineKind, number>(
  LINE_GROUPS.flatMap((g, i) => g.kinds.map((k) => [k, i] as const)),
);

export const groupOf = (kind: InvoiceLineKind): LineGroupId => LINE_GROUPS[groupIndex.get(kind)!]!.id;

/** Lines shown per project (grouped under the project's heading in the PDF). */
export const isProjectGroup = (id: LineGroupId): boolean => id === 'credits' || id === 'wallet';

const kindIndex = (kind: InvoiceLineKind) => INVOICE_LINE_KINDS.indexOf(kind);
const platformIndex = (line: InvoiceLine) =>
  line.platform === undefined ? -1 : AD_PLATFORMS.indexOf(line.platform);

/** Names sort as a reader expects ("Client 2" before "Client 10"), then by code unit, so ties are total. */
const collator = new Intl.Collator('en-US', { numeric: true });
const compareText = (a: string, b: string) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
const compareProjects = (a: InvoiceLine, b: InvoiceLine) =>
  compareText(a.projectName ?? a.projectId ?? '', b.projectName ?? b.projectId ?? '') ||
  compareText(a.projectId ?? '', b.projectId ?? '');

/**
 * Lines in display order. Within the plan and pack groups the caller's order stands (it is the order
 * things happened in); credits and wallet lines sort by project, then platform (in AD_PLATFORMS order),
 * then kind; usage by metric, then project. Stable, so equal keys keep the caller's order.
 */
export function orderLines<L extends InvoiceLine>(lines: readonly L[]): L[] {
  return lines
    .map((line, i) => ({ line, i }))
    .sort((a, b) => {
      const ga = groupIndex.get(a.line.kind)!;
      const gb = groupIndex.get(b.line.kind)!;
      if (ga !== gb) return ga - gb;
      const group = LINE_GROUPS[ga]!.id;
      if (group === 'usage') {
        const byMetric = compareText(a.line.metric ?? '', b.line.metric ?? '');
        if (byMetric !== 0) return byMetric;
      }
      if (group === 'credits' || group === 'wallet' || group === 'usage') {
        const byProject = compareProjects(a.line, b.line);
        if (byProject !== 0) return byProject;
        const byPlatform = platformIndex(a.line) - platformIndex(b.line);
        if (byPlatform !== 0) return byPlatform;
        const byKind = kindIndex(a.line.kind) - kindIndex(b.line.kind);
        if (byKind !== 0) return byKind;
      }
      return a.i - b.i;
    })
    .map(({ line }) => line);
}

/**
 * Whether lines are in an order the renderers can show: groups in display order, and each project's
 * lines (each project and platform's, for wallet lines) next to each other. Weaker than "sorted by
 * orderLines" on purpose: a stored invoice must still read back if a later ICU sorts names differently.
 */
export function isGrouped(lines: readonly InvoiceLine[]): boolean {
  const groups = lines.map((l) => groupIndex.get(l.kind)!);
  if (groups.some((g, i) => i > 0 && g < groups[i - 1]!)) return false;
  const project = lines.map((l) => {
    const id = groupOf(l.kind);
    return isProjectGroup(id) ? `${id}|${l.projectId}` : id;
  });
  const platform = lines.map((l, i) =>
    groupOf(l.kind) === 'wallet' ? `${project[i]}|${l.platform}` : project[i]!,
  );
  return contiguous(project) && contiguous(platform);
}

/** Equal keys only ever next to each other. */
function contiguous(keys: readonly string[]): boolean {
  const seen = new Set<string>();
  let previous: string | undefined;
  for (const key of keys) {
    if (key === previous) continue;
    if (seen.has(key)) return false;
    seen.add(key);
    previous = key;
  }
  return true;
}

export interface LineGroup {
  id: LineGroupId;
  title: string;
  lines: InvoiceLine[];
}

/** The non-empty groups of ordered lines, in display order. */
export function groupLines(lines: readonly InvoiceLine[]): LineGroup[] {
  return LINE_GROUPS.map((g) => ({
    id: g.id,
    title: g.title,
    lines: lines.filter((l) => groupOf(l.kind) === g.id),
  })).filter((g) => g.lines.length > 0);
}

/**
 * One project's debits on one platform: its spend line and its fee line side by side, as the PDF shows
 * them. Either may be missing (a fee of 0 bps leaves no fee line).
 */
export interface WalletRow {
  projectId: string;
  projectName?: string;
  platform: NonNullable<InvoiceLine['platform']>;
  spend?: InvoiceLine;
  fee?: InvoiceLine;
}

/** Pairs ordered wallet lines per project and platform (./checks.ts allows one of each kind per pair). */
export function walletRows(lines: readonly InvoiceLine[]): WalletRow[] {
  const rows: WalletRow[] = [];
  for (const line of lines) {
    if (groupOf(line.kind) !== 'wallet') continue;
    let row = rows.at(-1);
    if (!row || row.projectId !== line.projectId || row.platform !== line.platform) {
      row = { projectId: line.projectId!, projectName: line.projectName, platform: line.platform! };
      rows.push(row);
    }
    if (line.kind === 'ad_spend') row.spend = line;
    else row.fee = line;
  }
  return rows;
}
