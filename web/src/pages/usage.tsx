/** Usage: filters (dates, user, call type, capability), a paged table, daily charts, and the CSV the API serves. */
import { useState } from 'preact/hooks';
import { api, tenantPath, type UsageRecord, type User } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, PageTitle, SelectField, TextField, useLoad } from '../ui.js';
import { DailyBars } from './chart.js';

const CALL_TYPES = ['user_out', 'conf_out', 'conf_in', 'ucap_in', 'emergency'] as const;
const PAGE = 25;

interface Filters {
  from: string;
  to: string;
  userId: string;
  callType: string;
  capability: string;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function initialFilters(): Filters {
  const now = new Date();
  const first = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return { from: day(first), to: day(Date.now() + 86_400_000), userId: '', callType: '', capability: '' };
}

function query(f: Filters, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams({ from: f.from, to: f.to });
  if (f.userId) q.set('userId', f.userId);
  if (f.callType) q.set('callType', f.callType);
  if (f.capability) q.set('capability', f.capability);
  for (const [k, v] of Object.entries(extra)) q.set(k, String(v));
  return q.toString();
}

export function Usage({ tenantId }: PageProps) {
  const { t } = useT();
  const [draft, setDraft] = useState<Filters>(initialFilters);
  const [filters, setFilters] = useState<Filters>(draft);
  const [offset, setOffset] = useState(0);
  const users = useLoad(() => api<{ users: User[] }>('GET', tenantPath(tenantId, '/users')), [tenantId]);
  const page = useLoad(
    () => api<{ records: UsageRecord[]; total: number; offset: number }>('GET', `${tenantPath(tenantId, '/usage')}?${query(filters, { offset, limit: PAGE })}`),
    [tenantId, query(filters), offset],
  );
  const daily = useLoad(
    () => api<{ currency: string; days: Array<{ date: string; capability: string; calls: number; seconds: number; charge: string }> }>('GET', `${tenantPath(tenantId, '/usage/daily')}?${query(filters)}`),
    [tenantId, query(filters)],
  );
  const set = (k: keyof Filters) => (v: string) => setDraft({ ...draft, [k]: v });
  const fieldError = (p: string) => {
    const e = page.error as { field?: (p: string) => string | undefined } | undefined;
    return e?.field?.(p);
  };

  const days = daily.data ? [...new Set(daily.data.days.map((d) => d.date))] : [];
  const caps = daily.data ? [...new Set(daily.data.days.map((d) => d.capability))] : [];
  const series = (pick: (d: { seconds: number; charge: string }) => number) =>
    caps.map((c) => ({ label: c, values: days.map((date) => daily.data!.days.filter((d) => d.date === date && d.capability === c).reduce((s, d) => s + pick(d), 0)) }));

  return (
    <>
      <PageTitle>{t('usage.title')}</PageTitle>
      <form
        class="card filters"
        onSubmit={(e) => {
          e.preventDefault();
          setOffset(0);
          setFilters(draft);
        }}
        noValidate
      >
        <TextField label={t('usage.from')} name="from" type="date" value={draft.from} onInput={set('from')} error={fieldError('from')} />
        <TextField label={t('usage.to')} name="to" type="date" value={draft.to} onInput={set('to')} error={fieldError('to')} />
        <SelectField label={t('usage.user')} name="userId" value={draft.userId} onChange={set('userId')} options={[{ value: '', label: t('usage.allUsers') }, ...(users.data?.users ?? []).map((u) => ({ value: u.id, label: u.displayName }))]} />
        <SelectField label={t('usage.callType')} name="callType" value={draft.callType} onChange={set('callType')} options={[{ value: '', label: t('usage.allTypes') }, ...CALL_TYPES.map((c) => ({ value: c, label: t(`callType.${c}`) }))]} />
        <TextField label={t('usage.capability')} name="capability" value={draft.capability} onInput={set('capability')} help={t('usage.capabilityHelp')} error={fieldError('capability')} />
        <div class="actions">
          <button type="submit" class="primary">{t('usage.apply')}</button>
          <a class="button" href={`${tenantPath(tenantId, '/usage.csv')}?${query(filters)}`} download>{t('usage.download')}</a>
        </div>
      </form>

      {daily.data && days.length > 0 && (
        <div class="charts">
          <DailyBars dateLabel={t('usage.date')} title={t('usage.chartSpend', { currency: daily.data.currency })} days={days} series={series((d) => Number(d.charge))} />
          <DailyBars dateLabel={t('usage.date')} title={t('usage.chartMinutes')} days={days} series={series((d) => Math.round((d.seconds / 60) * 10) / 10)} />
        </div>
      )}
      {daily.data && days.length > 0 && (
        <details>
          <summary>{t('usage.chartTable')}</summary>
          <table>
            <thead><tr><th scope="col">{t('usage.date')}</th><th scope="col">{t('usage.capability')}</th><th scope="col">{t('usage.calls')}</th><th scope="col">{t('usage.minutes')}</th><th scope="col">{t('usage.charge')}</th></tr></thead>
            <tbody>{daily.data.days.map((d) => <tr><td>{d.date}</td><td>{d.capability}</td><td>{d.calls}</td><td>{Math.round(d.seconds / 6) / 10}</td><td>{d.charge}</td></tr>)}</tbody>
          </table>
        </details>
      )}

      {!page.data ? (
        page.error ? <FormError error={page.error} /> : <Loading />
      ) : page.data.records.length === 0 ? (
        <p data-testid="usage-empty">{t('usage.empty')}</p>
      ) : (
        <>
          <p class="help" data-testid="usage-count">{t('usage.page', { first: page.data.offset + 1, last: page.data.offset + page.data.records.length, total: page.data.total })}</p>
          <div class="table-wrap">
            <table class="usage">
              <thead>
                <tr>
                  <th scope="col">{t('usage.start')}</th>
                  <th scope="col">{t('usage.user')}</th>
                  <th scope="col">{t('usage.callType')}</th>
                  <th scope="col">{t('usage.destination')}</th>
                  <th scope="col">{t('usage.duration')}</th>
                  <th scope="col">{t('usage.charge')}</th>
                  <th scope="col">{t('usage.capability')}</th>
                  <th scope="col">{t('usage.endReason')}</th>
                </tr>
              </thead>
              <tbody>
                {page.data.records.map((r) => (
                  <tr data-call={r.callId}>
                    <td>{r.startTime.replace('T', ' ').slice(0, 19)}</td>
                    <td>{r.userDisplayName ?? r.userId ?? '—'}</td>
                    <td>{t(`callType.${r.callType as (typeof CALL_TYPES)[number]}`)}</td>
                    <td class="mono">{r.destinationNumber}</td>
                    <td>{r.durationSeconds}</td>
                    <td>{r.charge} {r.currency}</td>
                    <td>{r.capability}</td>
                    <td>{r.endReason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="actions">
            <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>{t('usage.previous')}</button>
            <button type="button" disabled={offset + PAGE >= page.data.total} onClick={() => setOffset(offset + PAGE)}>{t('usage.next')}</button>
          </div>
        </>
      )}
    </>
  );
}
