/**
 * Every action the audit trail records, with what its `before` and `after` hold. Actions, not ledger rows:
 * the credit and wallet ledgers already record every credit and cent; this says who asked for, or
 * decided, each change of money or billing settings. Settings changes that change nothing are not
 * recorded; everything else is recorded once per key (a retried request or activity adds nothing).
 */
export const AUDIT_ACTIONS = {
  // API keys and the org's kill switch (admin CLI).
  'api_key.created': 'after: the key prefix and scopes',
  'api_key.disabled': 'before/after: disabled',
  'org.disabled': 'the kill switch on; before/after: disabled',
  'org.enabled': 'the kill switch off; before/after: disabled',
  // Credits.
  'credits.granted': 'after: bucket, credits, reason (admin CLI)',
  'credits.alert_updated': 'before/after: thresholdCredits (null: off)',
  'credit_pack.purchase_requested': 'after: packId, credits, amountCents, purchaseId',
  // Subscriptions: asked for (API key, CLI), and as the billing workflow applied it.
  'subscription.change_requested': 'before: the plan; after: outcome, lines, totalCents, the subscription',
  'subscription.cancel_requested': 'as subscription.change_requested',
  'subscription.pause_requested': 'as subscription.change_requested',
  'subscription.resume_requested': 'as subscription.change_requested',
  'subscription.updated': 'the billing workflow saved a new subscription state; before/after: it',
  'billing.period_closed': 'after: the closed credit period (used, overage, rollover, next allowance)',
  'billing.charge_succeeded': 'after: kind, amountCents, lines, paymentIntentId',
  'billing.charge_declined': 'after: kind, amountCents, attempt, declineCode',
  'billing.refund_issued': 'after: amountCents asked, refundedCents, lines',
  // Invoices: issued by the period close (the billing workflow), corrected by an operator.
  'invoice.issued': 'after: number, period, totalCents, dueCents (what it collects itself)',
  'invoice.credit_note_issued': 'after: number, correctsNumber, reason, totalCents',
  // The agency wallet.
  'wallet.top_up_requested': 'after: the top-up (method, amountCents, status)',
  'wallet.top_up_succeeded': 'the charge of a top-up succeeded; after: the top-up',
  'wallet.top_up_failed': 'declined or failed; after: the top-up with its failure reason',
  'wallet.auto_top_up_updated': 'before/after: enabled, thresholdCents, amountCents, dailyCapCents, timeZone',
  'wallet.auto_top_up_switched_off': 'the decline breaker tripped; before/after: disabledReason',
  'wallet.auto_top_up_breaker_reset': 'a new card; before/after: disabledReason, consecutiveDeclines',
  'wallet.floor_updated': 'before/after: floorCents',
  'wallet.platform_fee_updated': 'before/after: platformFeeBps',
  'wallet.wire_credited': 'after: amountCents, reference',
  'wallet.withdrawal_requested': 'after: amountCents asked, the legs planned',
  'wallet.withdrawal_refunded': 'a refund leg settled; after: the leg',
  'wallet.withdrawal_refund_failed': 'a refund leg failed and was credited back; after: the leg',
  'wallet.ads_paused': 'after: reason, balanceCents, floorCents, projects',
  'wallet.ads_resumed': 'after: reason, balanceCents, floorCents, projects',
} as const;

export type AuditAction = keyof typeof AUDIT_ACTIONS;
