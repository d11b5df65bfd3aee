import Stripe from 'stripe';
import { PaymentDeclinedError, StripeValidationError } from './errors';

// Gateway over the Stripe SDK for Temporal activities. Activities may run more
// than once (worker crash, timeout, retry), so every mutating call here must be
// safe to repeat:
//
// 1. Each mutating request carries an idempotency key derived only from our
//    business key, so Stripe replays the first result for ~24h instead of
//    applying the request twice. Never let the SDK invent a random key: a
//    random key makes a re-run activity look like a brand new request.
// 2. Stripe forgets idempotency keys after ~24h and an activity can be retried
//    later than that, so operations that create money movements or documents
//    first look for an object carrying `metadata.businessKey` and reuse it.
//
// Lookups use `list` filtered by customer, not the Search API: search results
// can lag writes by up to a minute, which is exactly the window in which a
// crashed activity is retried, so a search miss would charge twice. Lists are
// read-after-write consistent and newest-first, so recent objects are found
// within the first page. The price is an O(n) scan, capped by
// `lookupScanLimit`; an object older than the cap is treated as absent.

export type Currency = 'usd';

export const IDEMPOTENCY_KINDS = [
  'customer',
  'pm-attach',
  'pm-default',
  'pm-detach',
  'pi',
  'invoice',
  'invoice-item',
  'invoice-finalize',
  'invoice-pay',
  'refund',
] as const;
export type IdempotencyKind = (typeof IDEMPOTENCY_KINDS)[number];

// Printable ASCII without spaces: keys travel in an HTTP header (Idempotency-Key)
// and in metadata; 200 leaves room for the kind prefix under Stripe's 255 limit.
const BUSINESS_KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export function assertBusinessKey(value: unknown, field = 'businessKey'): asserts value is string {
  if (typeof value !== 'string' || !BUSINESS_KEY_PATTERN.test(value)) {
    throw new StripeValidationError(`${field} must be 1-200 printable ASCII characters without spaces`, {
      field,
      value,
    });
  }
}

/**
 * Stable idempotency key for one Stripe request. Pure: the same inputs always
 * give the same key, which is what lets a retried activity replay rather than
 * repeat. `index` distinguishes the sub-requests of one business operation
 * (e.g. the lines of one invoice).
 */
export function idempotencyKeyFor(kind: IdempotencyKind, businessKey: string, index?: number): string {
  if (!(IDEMPOTENCY_KINDS as readonly string[]).includes(kind)) {
    throw new StripeValidationError(`unknown idempotency kind: ${String(kind)}`, { kind });
  }
  assertBusinessKey(businessKey);
  if (index === undefined) return `${kind}:${businessKey}`;
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new StripeValidationError('idempotency index must be a non-negative integer', { index });
  }
  return `${kind}:${businessKey}#${index}`;
}

function assertCents(
  value: unknown,
  field: string,
  opts: { allowZero?: boolean; allowNegative?: boolean } = {},
): asserts value is number {
  const ok =
    typeof value === 'number' &&
    Number.isSafeInteger(value) &&
    (opts.allowNegative || value >= 0) &&
    (opts.allowZero || value !== 0);
  if (!ok) {
    throw new StripeValidationError(`${field} must be a safe integer number of cents`, { field, value });
  }
}

function assertCurrency(value: unknown): asserts value is Currency {
  if (value !== 'usd') {
    throw new StripeValidationError('only usd is supported', { currency: value });
  }
}

function assertStripeId(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new StripeValidationError(`${field} is required`, { field });
  }
}

// Stripe metadata limits: 50 keys, key <= 40 chars, value <= 500 chars.
function withBusinessKey(
  businessKey: string,
  extra: Record<string, string> | undefined,
  more: Record<string, string> = {},
): Record<string, string> {
  const metadata: Record<string, string> = { ...extra };
  for (const [key, value] of Object.entries(more)) metadata[key] = value;
  if (extra?.businessKey !== undefined && extra.businessKey !== businessKey) {
    throw new StripeValidationError('metadata.businessKey conflicts with businessKey', { businessKey });
  }
  metadata.businessKey = businessKey;
  const entries = Object.entries(metadata);
  if (entries.length > 50) throw new StripeValidationError('metadata has more than 50 keys');
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 40 || typeof value !== 'string' || value.length > 500) {
      throw new StripeValidationError(
        'metadata entries must be string values (key <= 40, value <= 500 chars)',
        {
          key,
        },
      );
    }
  }
  return metadata;
}

