import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CaptureResult, ReleaseResult, ReserveResult } from '../src/credits/ledger';
import type { DomainErrorData } from '../src/errors';

/** Messages of the generation workflow, shared by the workflow and its client (defined once). */

export interface GenerationInput {
  orgId: string;
  projectId: string;
  generationId: string;
  format: string;
  /** How long the hold lives before a durable timer releases it. */
  holdTimeoutMs: number;
  /**
   * The caller's deadline, as a budget from the workflow's start: a reservation is made within this many
   * ms of the start or not at all, because the caller (the API, waiting synchronously) has given up by
   * then. Measured on the Temporal server's clock (start time and workflow time), so clock skew between
   * API hosts and the server cannot move it. Absent in histories older than it: no deadline.
   */
  reserveWithinMs?: number;
}

export interface CompleteRequest {
  actualCredits: number;
  model?: string | null;
}

export interface FailRequest {
  reason: string;
}

export type Ending =
  ({ kind: 'complete' } & CompleteRequest) | ({ kind: 'fail' } & FailRequest) | { kind: 'expire' };

export type GenerationPhase =
  'reserving' | 'running' | 'settling' | 'completed' | 'failed' | 'expired' | 'rejected' | 'invalid';

export interface GenerationState {
  orgId: string;
  projectId: string;
  generationId: string;
  format: string;
  phase: GenerationPhase;
  reservation?: ReserveResult;
  ending?: Ending;
  capture?: CaptureResult;
  release?: ReleaseResult;
  /**
   * Why the generation never ran (bad input found by the ledger), or why its completion was refused
   * (input the database would not store: the hold was released instead), as a domain error.
   */
  error?: DomainErrorData;
  /** Set with phase 'rejected' when no worker reached the generation before the caller's deadline. */
  rejectionReason?: 'deadline_passed';
}

/** Rejected or invalid: no credits were held, and the caller was never handed the generation. */
export const neverReserved = (s: Pick<GenerationState, 'phase'>): boolean =>
  s.phase === 'rejected' || s.phase === 'invalid';

/** An update, not a signal: the HTTP caller waits for the reservation outcome. */
export const reserveUpdate = defineUpdate<ReserveResult>('reserve');
export const completeUpdate = defineUpdate<CaptureResult, [CompleteRequest]>('complete');
export const failUpdate = defineUpdate<ReleaseResult, [FailRequest]>('fail');
export const stateQuery = defineQuery<GenerationState>('state');
