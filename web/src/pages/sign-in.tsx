/** Sign-in: a tenant admin with e-mail and password, or the operator with the admin token. */
import { useState } from 'preact/hooks';
import { api, ApiError, type Session } from '../api.js';
import { useT } from '../i18n/index.js';
import { FormError, Notice, PageTitle, TextField } from '../ui.js';

export function SignIn({ onSignedIn, ended }: { onSignedIn: (s: Session) => void; ended: boolean }) {
  const { t } = useT();
  const [operator, setOperator] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = operator
        ? await api<Session>('POST', '/portal/api/operator-login', { token })
        : await api<Session>('POST', '/portal/api/login', { email, password });
      setPassword('');
      setToken('');
      onSignedIn(s);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const throttled = error instanceof ApiError && error.status === 429;

  return (
    <main id="main" class="sign-in">
      <form class="card" onSubmit={submit} noValidate>
        <PageTitle>{t('signIn.title')}</PageTitle>
        <p>{t('signIn.intro')}</p>
        {ended && <Notice kind="info">{t('app.sessionEnded')}</Notice>}
        {operator ? (
          <TextField label={t('signIn.token')} name="token" type="password" autoComplete="off" value={token} onInput={setToken} required />
        ) : (
          <>
            <TextField label={t('signIn.email')} name="email" type="email" autoComplete="username" value={email} onInput={setEmail} required />
            <TextField label={t('signIn.password')} name="password" type="password" autoComplete="current-password" value={password} onInput={setPassword} required />
          </>
        )}
        {throttled ? (
          <p class="banner banner-error" role="alert">{t('signIn.throttled', { seconds: (error as ApiError).retryAfter ?? 60 })}</p>
        ) : (
          <FormError error={error} />
        )}
        <button type="submit" class="primary" disabled={busy}>{t('signIn.submit')}</button>
        <button type="button" class="link" onClick={() => { setOperator(!operator); setError(null); }}>
          {operator ? t('signIn.tenantAdmin') : t('signIn.operator')}
        </button>
      </form>
    </main>
  );
}
