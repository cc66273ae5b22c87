/** Service numbers: toll-free and toll numbers with their targets; a tenant admin may point a number elsewhere. */
import { useState } from 'preact/hooks';
import { api, ApiError, tenantPath, type ServiceNumber } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, Notice, PageTitle, SelectField, TextField, useLoad } from '../ui.js';

const SERVICES = ['conferencing', 'auto_attendant', 'call_queue'] as const;

export function ServiceNumbers({ tenantId, canManage }: PageProps) {
  const { t } = useT();
  const { data, error, reload } = useLoad(() => api<{ serviceNumbers: ServiceNumber[] }>('GET', tenantPath(tenantId, '/service-numbers')), [tenantId]);
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  if (!data) return <><PageTitle>{t('numbers.title')}</PageTitle><Loading error={error} retry={reload} /></>;
  return (
    <>
      <PageTitle>{t('numbers.title')}</PageTitle>
      {saved && <Notice>{t('app.saved')}</Notice>}
      {data.serviceNumbers.length === 0 ? (
        <p>{t('numbers.none')}</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('numbers.number')}</th>
                <th scope="col">{t('numbers.kind')}</th>
                <th scope="col">{t('numbers.service')}</th>
                <th scope="col">{t('numbers.target')}</th>
                <th scope="col"><span class="sr-only">{t('app.edit')}</span></th>
              </tr>
            </thead>
            <tbody>
              {data.serviceNumbers.map((n) => (
                <tr>
                  <th scope="row">{n.number}</th>
                  <td>{t(`numbers.kind.${n.kind}`)}</td>
                  <td>{t(`service.${n.service}`)}</td>
                  <td class="mono">{n.target}</td>
                  <td>{canManage && <button type="button" onClick={() => { setEditing(n.number); setSaved(false); }}>{t('app.edit')}</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <NumberForm
          key={editing}
          n={data.serviceNumbers.find((x) => x.number === editing)!}
          onDone={(ok) => {
            setEditing(null);
            if (ok) {
              setSaved(true);
              reload();
            }
          }}
        />
      )}
    </>
  );
}

function NumberForm({ n, onDone }: { n: ServiceNumber; onDone: (ok: boolean) => void }) {
  const { t } = useT();
  const [service, setService] = useState<ServiceNumber['service']>(n.service);
  const [target, setTarget] = useState(n.target);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('PUT', tenantPath(n.tenantId, `/service-numbers/${encodeURIComponent(n.number)}`), { kind: n.kind, service, target });
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={submit} noValidate>
      <h2>{n.number}</h2>
      <SelectField label={t('numbers.service')} name="service" value={service} onChange={setService} options={SERVICES.map((s) => ({ value: s, label: t(`service.${s}`) }))} error={error instanceof ApiError ? error.field('service') : undefined} />
      <TextField label={t('numbers.target')} name="target" value={target} onInput={setTarget} error={error instanceof ApiError ? error.field('target') : undefined} />
      <FormError error={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{t('app.save')}</button>
        <button type="button" onClick={() => onDone(false)}>{t('app.cancel')}</button>
      </div>
    </form>
  );
}
