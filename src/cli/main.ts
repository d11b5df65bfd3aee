import { Client, Connection } from '@temporalio/client';
import { createDb } from '../db/pool';
import { runCli } from './commands';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stdoutStream: process.stdout,
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  openDb: (url) => createDb(url, { max: 1, applicationName: 'layers-billing-cli' }),
  async connectTemporal({ address, namespace, timeoutMs }) {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    return { client: new Client({ connection, namespace }), close: () => connection.close() };
  },
});
