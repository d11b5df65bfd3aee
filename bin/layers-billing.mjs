#!/usr/bin/env node
// The admin CLI's entry: loads tsx's TypeScript loader into this process and runs src/cli/main.ts, so
// the package ships no build step and the bin works wherever it is installed or linked from.
import { fileURLToPath, URL } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/cli/main.ts');
