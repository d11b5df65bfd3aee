import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { DEFAULT_ENGINE_TIMEOUT_MS } from '../generations/deadline';
import { domainErrorFrom } from '../temporal/failures';
import { engineUnavailable } from '../temporal/outage';
import {
  walletNudgeSignal,
  walletStateQuery,
  type WalletNudgeReason,
  type WalletWorkflowInput,
} from '../../workflows/wallet.messages';
import { walletWorkflowId } from './ids';

export interface WalletClientDeps {
  client: Client;
  taskQueue: string;
  /** How long a caller waits for Temporal before 503 ENGINE_UNAVAILABLE (default 10 s). */
  engineTimeoutMs?: number;
  /** Business time minus the workflow clock for a workflow this client starts (the simulator's). */
  clockOffsetMs?: number;
}

/**
 * Telling an org's wallet workflow to look again. Every nudge is a signal-with-start: the workflow exists
 * for an agency org's whole life, and the first nudge starts it, so no org needs enrolling and a
 * workflow that was terminated comes back on the next change. Nudges are sent only where something
 * changed that the workflow decides on (a bill that crossed the threshold or the floor, not every bill).
 */
export function createWalletClient({ client, taskQueue, engineTimeoutMs, clockOffsetMs }: WalletClientDeps) {
  const timeoutMs = engineTimeoutMs ?? DEFAULT_ENGINE_TIMEOUT_MS;

  async function bounded<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await client.withDeadline(Date.now() + timeoutMs, fn);
    } catch (err) {
      throw domainErrorFrom(err) ?? engineUnavailable(err) ?? err;
    }
  }

  return {
    nudge: (orgId: string, reason: WalletNudgeReason): Promise<void> =>
      bounded(async () => {
        const input: WalletWorkflowInput = { orgId, clockOffsetMs: clockOffsetMs ?? 0 };
        const workflowId = walletWorkflowId(orgId);
        try {
          await client.workflow.signalWithStart('walletWorkflow', {
            workflowId,
            taskQueue,
            args: [input],
            signal: walletNudgeSignal,
            signalArgs: [{ reason }],
          });
        } catch (err) {
          // Two first nudges at once can both try the start; the loser is told it is already started
          // (Temporal's test server says so more often than a real one). It is running: signal it.
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          await client.workflow.getHandle(workflowId).signal(walletNudgeSignal, { reason });
        }
      }),

    state: (orgId: string) =>
      bounded(() => client.workflow.getHandle(walletWorkflowId(orgId)).query(walletStateQuery)),
  };
}

export type WalletClient = ReturnType<typeof createWalletClient>;
