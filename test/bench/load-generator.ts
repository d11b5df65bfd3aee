/**
 * One autocannon run in a process of its own, forked by api.bench.ts: the options arrive by IPC and the
 * result goes back the same way. In its own process the load generator shares nothing with the server
 * but the machine (no V8 platform threads, no libuv pool, no process-wide GC pressure).
 */
import autocannon from 'autocannon';

process.once('message', (options: autocannon.Options) => {
  autocannon(options).then(
    (result) => process.send!(result, () => process.exit(0)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
