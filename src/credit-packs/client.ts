import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  type Client,
} from '@temporalio/client';
import type { Db } from '../db/pool';
import { fromErrorData } from '../errors';
import { domainErrorFrom } from '../temporal/failures';
import type { creditPackPurchaseWorkflow } from '../../workflows/credit-packs';
import { purchaseOutcomeUpdate, type PurchaseState } from '../../workflows/credit-packs.messages';
import { creditPackWorkflowId } from './ids';
import { openCreditPackPurchase, type CreditPackPurchaseResult, type OpenPurchaseInput } from './purchases';

export interface PurchaseClientDeps {
  db: Db;
  client: Client;
  taskQueue: string;
}

/**
 * Buys a credit pack for the org with its default card and waits for the outcome: the granted purchase,
 * or PAYMENT_DECLINED (402) with the decline code. Safe to retry with the same idempotency key: the key
 * names one purchase row, the row names one workflow, and a finished workflow answers with its outcome
 * instead of charging again. Bad input (unknown pack, malformed key, unknown org, key reused for another
 * pack) is refused before anything is written or charged.
 */
export async function purchaseCreditPack(
  deps: PurchaseClientDeps,
  input: OpenPurchaseInput,
): Promise<CreditPackPurchaseResult> {
  return (await buyCreditPack(deps, input)).result;
}

/** purchaseCreditPack, also telling whether this was a repeat of a request already made (same key). */
export async function buyCreditPack(
  deps: PurchaseClientDeps,
  input: OpenPurchaseInput,
): Promise<{ result: CreditPackPurchaseResult; replayed: boolean }> {
  const purchase = await openCreditPackPurchase(deps.db, input);
  return { result: await outcomeOfPurchase(deps, purchase), replayed: purchase.replayed };
}

async function outcomeOfPurchase(
  deps: PurchaseClientDeps,
  purchase: { id: string; org_id: string },
): Promise<CreditPackPurchaseResult> {
  const workflowId = creditPackWorkflowId(purchase.org_id, purchase.id);
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof creditPackPurchaseWorkflow>(
    'creditPackPurchaseWorkflow',
    {
      workflowId,
      taskQueue: deps.taskQueue,
      args: [{ orgId: purchase.org_id, purchaseId: purchase.id }],
      // Running: attach to it. Closed: never a second life (and a second charge) for the same purchase.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    },
  );
  try {
    return await deps.client.workflow.executeUpdateWithStart(purchaseOutcomeUpdate, {
      startWorkflowOperation,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw domainErrorFrom(err) ?? err;
    const state = await deps.client.workflow
      .getHandle<typeof creditPackPurchaseWorkflow>(workflowId)
      .result();
    return outcomeOf(state);
  }
}

function outcomeOf(state: PurchaseState): CreditPackPurchaseResult {
  if (state.result) return state.result;
  if (!state.error)
    throw new Error(`purchase ${state.purchaseId} closed without an outcome (${state.phase})`);
  throw fromErrorData(state.error);
}
