import { userInfo } from 'node:os';

/**
 * Who did what the audit trail records: a partner through an API key (named by the key's public prefix,
 * never the secret), an operator through the admin CLI, or a workflow that decided on its own (named by
 * its workflow id, e.g. `wallet:<orgId>`).
 */
export const ACTOR_TYPES = ['api_key', 'admin', 'workflow'] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

export interface AuditActor {
  type: ActorType;
  id: string;
}

/** Who acted, and the request's or run's key the action is recorded under (once per key and action). */
export interface AuditedBy {
  actor: AuditActor;
  key: string;
}

export const apiKeyActor = (prefix: string): AuditActor => ({ type: 'api_key', id: prefix });

export const workflowActor = (workflowId: string): AuditActor => ({ type: 'workflow', id: workflowId });

/**
 * The admin CLI's operator: `--actor` when given (a shared account, a ticket), else the OS user running
 * it, else USER/LOGNAME from the environment (userInfo throws for a uid without a passwd entry, as in
 * some containers).
 */
export function adminActor(named: string | undefined, env: NodeJS.ProcessEnv): AuditActor {
  if (named !== undefined && named.trim() !== '') return { type: 'admin', id: named.trim() };
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = undefined;
  }
  return { type: 'admin', id: user || env.USER || env.LOGNAME || 'unknown' };
}
