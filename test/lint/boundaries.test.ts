import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The import boundaries of eslint.config.js, checked on snippets: a pattern that no longer matches
// (a typo, a block shadowed by a later one) would otherwise pass lint silently forever.

const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });

/** The messages no-restricted-imports reports for `code` as if it were the file at `filePath`. */
async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport const _used = [];\n`, { filePath });
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const refused = async (filePath: string, code: string) =>
  expect(await restricted(filePath, code), `${filePath}: ${code}`).toHaveLength(1);
const allowed = async (filePath: string, code: string) =>
  expect(await restricted(filePath, code), `${filePath}: ${code}`).toEqual([]);

describe('src/ never imports test/', () => {
  it('refuses it in domain code and in entry points', async () => {
    await refused('src/credits/x.ts', "import { databaseUrl } from '../../test/support/postgres';");
    await refused('src/main.ts', "import { databaseUrl } from '../test/support/postgres';");
    await refused('src/dev/demo.ts', "import { startLocalStripe } from '../../test/support/localstripe';");
    await refused(
      'src/temporal/worker.ts',
      "import type { TestDatabase } from '../../test/support/database';",
    );
  });

  it('still lets src/ import its own modules and packages', async () => {
    await allowed(
      'src/credits/x.ts',
      "import { sql } from 'kysely';\nimport { DomainError } from '../errors';",
    );
    await allowed('src/dev/main.ts', "import { createDb } from '../db/pool';");
  });

  it('holds the dev launcher to it too: nothing in src/ imports test code', async () => {
    await refused('src/dev/stripe.ts', "import { startLocalStripe } from '../../test/support/localstripe';");
  });
});

describe('domain code never imports workflows/ or activities/', () => {
  it('refuses activities, even their types, outside the worker', async () => {
    await refused('src/credit-packs/x.ts', "import { createActivities } from '../../activities/index';");
    await refused(
      'src/credit-packs/x.ts',
      "import type { CreditPackActivities } from '../../activities/credit-packs';",
    );
    await allowed('src/temporal/worker.ts', "import { createActivities } from '../../activities/index';");
  });

  it('refuses workflow code but shares the message definitions and the workflow types', async () => {
    await refused(
      'src/generations/x.ts',
      "import { generationWorkflow } from '../../workflows/generations';",
    );
    await refused('src/generations/x.ts', "import * as workflows from '../../workflows';");
    await refused('src/generations/x.ts', "import { generationWorkflow } from '../../workflows/index';");
    await allowed(
      'src/generations/x.ts',
      "import type { generationWorkflow } from '../../workflows/generations';",
    );
    await allowed(
      'src/credit-packs/x.ts',
      "import { paymentEventSignal } from '../../workflows/credit-packs.messages';",
    );
  });
});

describe('workflows import runtime code only from an allow-list', () => {
  it('allows the SDK, sibling workflows and the pure modules', async () => {
    await allowed('workflows/x.ts', "import { condition } from '@temporalio/workflow';");
    await allowed('workflows/x.ts', "import { ApplicationFailure } from '@temporalio/common';");
    await allowed('workflows/x.ts', "import { stateQuery } from './generations.messages';");
    await allowed('workflows/x.ts', "import { DomainError } from '../src/errors';");
    await allowed('workflows/x.ts', "import { requirePlausibleCost } from '../src/credits/ceiling';");
    await allowed('workflows/x.ts', "import { toApplicationFailure } from '../src/temporal/failures';");
  });

  it('refuses I/O packages and modules under src/ that are not on the list', async () => {
    await refused('workflows/x.ts', "import { sql } from 'kysely';");
    await refused('workflows/x.ts', "import { randomUUID } from 'node:crypto';");
    await refused('workflows/x.ts', "import { Client } from '@temporalio/client';");
    await refused('workflows/x.ts', "import { reserveCredits } from '../src/credits/ledger';");
    await refused('workflows/x.ts', "import { newId } from '../src/ids';");
    // A name that only starts like an allowed module is not that module.
    await refused('workflows/x.ts', "import { x } from '../src/errors-extra';");
  });

  it('takes only types from activities/ and from the rest of src/', async () => {
    await refused(
      'workflows/x.ts',
      "import { createGenerationActivities } from '../activities/generations';",
    );
    await allowed('workflows/x.ts', "import type { GenerationActivities } from '../activities/generations';");
    await allowed('workflows/x.ts', "import type { ReserveResult } from '../src/credits/ledger';");
  });

  it('holds the allowed modules to the same list, so it stays closed', async () => {
    await allowed('src/temporal/failures.ts', "import { isRefusedInput } from '../db/refusal';");
    await allowed('src/credits/ceiling.ts', "import { MAX_CREDITS_PER_OPERATION } from './amounts';");
    await allowed('src/errors.ts', "import { ApplicationFailure } from '@temporalio/common';");
    await refused('src/errors.ts', "import { sql } from 'kysely';");
    await refused('src/credits/amounts.ts', "import { findPack } from './packs';");
    await refused('src/generations/deadline.ts', "import { newId } from '../ids';");
  });
});
