/** Live calls: each with its funded time left (ticking), polled every 2 s, with hang-up. */
import { useEffect, useState } from 'preact/hooks';
import { api, type LiveCall } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, PageTitle } from '../ui.js';

const POLL_MS = 2000;

export function LiveCalls({ tenantId, canManage }: PageProps) {
  const { t } = useT();
  const [calls, setCalls] = useState<LiveCall[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    let live = true;
    const poll = async () => {
      try {
        const r = await api<{ calls: LiveCall[] }>('GET', `/v1/calls?tenantId=${encodeURIComponent(tenantId)}`);
        if (live) {
          setCalls(r.calls);
          setError(null);
        }
      } catch (err) {
        if (live) setError(err);
      }
    };
    void poll();
    const timer = setInterval(poll, POLL_MS);
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      live = false;
      clearInterval(timer);
      clearInterval(tick);
    };
  }, [tenantId]);

  const hangUp = async (c: LiveCall) => {
    if (!confirm(t('calls.hangUpConfirm', { destination: c.destination }))) return;
    try {
      await api('DELETE', `/v1/calls/${encodeURIComponent(c.callId)}`);
      setCalls((calls ?? []).filter((x) => x.callId !== c.callId));
    } catch (err) {
      setError(err);
    }
  };

  const left = (c: LiveCall) => {
    if (c.free) return t('calls.unlimited');
    if (!c.fundedUntil) return t('calls.seconds', { seconds: c.fundedSeconds });
    return t('calls.seconds', { seconds: Math.max(0, Math.round((Date.parse(c.fundedUntil) - now) / 1000)) });
  };

  return (
    <>
      <PageTitle>{t('calls.title')}</PageTitle>
      <p>{t('calls.intro')}</p>
      <FormError error={error} />
      <div aria-live="polite">
        {calls === null ? null : calls.length === 0 ? (
          <p data-testid="calls-empty">{t('calls.none')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('calls.destination')}</th>
                  <th scope="col">{t('calls.user')}</th>
                  <th scope="col">{t('calls.type')}</th>
                  <th scope="col">{t('calls.state')}</th>
                  <th scope="col">{t('calls.answered')}</th>
                  <th scope="col">{t('calls.left')}</th>
                  <th scope="col">{t('calls.held')}</th>
                  <th scope="col"><span class="sr-only">{t('calls.hangUp')}</span></th>
                </tr>
              </thead>
              <tbody>
                {calls.map((c) => (
                  <tr data-call={c.callId}>
                    <th scope="row" class="mono">{c.destination}</th>
                    <td>{c.userId ?? '—'}</td>
                    <td>{t(`callType.${c.callType as 'user_out'}`)}</td>
                    <td>{c.state}</td>
                    <td>{c.answeredAt ? c.answeredAt.slice(11, 19) : '—'}</td>
                    <td data-testid="funded-left">{left(c)}</td>
                    <td>{c.held} {c.currency}</td>
                    <td>{canManage && <button type="button" class="danger" onClick={() => hangUp(c)}>{t('calls.hangUp')}</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}