function idOf(ref: string | { id: string } | null | undefined): string | null {
  if (ref === null || ref === undefined) return null;
  return typeof ref === 'string' ? ref : ref.id;
}

function toDeclined(err: unknown): unknown {
  // The SDK maps every HTTP 402 to StripeCardError: declines, expired cards,
  // and off-session authentication_required. All need the customer, not a retry.
  if (err instanceof Stripe.errors.StripeCardError) {
    // The SDK fills a missing decline_code with ''; fall back to the error code.
    return new PaymentDeclinedError(err.message, {
      declineCode: err.decline_code || err.code,
      paymentIntentId: err.payment_intent?.id,
      details: { stripeCode: err.code, requestId: err.requestId },
    });
  }
  return err;
}

export interface EnsureCustomerOptions {
  name: string;
  email?: string | undefined;
  /** The Stripe customer id we persisted for this org, if any. It is the durable source of truth. */
  knownCustomerId?: string | undefined;
}

export interface EnsureCustomerResult {
  customerId: string;
  /** `known`: the stored id was valid; `lookup`: found by email+metadata; `create`: created (or replayed by idempotency key). Persist the id unless `known`. */
  source: 'known' | 'lookup' | 'create';
}

export interface AttachPaymentMethodOptions {
  makeDefault: boolean;
  /** Identifies this attach operation (e.g. the workflow step). Required because re-attaching after a detach must not replay an old key. */
  businessKey: string;
}

export interface ChargeRequest {
  businessKey: string;
  customerId: string;
  amountCents: number;
  currency: Currency;
  description: string;
  metadata?: Record<string, string>;
  /** Defaults to the customer's `invoice_settings.default_payment_method`. */
  paymentMethodId?: string;
}

export interface ChargeResult {
  paymentIntentId: string;
  status: Stripe.PaymentIntent.Status;
  amountCents: number;
}

export interface ChargeOnceResult extends ChargeResult {
  /** True when an existing PaymentIntent for the business key was returned instead of charging. */
  reused: boolean;
}

export interface PaymentRecord {
  paymentIntentId: string;
  businessKey: string;
  status: Stripe.PaymentIntent.Status;
  amountCents: number;
  currency: string;
  customerId: string | null;
  declineCode: string | undefined;
}

export interface InvoiceItemInput {
  amountCents: number;
  description: string;
  metadata?: Record<string, string>;
}

export interface CreateInvoiceItemRequest extends InvoiceItemInput {
  businessKey: string;
  customerId: string;
  currency?: Currency;
  /** Attach to this draft invoice; otherwise the item stays pending on the customer. */
  invoiceId?: string;
}

export interface CreateInvoiceRequest {
  businessKey: string;
  customerId: string;
  items: InvoiceItemInput[];
  currency?: Currency;
  description?: string;
  metadata?: Record<string, string>;
}

export interface InvoiceResult {
  invoiceId: string;
  status: Stripe.Invoice.Status | null;
  totalCents: number;
  amountDueCents: number;
}

export interface RefundRequest {
  businessKey: string;
  paymentIntentId: string;
  /** Omit for a full refund. */
  amountCents?: number;
  metadata?: Record<string, string>;
}

export interface RefundResult {
  refundId: string;
  status: string | null;
  amountCents: number;
  reused: boolean;
}

export interface StripeGatewayOptions {
  /** Max objects scanned per business-key lookup. */
  lookupScanLimit?: number;
}

export class StripeGateway {
  private readonly lookupScanLimit: number;

  constructor(
    private readonly stripe: Stripe,
    options: StripeGatewayOptions = {},
  ) {
    this.lookupScanLimit = options.lookupScanLimit ?? 500;
  }

