/**
 * The portal shell: who is signed in, the tenant the pages show (a tenant
 * admin's own; the operator picks one), navigation, language, sign-out, and
 * the page of the current path under /portal.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, useSession, whenSessionEnds, type Session, type Tenant } from './api.js';
import { I18n, initialLocale, LOCALES, saveLocale, translator, type Locale, type MessageKey } from './i18n/index.js';
import { Access } from './pages/access.js';
import { AddCredits } from './pages/add-credits.js';
import { AutoRecharge } from './pages/auto-recharge.js';
import { LiveCalls } from './pages/live-calls.js';
import { Overview } from './pages/overview.js';
import { ServiceNumbers } from './pages/service-numbers.js';
import { SignIn } from './pages/sign-in.js';
import { Usage } from './pages/usage.js';
import { Users } from './pages/users.js';

const BASE = '/portal';
export const PAGES: ReadonlyArray<{ path: string; title: MessageKey; Page: (p: PageProps) => preact.JSX.Element }> = [
  { path: '', title: 'nav.overview', Page: Overview },
  { path: '/credits', title: 'nav.credits', Page: AddCredits },
  { path: '/auto-recharge', title: 'nav.recharge', Page: AutoRecharge },
  { path: '/users', title: 'nav.users', Page: Users },
  { path: '/numbers', title: 'nav.numbers', Page: ServiceNumbers },
  { path: '/usage', title: 'nav.usage', Page: Usage },
  { path: '/calls', title: 'nav.calls', Page: LiveCalls },
  { path: '/access', title: 'nav.access', Page: Access },
];

export interface PageProps {
  session: Session;
  tenantId: string;
  canManage: boolean;
}

function currentPath(): string {
  const p = location.pathname.replace(/\/+$/, '');
  return p.startsWith(BASE) ? p.slice(BASE.length) : '';
}

export function navigate(path: string): void {
  history.pushState(null, '', `${BASE}${path}${location.search}`);
  dispatchEvent(new PopStateEvent('popstate'));
}

export function App() {
  const [locale, setLocale] = useState<Locale>(initialLocale);
  const [path, setPath] = useState(currentPath);
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [ended, setEnded] = useState(false);
  const [tenants, setTenants] = useState<Tenant[]>([]);
  const [chosen, setChosen] = useState<string>(() => new URLSearchParams(location.search).get('tenant') ?? '');
  const t = translator(locale);

  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  useEffect(() => {
    const onPop = () => setPath(currentPath());
    addEventListener('popstate', onPop);
    whenSessionEnds(() => {
      useSession(null);
      setSession(null);
      setEnded(true);
    });
    api<Session>('GET', '/portal/api/session').then(
      (s) => {
        useSession(s);
        setSession(s);
      },
      () => setSession(null),
    );
    return () => removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    if (session?.kind !== 'operator') return;
    api<{ tenants: Tenant[] }>('GET', '/v1/tenants').then((r) => {
      setTenants(r.tenants);
      if (!chosen && r.tenants[0]) setChosen(r.tenants[0].id);
    }, () => undefined);
  }, [session]);

  const changeLocale = (l: Locale) => {
    saveLocale(l);
    setLocale(l);
  };
  const signedIn = (s: Session) => {
    useSession(s);
    setSession(s);
    setEnded(false);
    if (currentPath() === '/sign-in') navigate('');
  };
  const signOut = async (everywhere: boolean) => {
    await api('POST', everywhere ? '/portal/api/sign-out-everywhere' : '/portal/api/logout').catch(() => undefined);
    useSession(null);
    setSession(null);
  };

  const languageSwitch = (
    <label class="lang">
      <span>{t('app.language')}</span>
      <select value={locale} onChange={(e) => changeLocale((e.target as HTMLSelectElement).value as Locale)}>
        {LOCALES.map((l) => (
          <option value={l.id} lang={l.id}>{l.name}</option>
        ))}
      </select>
    </label>
  );

  let body: preact.JSX.Element;
  if (session === undefined) body = <main id="main"><p aria-busy="true">{t('app.loading')}</p></main>;
  else if (session === null) body = <SignIn onSignedIn={signedIn} ended={ended} />;
  else {
    const tenantId = session.kind === 'tenant' ? session.tenantId! : chosen;
    const page = PAGES.find((p) => p.path === path) ?? PAGES[0]!;
    const Page = page.Page;
    body = (
      <>
        <nav class="nav" aria-label={t('nav.label')}>
          <ul>
            {PAGES.map((p) => (
              <li>
                <a
                  href={`${BASE}${p.path}${location.search}`}
                  aria-current={p === page ? 'page' : undefined}
                  onClick={(e) => {
                    e.preventDefault();
                    navigate(p.path);
                  }}
                >
                  {t(p.title)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main">
          {tenantId ? <Page key={`${tenantId}${page.path}`} session={session} tenantId={tenantId} canManage={session.role === 'manage'} /> : <p>{t('app.chooseTenant')}</p>}
        </main>
      </>
    );
  }

  return (
    <I18n.Provider value={{ t, locale }}>
      <a class="skip" href="#main">{t('app.skip')}</a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">◆</span> Tollgate · {t('app.title')}
        </div>
        <div class="who">
          {session?.kind === 'operator' && (
            <label class="lang">
              <span>{t('app.tenant')}</span>
              <select
                value={chosen}
                onChange={(e) => {
                  const id = (e.target as HTMLSelectElement).value;
                  setChosen(id);
                  history.replaceState(null, '', `${location.pathname}?tenant=${encodeURIComponent(id)}`);
                }}
              >
                {tenants.map((x) => (
                  <option value={x.id}>{x.name} ({x.id})</option>
                ))}
              </select>
            </label>
          )}
          {session && (
            <span class="account">
              {session.kind === 'operator' ? t('app.operator') : `${session.displayName ?? ''} · ${session.tenantId}`}
              {session.role === 'read' ? ` (${t('app.readOnly')})` : ''}
            </span>
          )}
          {languageSwitch}
          {session && (
            <>
              <button type="button" class="link" onClick={() => signOut(false)}>{t('app.signOut')}</button>
              <button type="button" class="link" onClick={() => signOut(true)}>{t('app.signOutEverywhere')}</button>
            </>
          )}
        </div>
      </header>
      {body}
    </I18n.Provider>
  );
}
