import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDrift } from '../../src/credits/reconcile';
import { DomainError } from '../../src/errors';
import { newId } from '../../src/ids';
import { projectOwnerCheck } from '../../src/orgs/projects';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { makeOrg } from '../support/fixtures';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  if (!t) return;
  expect(await findDrift(t.db)).toEqual([]);
  await t.close();
});

const refusal = (p: Promise<void>) =>
  p.then(
    () => undefined,
    (err: unknown) => (err instanceof DomainError ? err.code : err),
  );

describe('projectOwnerCheck', () => {
  it("accepts the org's own project and refuses another org's, or an unknown one, as not found", async () => {
    const a = await makeOrg(t.db);
    const b = await makeOrg(t.db);
    const check = projectOwnerCheck(t.db);
    await expect(check(a.orgId, a.projectId)).resolves.toBeUndefined();
    expect(await refusal(check(a.orgId, b.projectId))).toBe('NOT_FOUND');
    expect(await refusal(check(a.orgId, 'prj_nope'))).toBe('NOT_FOUND');
  });

  it('does not remember a refusal: a project created after it is accepted', async () => {
    const org = await makeOrg(t.db);
    const check = projectOwnerCheck(t.db);
    const projectId = newId('prj');
    expect(await refusal(check(org.orgId, projectId))).toBe('NOT_FOUND');
    await t.db.insertInto('projects').values({ id: projectId, org_id: org.orgId, name: 'Later' }).execute();
    await expect(check(org.orgId, projectId)).resolves.toBeUndefined();
  });

  it('remembers an ownership once read, so the next check asks PostgreSQL nothing', async () => {
    const org = await makeOrg(t.db);
    const projectId = newId('prj');
    await t.db.insertInto('projects').values({ id: projectId, org_id: org.orgId, name: 'Once' }).execute();
    const check = projectOwnerCheck(t.db);
    await check(org.orgId, projectId);
    // Nothing in the product deletes a project; the test does, to see that the check no longer reads it.
    await t.db.deleteFrom('projects').where('id', '=', projectId).execute();
    await expect(check(org.orgId, projectId)).resolves.toBeUndefined();
    expect(await refusal(projectOwnerCheck(t.db)(org.orgId, projectId))).toBe('NOT_FOUND');
  });
});
