import path from 'node:path';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// ---- Import boundaries (issue 8, item 3) ----
// Built on the core `no-restricted-imports` rule: its `regex` patterns and `allowTypeImports` say all we
// need, with no resolver to configure. ESLint applies one set of options per rule and file (the last
// matching block wins), so each block below lists every restriction its files are under.
// test/lint/boundaries.test.ts lints snippets against these blocks so they cannot silently stop working.

/** Processes' entry points: they build every dependency and wire the workflows and activities. */
const ENTRY_POINTS = ['src/main.ts', 'src/dev/**/*.ts', 'src/temporal/worker.ts'];

/** The billing domain's pure rules: everything in src/billing but its database and client modules. */
const BILLING_RULES = [
  'allowance',
  'changes',
  'clock',
  'dunning',
  'error-codes',
  'ids',
  'lifecycle',
  'limits',
  'overage',
  'period',
  'prices',
  'proration',
  'refusals',
  'renewal',
  'rollover',
  'rounding',
  'statuses',
  'subscription',
  'tiers',
].map((name) => `src/billing/${name}.ts`);

/** The wallet domain's pure rules: everything in src/wallet but its database modules. */
const WALLET_RULES = [
  'amounts',
  'auto-top-up',
  'days',
  'error-codes',
  'fees',
  'floor',
  'forecast',
  'ids',
  'next-step',
  'platforms',
  'records',
  'settings',
  'statuses',
  'withdrawal',
].map((name) => `src/wallet/${name}.ts`);

/** Usage's pure rules (src/invoices/usage-*.ts but its recording and queries). */
const USAGE_RULES = ['usage-metrics', 'usage-rules'].map((name) => `src/invoices/${name}.ts`);

/**
 * The only modules under src/ a workflow may import runtime code from: pure (no I/O, no clock, no
 * randomness), because they run inside Temporal's deterministic sandbox. They may import only each other
 * and @temporalio/common, so the list is closed.
 */
const WORKFLOW_SAFE = [
  'src/errors.ts',
  'src/credits/amounts.ts',
  'src/credits/ceiling.ts',
  'src/generations/deadline.ts',
  'src/temporal/failures.ts',
  'src/db/refusal.ts',
  'src/db/seed/catalog.ts',
  'src/invoices/ids.ts',
  'src/invoices/error-codes.ts',
  ...BILLING_RULES,
  ...WALLET_RULES,
  ...USAGE_RULES,
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const withoutTs = (file) => file.replace(/\.ts$/, '');

const neverTest = {
  regex: '(^|/)test/',
  message: 'src/ never imports test/: what a test and production share belongs under src/',
};
const neverActivities = {
  regex: '(^|/)activities($|/)',
  message: 'domain code never imports activities/: only the worker (src/temporal/worker.ts) wires them',
};
// Clients and webhooks share the workflows' message definitions (the `*.messages` modules: define*
// handles and their types) and name a workflow function's type; they never run workflow code.
const neverWorkflowCode = {
  regex: '(^|/)workflows($|/(?![\\w.-]*\\.messages$))',
  allowTypeImports: true,
  message: 'domain code imports only the `*.messages` modules of workflows/ (and types of the rest)',
};

/** A pattern refusing every import but `allowed` (exact specifiers); types may come from anywhere. */
const onlyFrom = (allowed, message) => ({
  regex: `^(?!(${allowed.join('|')})$)`,
  allowTypeImports: true,
  message,
});

/** Each workflow-safe module may import only the others, written as relative to its own folder. */
const workflowSafeBlocks = WORKFLOW_SAFE.map((file) => {
  const others = WORKFLOW_SAFE.filter((f) => f !== file).map((to) => {
    const rel = withoutTs(path.posix.relative(path.posix.dirname(file), to));
    return escape(rel.startsWith('.') ? rel : `./${rel}`);
  });
  return {
    files: [file],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            onlyFrom(
              ['@temporalio/common', ...others],
              'workflows import this module: it may import only @temporalio/common and the other ' +
                'workflow-safe modules (WORKFLOW_SAFE in eslint.config.js)',
            ),
          ],
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'coverage/', 'dashboard/dist/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ENTRY_POINTS,
    rules: {
      'no-restricted-imports': ['error', { patterns: [neverTest, neverActivities, neverWorkflowCode] }],
    },
  },
  {
    files: ENTRY_POINTS,
    rules: { 'no-restricted-imports': ['error', { patterns: [neverTest] }] },
  },
  {
    // The dashboard (a browser app): React's rules of hooks, type-only imports kept apart (the bundler
    // drops them), and from the engine only types: every number it shows comes from the API.
    files: ['dashboard/**/*.{ts,tsx}'],
    ignores: ['dashboard/vite.config.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            onlyFrom(
              [
                'react',
                'react-dom/client',
                'recharts',
                'date-fns',
                '\\.{1,2}/[\\w./-]+\\.css',
                '(\\.{1,2}/)+(?!(\\.\\./)*src/)[\\w./-]+',
              ],
              'the dashboard imports runtime code only from react, recharts, date-fns and its own modules; ' +
                'from the engine (src/) only types: what it shows comes from the API',
            ),
          ],
        },
      ],
    },
  },
  ...workflowSafeBlocks,
  {
    // Workflows run in Temporal's deterministic sandbox: runtime code only from the SDK's workflow-safe
    // packages, sibling workflow modules and WORKFLOW_SAFE; from activities/ only types.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)activities($|/)',
              allowTypeImports: true,
              message: 'import only types from activities/',
            },
            onlyFrom(
              [
                '@temporalio/workflow',
                '@temporalio/common',
                '\\./[\\w.-]+',
                // Left to the pattern above, which says why.
                '(\\.\\./)+activities(/[\\w.-]+)?',
                ...WORKFLOW_SAFE.map((f) => `(\\.\\./)+${escape(withoutTs(f))}`),
              ],
              'workflows import runtime code only from @temporalio/workflow, @temporalio/common, ' +
                'other workflows and the pure modules in WORKFLOW_SAFE (eslint.config.js)',
            ),
          ],
        },
      ],
    },
  },
);