  /**
   * One Stripe customer per org. Order of evidence: the id we stored, then a
   * customer with our `metadata.orgId` among those with the same email, then
   * creation under `customer:<orgId>`. The key alone is not enough because
   * Stripe expires it after ~24h, and Search is not read-after-write.
   */
  async ensureCustomer(orgId: string, opts: EnsureCustomerOptions): Promise<EnsureCustomerResult> {
    assertBusinessKey(orgId, 'orgId');
    if (opts.knownCustomerId) {
      const existing = await this.retrieveCustomerOrNull(opts.knownCustomerId);
      if (existing) {
        if (existing.metadata?.orgId !== orgId) {
          throw new StripeValidationError('stored Stripe customer belongs to another org', {
            orgId,
            customerId: existing.id,
            customerOrgId: existing.metadata?.orgId,
          });
        }
        return { customerId: existing.id, source: 'known' };
      }
    }

    if (opts.email) {
      let oldest: Stripe.Customer | undefined;
      let scanned = 0;
      for await (const customer of this.stripe.customers.list({ email: opts.email, limit: 100 })) {
        if (customer.metadata?.orgId === orgId && (!oldest || customer.created < oldest.created))
          oldest = customer;
        if (++scanned >= this.lookupScanLimit) break;
      }
      if (oldest) return { customerId: oldest.id, source: 'lookup' };
    }

    const created = await this.stripe.customers.create(
      {
        name: opts.name,
        ...(opts.email ? { email: opts.email } : {}),
        metadata: { orgId },
      },
      { idempotencyKey: idempotencyKeyFor('customer', orgId) },
    );
    return { customerId: created.id, source: 'create' };
  }

  async attachPaymentMethod(
    customerId: string,
    paymentMethodId: string,
    opts: AttachPaymentMethodOptions,
  ): Promise<{ paymentMethodId: string; isDefault: boolean }> {
    assertStripeId(customerId, 'customerId');
    assertStripeId(paymentMethodId, 'paymentMethodId');
    assertBusinessKey(opts.businessKey);

    // Inspect first so a re-run after a successful attach (key expired) is a no-op.
    const pm = await this.stripe.paymentMethods.retrieve(paymentMethodId);
    const owner = idOf(pm.customer);
    let attachedId = pm.id;
    if (owner !== null && owner !== customerId) {
      throw new StripeValidationError('payment method is attached to another customer', {
        paymentMethodId: pm.id,
        customerId,
      });
    }
    if (owner === null) {
      try {
        const attached = await this.stripe.paymentMethods.attach(
          pm.id,
          { customer: customerId },
          { idempotencyKey: idempotencyKeyFor('pm-attach', opts.businessKey) },
        );
        attachedId = attached.id;
      } catch (err) {
        throw toDeclined(err);
      }
    }

    if (opts.makeDefault) {
      await this.stripe.customers.update(
        customerId,
        { invoice_settings: { default_payment_method: attachedId } },
        { idempotencyKey: idempotencyKeyFor('pm-default', opts.businessKey) },
      );
    }
    return { paymentMethodId: attachedId, isDefault: opts.makeDefault };
  }

  async detachPaymentMethod(
    paymentMethodId: string,
    opts: { businessKey: string },
  ): Promise<{ detached: boolean }> {
    assertStripeId(paymentMethodId, 'paymentMethodId');
    assertBusinessKey(opts.businessKey);
    // Stripe rejects detaching an unattached method; treat "already detached" as done.
    const pm = await this.stripe.paymentMethods.retrieve(paymentMethodId);
    if (idOf(pm.customer) === null) return { detached: false };
    await this.stripe.paymentMethods.detach(
      pm.id,
      {},
      { idempotencyKey: idempotencyKeyFor('pm-detach', opts.businessKey) },
    );
    return { detached: true };
  }

  /**
   * Creates and confirms an off-session PaymentIntent under `pi:<businessKey>`.
   * Prefer `chargeOnce` from activities: this method alone relies on the
   * idempotency key, which Stripe forgets after ~24h.
   */
  async chargeOffSession(req: ChargeRequest): Promise<ChargeResult> {
    this.validateCharge(req);
    // Resolved on each attempt; if the default card changes between attempts the
    // replay is rejected by Stripe (idempotency_error) rather than charging another card.
    const paymentMethodId = req.paymentMethodId ?? (await this.defaultPaymentMethodOf(req.customerId));
    let intent: Stripe.PaymentIntent;
    try {
      intent = await this.stripe.paymentIntents.create(
        {
          amount: req.amountCents,
          currency: req.currency,
          customer: req.customerId,
          payment_method: paymentMethodId,
          confirm: true,
          off_session: true,
          // Server-side confirmation has no return_url, so redirect-based methods must be excluded.
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          description: req.description,
          metadata: withBusinessKey(req.businessKey, req.metadata),
        },
        { idempotencyKey: idempotencyKeyFor('pi', req.businessKey) },
      );
    } catch (err) {
      throw toDeclined(err);
    }
    return settledCharge(intent);
  }

