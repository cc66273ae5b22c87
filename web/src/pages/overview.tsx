/** Overview: balance, available, held, credit limit, auto-recharge, pool use as bars, and how long the credits will last. */
import { api, tenantPath, type Balance, type Tenant } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { Loading, PageTitle, useLoad } from '../ui.js';

interface Forecast {
  currency: string;
  available: string;
  windows: Array<{ days: number; spent: string; perDay: string; daysLeft: number | null; runsOutAt: string | null }>;
}

export function Overview({ tenantId }: PageProps) {
  const { t, locale } = useT();
  const { data, error, reload } = useLoad(
    () => Promise.all([api<Balance>('GET', tenantPath(tenantId, '/balance')), api<Tenant>('GET', tenantPath(tenantId)), api<Forecast>('GET', tenantPath(tenantId, '/forecast'))]),
    [tenantId],
  );
  if (!data) return <><PageTitle>{t('overview.title')}</PageTitle><Loading error={error} retry={reload} /></>;
  const [b, tenant, f] = data;
  const c = b.currency;
  const figures: Array<[string, string, string?]> = [
    [t('overview.balance'), `${b.balance} ${c}`],
    [t('overview.available'), `${b.available} ${c}`, t('overview.availableHelp')],
    [t('overview.held'), `${b.held} ${c}`],
    [t('overview.creditLimit'), `${b.creditLimit} ${c}`],
    [t('overview.liveCalls'), String(b.liveCalls)],
    [
      t('overview.autoRecharge'),
      tenant.autoRecharge
        ? t('overview.autoRechargeOn', { amount: `${tenant.autoRecharge.amount} ${c}`, threshold: `${tenant.autoRecharge.threshold} ${c}` })
        : t('overview.autoRechargeOff'),
    ],
  ];
  const date = (iso: string) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso));
  return (
    <>
      <PageTitle>{t('overview.title')}</PageTitle>
      <p class="subtitle">{tenant.name}</p>
      <dl class="figures">
        {figures.map(([label, value, help]) => (
          <div class="figure" data-figure={label}>
            <dt>{label}</dt>
            <dd>{value}</dd>
            {help && <dd class="help">{help}</dd>}
          </div>
        ))}
      </dl>

      <section aria-labelledby="forecast-h">
        <h2 id="forecast-h">{t('overview.forecast')}</h2>
        <ul class="forecast">
          {f.windows.map((w) => (
            <li data-window={w.days}>
              {t('overview.forecastLine', {
                window: t('overview.forecastWindow', { days: w.days }),
                rate: t('overview.forecastRate', { perDay: `${w.perDay} ${c}` }),
                result: w.daysLeft === null ? t('overview.forecastNoSpend') : w.daysLeft === 0 ? t('overview.forecastEmpty') : t('overview.forecastDays', { days: w.daysLeft, date: date(w.runsOutAt!) }),
              })}
            </li>
          ))}
        </ul>
        <p class="help">{t('overview.forecastNote')}</p>
      </section>

      <section aria-labelledby="pools-h">
        <h2 id="pools-h">{t('overview.pools')}</h2>
        {b.pools.length === 0 && <p>{t('overview.noPools')}</p>}
        <ul class="bars">
          {b.pools.map((p) => {
            const used = p.usedSeconds + (p.heldSeconds ?? 0);
            const percent = p.sizeSeconds > 0 ? Math.min(100, Math.round((used / p.sizeSeconds) * 100)) : 100;
            const label = p.kind === 'dialout' ? t('overview.poolDialout') : t('overview.poolPlan', { sku: p.sku ?? '', country: p.country ?? '', scope: p.scope ?? '' });
            return (
              <li>
                <span class="bar-label">{label}</span>
                <span class="bar-track" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={percent}>
                  <span class={`bar-fill${percent >= 80 ? ' bar-warn' : ''}`} style={{ width: `${percent}%` }} />
                </span>
                <span class="bar-text">{t('overview.poolUse', { used: Math.ceil(used / 60), size: Math.round(p.sizeSeconds / 60), percent })}</span>
              </li>
            );
          })}
        </ul>
      </section>
    </>
  );
}
