/**
 * Access: the tenant's admin accounts (the operator creates them) and its API
 * keys: create one (its secret shown this once), revoke one. Keys reach the
 * same tenant-scoped API the pages use, read-only or manage.
 */
import { useState } from 'preact/hooks';
import { api, ApiError, tenantPath } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, Notice, PageTitle, SelectField, TextField, useLoad } from '../ui.js';

interface Admin {
  id: string;
  email: string;
  displayName: string;
  role: 'read' | 'manage';
  createdAt: string;
}
interface ApiKey {
  id: string;
  name: string;
  scope: 'read' | 'manage';
  createdAt: string;
  revokedAt?: string;
}

export function Access({ tenantId, canManage }: PageProps) {
  const { t } = useT();
  const { data, error, reload } = useLoad(
    () => Promise.all([api<{ admins: Admin[] }>('GET', tenantPath(tenantId, '/admins')), api<{ apiKeys: ApiKey[] }>('GET', tenantPath(tenantId, '/api-keys'))]),
    [tenantId],
  );
  const [name, setName] = useState('');
  const [scope, setScope] = useState<'read' | 'manage'>('read');
  const [created, setCreated] = useState<string | null>(null);
  const [formError, setFormError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!data) return <><PageTitle>{t('access.title')}</PageTitle><Loading error={error} retry={reload} /></>;
  const [{ admins }, { apiKeys }] = data;

  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setFormError(null);
    setCreated(null);
    try {
      const r = await api<{ key: string }>('POST', tenantPath(tenantId, '/api-keys'), { name, scope });
      setCreated(r.key);
      setName('');
      reload();
    } catch (err) {
      setFormError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (k: ApiKey) => {
    if (!confirm(t('access.revokeConfirm', { name: k.name }))) return;
    try {
      await api('DELETE', tenantPath(tenantId, `/api-keys/${k.id}`));
      reload();
    } catch (err) {
      setFormError(err);
    }
  };
  const date = (iso: string) => iso.slice(0, 10);

  return (
    <>
      <PageTitle>{t('access.title')}</PageTitle>
      <section aria-labelledby="admins-h">
        <h2 id="admins-h">{t('access.admins')}</h2>
        <p class="help">{t('access.adminsHelp')}</p>
        <div class="table-wrap">
          <table>
            <thead><tr><th scope="col">{t('users.name')}</th><th scope="col">{t('signIn.email')}</th><th scope="col">{t('access.role')}</th><th scope="col">{t('access.created')}</th></tr></thead>
            <tbody>
              {admins.map((a) => (
                <tr><th scope="row">{a.displayName}</th><td>{a.email}</td><td>{t(`access.role.${a.role}`)}</td><td>{date(a.createdAt)}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="keys-h">
        <h2 id="keys-h">{t('access.keys')}</h2>
        <p class="help">{t('access.keysHelp')}</p>
        {apiKeys.length === 0 ? (
          <p>{t('access.noKeys')}</p>
        ) : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">{t('access.keyName')}</th><th scope="col">{t('access.scope')}</th><th scope="col">{t('access.created')}</th><th scope="col">{t('access.state')}</th><th scope="col"><span class="sr-only">{t('access.revoke')}</span></th></tr></thead>
              <tbody>
                {apiKeys.map((k) => (
                  <tr data-key={k.id}>
                    <th scope="row">{k.name}<div class="help mono">{k.id}</div></th>
                    <td>{t(`access.role.${k.scope}`)}</td>
                    <td>{date(k.createdAt)}</td>
                    <td>{k.revokedAt ? t('access.revokedOn', { date: date(k.revokedAt) }) : t('access.active')}</td>
                    <td>{canManage && !k.revokedAt && <button type="button" class="danger" onClick={() => revoke(k)}>{t('access.revoke')}</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {created && (
          <div class="banner banner-ok" role="status">
            <p>{t('access.shownOnce')}</p>
            <p><code class="mono secret" data-testid="new-key">{created}</code></p>
          </div>
        )}
        {canManage && (
          <form class="card form" onSubmit={create} noValidate>
            <h3>{t('access.newKey')}</h3>
            <TextField label={t('access.keyName')} name="keyName" value={name} onInput={setName} error={formError instanceof ApiError ? formError.field('name') : undefined} />
            <SelectField label={t('access.scope')} name="scope" value={scope} onChange={setScope} options={[{ value: 'read', label: t('access.role.read') }, { value: 'manage', label: t('access.role.manage') }]} />
            <FormError error={formError} />
            <button type="submit" class="primary" disabled={busy}>{t('access.create')}</button>
          </form>
        )}
      </section>
    </>
  );
}
