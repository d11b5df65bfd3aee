import { createDb } from '../db/pool';
import { runCli } from './commands';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  openDb: (url) => createDb(url, { max: 1, applicationName: 'layers-billing-cli' }),
});