  /**
   * Find-then-charge. A PaymentIntent already carrying this business key is
   * returned (or its decline rethrown) instead of charging again; otherwise
   * charges under the same idempotency key as `chargeOffSession`.
   */
  async chargeOnce(req: ChargeRequest): Promise<ChargeOnceResult> {
    this.validateCharge(req);
    const existing = await this.findPaymentIntent(req.businessKey, req.customerId);
    if (existing) {
      if (
        existing.amount !== req.amountCents ||
        existing.currency !== req.currency ||
        idOf(existing.customer) !== req.customerId
      ) {
        throw new StripeValidationError('businessKey was already used for a different charge', {
          businessKey: req.businessKey,
          existing: {
            paymentIntentId: existing.id,
            amountCents: existing.amount,
            currency: existing.currency,
          },
          requested: { amountCents: req.amountCents, currency: req.currency },
        });
      }
      return { ...settledCharge(existing), reused: true };
    }
    return { ...(await this.chargeOffSession(req)), reused: false };
  }

  /**
   * The PaymentIntent created for `businessKey`, if any, among the customer's
   * most recent `lookupScanLimit` intents. A succeeded intent wins over failed ones.
   */
  async findPaymentByBusinessKey(
    businessKey: string,
    scope: { customerId: string },
  ): Promise<PaymentRecord | null> {
    assertBusinessKey(businessKey);
    assertStripeId(scope.customerId, 'customerId');
    const intent = await this.findPaymentIntent(businessKey, scope.customerId);
    if (!intent) return null;
    return {
      paymentIntentId: intent.id,
      businessKey,
      status: intent.status,
      amountCents: intent.amount,
      currency: intent.currency,
      customerId: idOf(intent.customer),
      declineCode: intent.last_payment_error?.decline_code || intent.last_payment_error?.code,
    };
  }

  async createInvoiceItem(req: CreateInvoiceItemRequest): Promise<{ invoiceItemId: string }> {
    assertBusinessKey(req.businessKey);
    assertStripeId(req.customerId, 'customerId');
    // Negative amounts are credits; zero lines are noise on a customer document.
    assertCents(req.amountCents, 'amountCents', { allowNegative: true });
    const currency = req.currency ?? 'usd';
    assertCurrency(currency);
    const item = await this.stripe.invoiceItems.create(
      {
        customer: req.customerId,
        amount: req.amountCents,
        currency,
        description: req.description,
        ...(req.invoiceId ? { invoice: req.invoiceId } : {}),
        metadata: withBusinessKey(req.businessKey, req.metadata),
      },
      { idempotencyKey: idempotencyKeyFor('invoice-item', req.businessKey) },
    );
    return { invoiceItemId: item.id };
  }

