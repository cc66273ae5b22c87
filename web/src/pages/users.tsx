/** Users: licences, plan, outbound and dial-out policy, number; saved with the API's PUT (its validation, its messages). */
import { useState } from 'preact/hooks';
import { api, ApiError, tenantPath, type User } from '../api.js';
import type { PageProps } from '../app.js';
import { useT } from '../i18n/index.js';
import { FormError, Loading, Notice, PageTitle, SelectField, TextField, useLoad } from '../ui.js';

const POLICIES = ['international_and_domestic', 'domestic', 'none'] as const;
const DIAL_OUT = ['any', 'same_country', 'zone_a', 'none'] as const;
const LICENCES = ['communicationCredits', 'audioConferencing'] as const;

export function Users({ session, tenantId, canManage }: PageProps) {
  const { t } = useT();
  const { data, error, reload } = useLoad(() => api<{ users: User[] }>('GET', tenantPath(tenantId, '/users')), [tenantId]);
  const [editing, setEditing] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  if (!data) return <><PageTitle>{t('users.title')}</PageTitle><Loading error={error} retry={reload} /></>;
  const licenceName = (l: (typeof LICENCES)[number]) => t(l === 'communicationCredits' ? 'users.communicationCredits' : 'users.audioConferencing');
  return (
    <>
      <PageTitle>{t('users.title')}</PageTitle>
      {saved && <Notice>{t('app.saved')}</Notice>}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('users.name')}</th>
              <th scope="col">{t('users.country')}</th>
              <th scope="col">{t('users.number')}</th>
              <th scope="col">{t('users.plan')}</th>
              <th scope="col">{t('users.policy')}</th>
              <th scope="col">{t('users.dialOutPolicy')}</th>
              <th scope="col">{t('users.licences')}</th>
              <th scope="col"><span class="sr-only">{t('app.edit')}</span></th>
            </tr>
          </thead>
          <tbody>
            {data.users.map((u) => (
              <tr data-user={u.id}>
                <th scope="row">{u.displayName}<div class="help">{u.upn}</div></th>
                <td>{u.usageCountry}</td>
                <td>{u.number ?? '—'}</td>
                <td>{u.plan ?? t('users.noPlan')}</td>
                <td>{t(`policy.${u.policy}`)}</td>
                <td>{t(`dialout.${u.dialOutPolicy}`)}</td>
                <td>{u.licences.length === 0 ? t('app.none') : u.licences.map(licenceName).join(', ')}</td>
                <td>
                  {canManage && (
                    <button type="button" onClick={() => { setEditing(u.id); setSaved(null); }} aria-label={t('users.editUser', { name: u.displayName })}>
                      {t('app.edit')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {editing && (
        <UserForm
          key={editing}
          user={data.users.find((u) => u.id === editing)!}
          plans={session.plans}
          onDone={(ok) => {
            setEditing(null);
            if (ok) {
              setSaved(editing);
              reload();
            }
          }}
        />
      )}
    </>
  );
}

function UserForm({ user, plans, onDone }: { user: User; plans: Array<{ sku: string; name: string }>; onDone: (saved: boolean) => void }) {
  const { t } = useT();
  const [licences, setLicences] = useState<string[]>(user.licences);
  const [plan, setPlan] = useState(user.plan ?? '');
  const [policy, setPolicy] = useState<User['policy']>(user.policy);
  const [dialOut, setDialOut] = useState<User['dialOutPolicy']>(user.dialOutPolicy);
  const [number, setNumber] = useState(user.number ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const fieldError = (p: string) => (error instanceof ApiError ? error.field(p) : undefined);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('PUT', tenantPath(user.tenantId, `/users/${encodeURIComponent(user.id)}`), {
        upn: user.upn,
        displayName: user.displayName,
        usageCountry: user.usageCountry,
        ...(number.trim() !== '' ? { number: number.trim() } : {}),
        ...(plan !== '' ? { plan } : {}),
        policy,
        dialOutPolicy: dialOut,
        licences,
        ...(user.limits ? { limits: user.limits } : {}),
      });
      onDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (l: string, on: boolean) => setLicences(on ? [...licences.filter((x) => x !== l), l] : licences.filter((x) => x !== l));

  return (
    <form class="card form" onSubmit={submit} noValidate aria-labelledby="edit-user-h">
      <h2 id="edit-user-h">{t('users.editUser', { name: user.displayName })}</h2>
      <fieldset>
        <legend>{t('users.licences')}</legend>
        {LICENCES.map((l) => (
          <div class="field check">
            <input id={`lic-${l}`} name={l} type="checkbox" checked={licences.includes(l)} onChange={(e) => toggle(l, (e.target as HTMLInputElement).checked)} />
            <label for={`lic-${l}`}>{t(l === 'communicationCredits' ? 'users.communicationCredits' : 'users.audioConferencing')}</label>
          </div>
        ))}
        {fieldError('licences') && <p class="error" role="alert">{fieldError('licences')}</p>}
      </fieldset>
      <SelectField label={t('users.plan')} name="plan" value={plan} onChange={setPlan} error={fieldError('plan')} options={[{ value: '', label: t('users.noPlan') }, ...plans.map((p) => ({ value: p.sku, label: `${p.name} (${p.sku})` }))]} />
      <SelectField label={t('users.policy')} name="policy" value={policy} onChange={setPolicy} error={fieldError('policy')} options={POLICIES.map((p) => ({ value: p, label: t(`policy.${p}`) }))} />
      <SelectField label={t('users.dialOutPolicy')} name="dialOutPolicy" value={dialOut} onChange={setDialOut} error={fieldError('dialOutPolicy')} options={DIAL_OUT.map((p) => ({ value: p, label: t(`dialout.${p}`) }))} />
      <TextField label={t('users.number')} name="number" value={number} onInput={setNumber} error={fieldError('number')} help={t('users.numberHelp')} />
      <FormError error={error} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>{t('app.save')}</button>
        <button type="button" onClick={() => onDone(false)}>{t('app.cancel')}</button>
      </div>
    </form>
  );
}
