/** Auto-recharge and notices: threshold, amount, on/off, the notice address; errors from the API next to each field. */
import { useState } from 'preact/hooks';
import { api, ApiError, currencyDigits, tenantPath, type Tenant } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, Notice, PageTitle, TextField, useLoad } from '../ui.js';
import { moneyHelp } from './money.js';

export function AutoRecharge({ tenantId, canManage }: PageProps) {
  const { t } = useT();
  const { data: tenant, error: loadError, reload } = useLoad(() => api<Tenant>('GET', tenantPath(tenantId)), [tenantId]);
  return tenant ? <RechargeForm tenant={tenant} canManage={canManage} /> : <><PageTitle>{t('recharge.title')}</PageTitle><Loading error={loadError} retry={reload} /></>;
}

function RechargeForm({ tenant, canManage }: { tenant: Tenant; canManage: boolean }) {
  const { t } = useT();
  const [enabled, setEnabled] = useState(tenant.autoRecharge !== undefined);
  const [threshold, setThreshold] = useState(tenant.autoRecharge?.threshold ?? '');
  const [amount, setAmount] = useState(tenant.autoRecharge?.amount ?? '');
  const [email, setEmail] = useState(tenant.noticeEmail ?? '');
  const [hookUrl, setHookUrl] = useState(tenant.noticeWebhook?.url ?? '');
  const [hookSecret, setHookSecret] = useState('');
  const [current, setCurrent] = useState(tenant.noticeWebhook?.url);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const digits = currencyDigits(tenant.creditLimit);
  const fieldError = (path: string) => (error instanceof ApiError ? error.field(path) : undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const url = hookUrl.trim();
      // Unchanged URL and no new secret: the webhook stays as it is (its secret is never sent back to the page).
      const noticeWebhook = url === '' ? (current ? null : undefined) : url === current && hookSecret === '' ? undefined : { url, secret: hookSecret };
      const saved = await api<Tenant>('PATCH', `/v1/tenants/${encodeURIComponent(tenant.id)}`, {
        autoRecharge: enabled ? { threshold, amount } : null,
        noticeEmail: email.trim() === '' ? null : email.trim(),
        ...(noticeWebhook !== undefined ? { noticeWebhook } : {}),
      });
      setCurrent(saved.noticeWebhook?.url);
      setHookSecret('');
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <PageTitle>{t('recharge.title')}</PageTitle>
      <p>{t('recharge.intro')}</p>
      <p class="help">{t('overview.forecastNote')}</p>
      <form class="card form" onSubmit={submit} noValidate>
        <div class="field check">
          <input id="recharge-on" name="enabled" type="checkbox" checked={enabled} disabled={!canManage} onChange={(e) => setEnabled((e.target as HTMLInputElement).checked)} />
          <label for="recharge-on">{t('recharge.enabled')}</label>
        </div>
        <fieldset disabled={!enabled || !canManage}>
          <TextField label={t('recharge.threshold', { currency: tenant.currency })} name="threshold" inputMode="decimal" value={threshold} onInput={setThreshold} help={moneyHelp(t, tenant.currency, digits)} error={fieldError('autoRecharge.threshold')} />
          <TextField label={t('recharge.amount', { currency: tenant.currency })} name="amount" inputMode="decimal" value={amount} onInput={setAmount} error={fieldError('autoRecharge.amount')} />
        </fieldset>
        <TextField label={t('recharge.noticeEmail')} name="noticeEmail" type="email" autoComplete="email" value={email} onInput={setEmail} help={t('recharge.noticeEmailHelp')} error={fieldError('noticeEmail')} disabled={!canManage} />
        {current && <p class="help" data-testid="webhook-set">{t('recharge.webhookSet', { url: current })}</p>}
        <TextField label={t('recharge.webhookUrl')} name="webhookUrl" value={hookUrl} onInput={setHookUrl} help={t('recharge.webhookUrlHelp')} error={fieldError('noticeWebhook.url')} disabled={!canManage} />
        <TextField label={t('recharge.webhookSecret')} name="webhookSecret" type="password" autoComplete="new-password" value={hookSecret} onInput={setHookSecret} help={t('recharge.webhookSecretHelp')} error={fieldError('noticeWebhook.secret')} disabled={!canManage} />
        <FormError error={error} />
        {saved && <Notice>{t('app.saved')}</Notice>}
        <button type="submit" class="primary" disabled={busy || !canManage}>{t('app.save')}</button>
      </form>
    </>
  );
}
