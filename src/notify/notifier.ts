/**
 * Where notifications go once they are in the outbox (src/notify/outbox.ts). The outbox is written in the
 * transaction that decides to notify; a notifier only delivers, so a slow or failing mail server never
 * holds up a ledger write. A real email adapter implements this interface; dev mode prints, tests read
 * the outbox or collect what was sent.
 */
export interface OutboxNotification {
  id: number;
  orgId: string;
  kind: string;
  businessKey: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface Notifier {
  /** Resolves once delivered; a rejection leaves the notification in the outbox for the next round. */
  send(notification: OutboxNotification): Promise<void>;
}

/** Dev mode's notifier: one line per notification on the console. */
export const consoleNotifier = (log: (line: string) => void = console.log): Notifier => ({
  async send(n) {
    log(`[notify] ${n.kind} for ${n.orgId}: ${JSON.stringify(n.payload)}`);
  },
});
