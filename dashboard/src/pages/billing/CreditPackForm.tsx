import { useState, type FormEvent } from 'react';
import { describeError, newIdempotencyKey, request } from '../../api/client';
import type { CreditPackOffer, CreditPackPurchase } from '../../api/types';
import { Button, FormMessage, RadioGroup } from '../../components/Field';
import { EmptyState } from '../../components/ui';
import { formatCents } from '../../lib/money';
import { formatCredits } from '../../lib/numbers';

/**
 * Buys a prepaid pack with the card on file (POST /v1/credit-packs). The packs and prices are GET
 * /v1/credit-packs's: the price that purchase charges this org, its tier's discount included.
 */
export function CreditPackForm({ packs, onBought }: { packs: CreditPackOffer[]; onBought: () => void }) {
  const [chosen, setChosen] = useState<string | null>(null);
  const [key, setKey] = useState(() => newIdempotencyKey('credit-pack'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [bought, setBought] = useState<CreditPackPurchase | null>(null);
  // The first pack until one is chosen, and again should a reloaded catalog lose the one chosen.
  const packId = packs.some((p) => p.packId === chosen) ? chosen! : (packs[0]?.packId ?? '');
  const discountBps = packs[0]?.discountBps ?? 0;

  if (packs.length === 0)
    return <EmptyState title="No packs on sale">There are no credit packs to buy.</EmptyState>;

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
          setChosen(id);
          setKey(newIdempotencyKey('credit-pack'));
        }}
        options={packs.map((pack) => ({
          value: pack.packId,
          label: `${formatCredits(pack.credits)} credits`,
          description: (
            <span className="num">
              {formatCents(pack.amountCents)}
              {pack.discountCents > 0 ? <s className="muted"> {formatCents(pack.listPriceCents)}</s> : null}
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
