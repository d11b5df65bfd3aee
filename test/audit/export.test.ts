import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyActor, workflowActor } from '../../src/audit/actors';
import { CSV_COLUMNS } from '../../src/audit/export';
import { chainHash, GENESIS_HASH } from '../../src/audit/hash';
import { recordAuditEvent, type AuditEvent } from '../../src/audit/trail';
import { verifyAuditChains } from '../../src/audit/verify';
import { startApiHarness, type ApiHarness, type TestOrg } from '../support/api';

/**
 * GET /v1/audit-events over real HTTP and PostgreSQL: both formats parse back to exactly the events
 * recorded, from which the chain verifies on its own; the time range is [from, to); bad parameters are
 * 400 with a stable code; another org's key sees none of this org's events.
 */
let h: ApiHarness;
let a: TestOrg;
let b: TestOrg;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (hours: number) => new Date(T0 + hours * 3600_000);

beforeAll(async () => {
  h = await startApiHarness();
  a = await h.newOrg();
  b = await h.newOrg();
  // Values a CSV must quote: commas, quotes, newlines, non-ASCII.
  const awkward = { note: 'a, "quoted"\nline', name: 'Café ☕', cents: 1234, nested: { list: [1, null] } };
  for (let i = 0; i < 6; i++) {
    await recordAuditEvent(h.t.db, a.orgId, {
      actor: i % 2 ? apiKeyActor(a.prefix) : workflowActor(`wallet:${a.orgId}`),
      action: i % 2 ? 'wallet.floor_updated' : 'wallet.top_up_succeeded',
      key: `key,${i}`,
      before: i === 0 ? undefined : { floorCents: i },
      after: { ...awkward, i },
      occurredAt: at(i),
    });
  }
  await recordAuditEvent(h.t.db, b.orgId, {
    actor: apiKeyActor(b.prefix),
    action: 'credits.alert_updated',
    key: 'b-only',
    after: { thresholdCredits: 5 },
    occurredAt: at(2),
  });
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function exportText(key: string, query: string) {
  const res = await fetch(`${h.baseUrl}/v1/audit-events${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const fromJsonl = (text: string): AuditEvent[] =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEvent);

function fromCsv(text: string): AuditEvent[] {
  const rows = parse(text, { columns: true }) as Record<(typeof CSV_COLUMNS)[number], string>[];
  return rows.map((r) => ({
    orgId: r.org_id,
    seq: Number(r.seq),
    occurredAt: r.occurred_at,
    actor: { type: r.actor_type as AuditEvent['actor']['type'], id: r.actor_id },
    action: r.action,
    key: r.key,
    before: r.before === '' ? null : JSON.parse(r.before),
    after: r.after === '' ? null : JSON.parse(r.after),
    prevHash: r.prev_hash,
    hash: r.hash,
  }));
}

/** The chain checked from an export alone, with the published rule. */
function expectChainVerifies(events: AuditEvent[]) {
  let prev = GENESIS_HASH;
  for (const e of events) {
    expect(e.prevHash).toBe(prev);
    expect(chainHash(e)).toBe(e.hash);
    prev = e.hash;
  }
}

async function recorded(orgId: string): Promise<AuditEvent[]> {
  return fromJsonl(
    (await h.t.db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId).orderBy('seq').execute())
      .map((r) =>
        JSON.stringify({
          orgId: r.org_id,
          seq: r.seq,
          occurredAt: r.occurred_at.toISOString(),
          actor: { type: r.actor_type, id: r.actor_id },
          action: r.action,
          key: r.key,
          before: r.before,
          after: r.after,
          prevHash: r.prev_hash,
          hash: r.hash,
        }),
      )
      .join('\n'),
  );
}

describe('GET /v1/audit-events', () => {
  it('CSV parses back to the recorded events, header first, and the chain verifies from it', async () => {
    const res = await exportText(a.apiKey, '?format=csv');
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/csv; charset=utf-8');
    expect(res.text.split('\n')[0]).toBe(CSV_COLUMNS.join(','));
    const events = fromCsv(res.text);
    expect(events).toEqual(await recorded(a.orgId));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events[0]!.before).toBeNull();
    expect(events[3]!.after).toMatchObject({ note: 'a, "quoted"\nline', name: 'Café ☕', i: 3 });
    expectChainVerifies(events);
  });

  it('JSON Lines (the default format) parse back to the same events', async () => {
    const res = await exportText(a.apiKey, '');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/x-ndjson; charset=utf-8');
    expect(res.text.endsWith('\n')).toBe(true);
    const events = fromJsonl(res.text);
    expect(events).toEqual(await recorded(a.orgId));
    expect(fromJsonl((await exportText(a.apiKey, '?format=jsonl')).text)).toEqual(events);
    expectChainVerifies(events);
  });

  it('takes the events with occurredAt in [from, to); none when from is not before to', async () => {
    const q = (from: Date, to: Date, format = 'jsonl') =>
      exportText(a.apiKey, `?from=${from.toISOString()}&to=${to.toISOString()}&format=${format}`);
    expect(fromJsonl((await q(at(1), at(4))).text).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(
      fromJsonl(
        (await exportText(a.apiKey, `?from=${encodeURIComponent('2026-03-01T04:00:00+00:00')}`)).text,
      ).map((e) => e.seq),
    ).toEqual([5, 6]);
    expect(
      fromJsonl((await exportText(a.apiKey, `?to=${at(1).toISOString()}`)).text).map((e) => e.seq),
    ).toEqual([1]);
    expect((await q(at(4), at(4))).text).toBe('');
    expect((await q(at(5), at(1))).text).toBe('');
    // An empty CSV still names its columns.
    expect((await q(at(5), at(1), 'csv')).text).toBe(`${CSV_COLUMNS.join(',')}\n`);
  });

  it('another org’s key sees only its own events', async () => {
    const events = fromJsonl((await exportText(b.apiKey, '')).text);
    expect(events.map((e) => [e.orgId, e.key])).toEqual([[b.orgId, 'b-only']]);
    expect((await exportText(b.apiKey, '?format=csv')).text).not.toContain(a.orgId);
  });

  it.each([
    ['an unknown format', '?format=xml'],
    ['an empty format', '?format='],
    ['a malformed from', '?from=yesterday'],
    ['an impossible date', '?from=2026-02-30T00:00:00Z'],
    ['a date without a time zone', '?to=2026-03-01T00:00:00'],
    ['an unknown parameter', '?org=someone-else'],
    ['a repeated parameter', '?format=csv&format=jsonl'],
  ])('refuses %s with 400 VALIDATION_FAILED, writing nothing', async (_what, query) => {
    const before = await verifyAuditChains(h.t.db);
    const res = await h.call('GET', `/v1/audit-events${query}`, { key: a.apiKey });
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({
      status: 400,
      code: 'VALIDATION_FAILED',
    });
    expect(await verifyAuditChains(h.t.db)).toEqual(before);
  });

  it('needs a key', async () => {
    const res = await h.call('GET', '/v1/audit-events');
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({
      status: 401,
      code: 'UNAUTHENTICATED',
    });
  });

  it('is documented with both media types', async () => {
    const doc = (await h.call('GET', '/v1/openapi.json')).body;
    const op = doc.paths['/v1/audit-events'].get;
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/csv', 'application/x-ndjson']);
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(['from', 'to', 'format']);
    expect(Object.keys(op.responses['400'].content)).toEqual(['application/json']);
  });
});