  /**
   * Draft invoice containing exactly `items`, then finalized. Resumable: a
   * re-run finds the invoice by business key, adds only the lines that are
   * missing, and finalizes if still draft.
   *
   * The invoice is created with `auto_advance: false` so Stripe does not start
   * its own collection/dunning schedule; payment is driven by our workflow
   * (`payInvoice`). `pending_invoice_items_behavior: 'exclude'` keeps unrelated
   * pending items of the customer off this invoice.
   */
  async createAndFinalizeInvoice(req: CreateInvoiceRequest): Promise<InvoiceResult> {
    assertBusinessKey(req.businessKey);
    assertStripeId(req.customerId, 'customerId');
    const currency = req.currency ?? 'usd';
    assertCurrency(currency);
    if (!Array.isArray(req.items) || req.items.length === 0) {
      throw new StripeValidationError('an invoice needs at least one item', { businessKey: req.businessKey });
    }
    let expectedTotal = 0;
    req.items.forEach((item, i) => {
      assertCents(item.amountCents, `items[${i}].amountCents`, { allowNegative: true });
      expectedTotal += item.amountCents;
    });
    if (!Number.isSafeInteger(expectedTotal)) {
      throw new StripeValidationError('invoice total overflows safe integer range');
    }

    let invoice =
      (await this.findInvoice(req.businessKey, req.customerId)) ??
      (await this.stripe.invoices.create(
        {
          customer: req.customerId,
          currency,
          collection_method: 'charge_automatically',
          auto_advance: false,
          pending_invoice_items_behavior: 'exclude',
          ...(req.description ? { description: req.description } : {}),
          metadata: withBusinessKey(req.businessKey, req.metadata),
        },
        { idempotencyKey: idempotencyKeyFor('invoice', req.businessKey) },
      ));

    if (invoice.status === 'draft') {
      const present = new Map<number, number>();
      for await (const item of this.stripe.invoiceItems.list({ invoice: invoice.id, limit: 100 })) {
        if (item.metadata?.businessKey !== req.businessKey) continue;
        const index = Number(item.metadata?.lineIndex);
        if (Number.isSafeInteger(index)) present.set(index, item.amount);
      }
      for (const [i, item] of req.items.entries()) {
        const existingAmount = present.get(i);
        if (existingAmount !== undefined) {
          if (existingAmount !== item.amountCents) {
            throw new StripeValidationError(
              'businessKey was already used for an invoice with different lines',
              {
                businessKey: req.businessKey,
                lineIndex: i,
              },
            );
          }
          continue;
        }
        await this.stripe.invoiceItems.create(
          {
            customer: req.customerId,
            invoice: invoice.id,
            amount: item.amountCents,
            currency,
            description: item.description,
            metadata: withBusinessKey(req.businessKey, item.metadata, { lineIndex: String(i) }),
          },
          { idempotencyKey: idempotencyKeyFor('invoice-item', req.businessKey, i) },
        );
      }
      invoice = await this.stripe.invoices.finalizeInvoice(
        invoice.id,
        { auto_advance: false },
        { idempotencyKey: idempotencyKeyFor('invoice-finalize', req.businessKey) },
      );
    }

    if (invoice.subtotal !== expectedTotal) {
      throw new StripeValidationError('businessKey was already used for an invoice with a different total', {
        businessKey: req.businessKey,
        invoiceId: invoice.id,
        subtotalCents: invoice.subtotal,
        expectedCents: expectedTotal,
      });
    }
    return toInvoiceResult(invoice);
  }

  /** Collects a finalized invoice off-session with the customer's default method. */
  async payInvoice(req: { businessKey: string; invoiceId: string }): Promise<InvoiceResult> {
    assertBusinessKey(req.businessKey);
    assertStripeId(req.invoiceId, 'invoiceId');
    const current = await this.stripe.invoices.retrieve(req.invoiceId);
    if (current.status === 'paid') return toInvoiceResult(current);
    try {
      const paid = await this.stripe.invoices.pay(
        req.invoiceId,
        { off_session: true },
        { idempotencyKey: idempotencyKeyFor('invoice-pay', req.businessKey) },
      );
      return toInvoiceResult(paid);
    } catch (err) {
      throw toDeclined(err);
    }
  }

  /**
   * Refund under `refund:<businessKey>`, reusing an existing refund of the same
   * PaymentIntent that carries the business key.
   */
  async refund(req: RefundRequest): Promise<RefundResult> {
    assertBusinessKey(req.businessKey);
    assertStripeId(req.paymentIntentId, 'paymentIntentId');
    if (req.amountCents !== undefined) assertCents(req.amountCents, 'amountCents');

    let scanned = 0;
    for await (const existing of this.stripe.refunds.list({
      payment_intent: req.paymentIntentId,
      limit: 100,
    })) {
      if (existing.metadata?.businessKey === req.businessKey) {
        if (req.amountCents !== undefined && existing.amount !== req.amountCents) {
          throw new StripeValidationError('businessKey was already used for a refund of a different amount', {
            businessKey: req.businessKey,
            refundId: existing.id,
            existingAmountCents: existing.amount,
            requestedAmountCents: req.amountCents,
          });
        }
        return { refundId: existing.id, status: existing.status, amountCents: existing.amount, reused: true };
      }
      if (++scanned >= this.lookupScanLimit) break;
    }

    const created = await this.stripe.refunds.create(
      {
        payment_intent: req.paymentIntentId,
        ...(req.amountCents !== undefined ? { amount: req.amountCents } : {}),
        metadata: withBusinessKey(req.businessKey, req.metadata),
      },
      { idempotencyKey: idempotencyKeyFor('refund', req.businessKey) },
    );
    return { refundId: created.id, status: created.status, amountCents: created.amount, reused: false };
  }

