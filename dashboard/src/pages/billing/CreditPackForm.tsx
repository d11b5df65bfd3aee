import { useMemo, useState, type FormEvent } from 'react';
import { CREDIT_PACKS, priceOf } from '../../../../src/credit-packs/catalog';
import { TIERS } from '../../../../src/db/seed/catalog';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { CreditPackPurchase } from '../../api/types';
import { Button, FormMessage, RadioGroup } from '../../components/Field';
import { formatCents } from '../../lib/money';
import { formatCredits } from '../../lib/numbers';

/**
 * Buys a prepaid pack with the card on file (POST /v1/credit-packs). The prices shown are the engine's
 * own catalog and pricing rule (src/credit-packs/catalog.ts with the tier's pack discount), the same
 * code the purchase charges with; the API has no route listing them.
 */
export function CreditPackForm({ tier, onBought }: { tier: string; onBought: () => void }) {
  const discountBps = TIERS.find((t) => t.id === tier)?.pack_discount_bps ?? 0;
  const packs = useMemo(
    () => CREDIT_PACKS.map((pack) => ({ pack, price: priceOf(pack, discountBps) })),
    [discountBps],
  );
  const [packId, setPackId] = useState(CREDIT_PACKS[0]!.id);
  const [key, setKey] = useState(() => newIdempotencyKey('credit-pack'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [bought, setBought] = useState<CreditPackPurchase | null>(null);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await request<CreditPackPurchase>('POST', '/v1/credit-packs', {
        body: { packId },
        idempotencyKey: key,
      });
      setBought(result);
      setKey(newIdempotencyKey('credit-pack'));
      onBought();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack" onSubmit={onSubmit} aria-label="Buy a credit pack">
      <RadioGroup
        legend="Pack"
        name="pack"
        value={packId}
        onChange={(id) => {
          setPackId(id);
          setKey(newIdempotencyKey('credit-pack'));
        }}
        options={packs.map(({ pack, price }) => ({
          value: pack.id,
          label: `${formatCredits(pack.credits)} credits`,
          description: (
            <span className="num">
              {formatCents(price.amountCents)}
              {price.discountCents > 0 ? <s className="muted"> {formatCents(price.listPriceCents)}</s> : null}
            </span>
          ),
        }))}
        hint={discountBps > 0 ? `Your plan pays ${discountBps / 100}% less on every pack.` : undefined}
      />
      <div className="form-actions">
        <Button type="submit" busy={busy}>
          Buy with card on file
        </Button>
      </div>
      {error ? <FormMessage tone="danger">{error}</FormMessage> : null}
      {bought ? (
        <FormMessage tone="good">
          <span data-testid="credit-pack-result">
            Added {formatCredits(bought.creditsGranted)} prepaid credits for {formatCents(bought.amountCents)}
            .
          </span>
        </FormMessage>
      ) : null}
    </form>
  );
}
