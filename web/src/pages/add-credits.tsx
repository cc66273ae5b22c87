/**
 * Add credits: a tenant admin buys through the payment provider; the operator
 * tops up by hand. One reference per purchase, made when the form is shown and
 * kept until it succeeds: pressing twice, or retrying after an error, never
 * adds the money twice (the API applies a reference once).
 */
import { useRef, useState } from 'preact/hooks';
import { api, ApiError, currencyDigits, tenantPath, type Balance } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, Notice, PageTitle, TextField, useLoad } from '../ui.js';
import { moneyHelp } from './money.js';

interface TopUp {
  applied: boolean;
  reference: string;
  amount: string;
  currency: string;
  balanceAfter: string;
}

const newReference = () => `portal-${crypto.randomUUID()}`;

export function AddCredits({ session, tenantId, canManage }: PageProps) {
  const { t } = useT();
  const { data: b, error: loadError, reload } = useLoad(() => api<Balance>('GET', tenantPath(tenantId, '/balance')), [tenantId]);
  const [amount, setAmount] = useState('');
  const [reference, setReference] = useState(newReference);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<TopUp | null>(null);
  // A second press before the page re-renders still sees the first in flight.
  const inFlight = useRef(false);
  const operator = session.kind === 'operator';

  if (!b) return <><PageTitle>{t('credits.title')}</PageTitle><Loading error={loadError} retry={reload} /></>;
  const digits = currencyDigits(b.balance);
  const cannotPay = !operator && session.payments !== 'http';

  const submit = async (e: Event) => {
    e.preventDefault();
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    try {
      const r = await api<TopUp>('POST', tenantPath(tenantId, operator ? '/topups' : '/purchases'), { reference, amount });
      setResult(r);
      setAmount('');
      setReference(newReference());
    } catch (err) {
      setError(err);
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>{t('credits.title')}</PageTitle>
      <p>{operator ? t('credits.manualIntro') : t('credits.intro')}</p>
      <p class="now" data-testid="balance">{t('overview.balance')}: <strong>{result ? result.balanceAfter : b.balance} {b.currency}</strong></p>
      {cannotPay ? (
        <Notice kind="info">{t('credits.noProvider')}</Notice>
      ) : (
        <form class="card form" onSubmit={submit} noValidate>
          <TextField
            label={t('credits.amount', { currency: b.currency })}
            name="amount"
            inputMode="decimal"
            value={amount}
            onInput={setAmount}
            help={moneyHelp(t, b.currency, digits)}
            error={error instanceof ApiError ? error.field('amount') : undefined}
            disabled={!canManage}
            required
          />
          {operator && (
            <TextField label={t('credits.reference')} name="reference" value={reference} onInput={setReference} help={t('credits.referenceHelp')} error={error instanceof ApiError ? error.field('reference') : undefined} />
          )}
          <FormError error={error} />
          <button type="submit" class="primary" disabled={busy || !canManage} aria-busy={busy}>
            {busy ? t('credits.paying') : operator ? t('credits.topUp') : t('credits.buy')}
          </button>
        </form>
      )}
      {result && (
        <Notice>
          {result.applied
            ? t('credits.applied', { amount: result.amount, currency: result.currency, balance: result.balanceAfter })
            : t('credits.repeat', { balance: result.balanceAfter, currency: result.currency })}
        </Notice>
      )}
    </>
  );
}