  private validateCharge(req: ChargeRequest): void {
    assertBusinessKey(req.businessKey);
    assertStripeId(req.customerId, 'customerId');
    assertCents(req.amountCents, 'amountCents');
    assertCurrency(req.currency);
    if (typeof req.description !== 'string' || req.description.length === 0) {
      throw new StripeValidationError('description is required', { businessKey: req.businessKey });
    }
    withBusinessKey(req.businessKey, req.metadata);
  }

  private async retrieveCustomerOrNull(customerId: string): Promise<Stripe.Customer | null> {
    try {
      const customer = await this.stripe.customers.retrieve(customerId);
      return customer.deleted ? null : customer;
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.statusCode === 404) return null;
      throw err;
    }
  }

  private async defaultPaymentMethodOf(customerId: string): Promise<string> {
    const customer = await this.stripe.customers.retrieve(customerId);
    if (customer.deleted) {
      throw new StripeValidationError('Stripe customer is deleted', { customerId });
    }
    const paymentMethodId = idOf(customer.invoice_settings?.default_payment_method);
    if (!paymentMethodId) {
      // Same remedy as a decline (customer must add a card), so same error type.
      throw new PaymentDeclinedError('customer has no default payment method', {
        declineCode: 'no_payment_method',
        details: { customerId },
      });
    }
    return paymentMethodId;
  }

  private async findPaymentIntent(
    businessKey: string,
    customerId: string,
  ): Promise<Stripe.PaymentIntent | null> {
    let newestMatch: Stripe.PaymentIntent | null = null;
    let scanned = 0;
    for await (const intent of this.stripe.paymentIntents.list({ customer: customerId, limit: 100 })) {
      if (intent.metadata?.businessKey === businessKey) {
        if (intent.status === 'succeeded') return intent;
        newestMatch ??= intent;
      }
      if (++scanned >= this.lookupScanLimit) break;
    }
    return newestMatch;
  }

  private async findInvoice(businessKey: string, customerId: string): Promise<Stripe.Invoice | null> {
    let scanned = 0;
    for await (const invoice of this.stripe.invoices.list({ customer: customerId, limit: 100 })) {
      // A voided invoice is a closed attempt, not something to resume.
      if (invoice.metadata?.businessKey === businessKey && invoice.status !== 'void') return invoice;
      if (++scanned >= this.lookupScanLimit) break;
    }
    return null;
  }
}

function settledCharge(intent: Stripe.PaymentIntent): ChargeResult {
  if (intent.status === 'requires_payment_method' && intent.last_payment_error) {
    const failure = intent.last_payment_error;
    throw new PaymentDeclinedError(failure.message ?? 'payment failed', {
      declineCode: failure.decline_code || failure.code || 'payment_failed',
      paymentIntentId: intent.id,
    });
  }
  if (intent.status === 'requires_action') {
    // Off-session there is nobody to complete 3DS; the customer must come back on-session.
    throw new PaymentDeclinedError('payment requires customer authentication', {
      declineCode: 'authentication_required',
      paymentIntentId: intent.id,
    });
  }
  return { paymentIntentId: intent.id, status: intent.status, amountCents: intent.amount };
}

function toInvoiceResult(invoice: Stripe.Invoice): InvoiceResult {
  return {
    invoiceId: invoice.id,
    status: invoice.status,
    totalCents: invoice.total,
    amountDueCents: invoice.amount_due,
  };
}

export function createStripeGateway(stripe: Stripe, options?: StripeGatewayOptions): StripeGateway {
  return new StripeGateway(stripe, options);
}
