import { useEffect } from 'react';
import { useAuth, useRealtimeStatus } from '../lib/hooks';
import type { User } from '../lib/types';
import { Logo } from '../pages/SignInPage';
import { HOME, PAGES } from './pages';
import { Link, match, navigate, usePath } from './router';

const STATUS_TEXT = { live: 'Live', connecting: 'Connecting…', offline: 'Reconnecting…' };

/** The top bar and the page the path names. */
export function Shell({ user }: { user: User }) {
  const path = usePath();
  const found = PAGES.map((page) => ({ page, params: match(page.path, path) })).find(
    (x) => x.params,
  );
  useEffect(() => {
    if (path === '/') navigate(HOME, { replace: true });
  }, [path]);
  useEffect(() => {
    document.title = found ? `${found.page.title} · Obscura` : 'Obscura';
  }, [found?.page.title]);
  const Page = found?.page.component;
  return (
    <div className="app">
      <TopBar user={user} path={path} />
      <main className="content">
        {Page && found.params ? (
          <Page params={found.params} />
        ) : path === '/' ? null : (
          <div className="page">
            <h1>Not found</h1>
            <p className="muted">
              There is no page at <code>{path}</code>. <Link to={HOME}>Go to the market</Link>.
            </p>
          </div>
        )}
      </main>
    </div>
  );
}

function TopBar({ user, path }: { user: User; path: string }) {
  const auth = useAuth();
  const status = useRealtimeStatus();
  return (
    <header className="topbar">
      <Link to={HOME} className="brand">
        <Logo /> Obscura
      </Link>
      <nav className="nav">
        {PAGES.filter((p) => p.nav).map((p) => (
          <Link
            key={p.path}
            to={p.nav!}
            className={path === p.nav || path.startsWith(`${p.nav}/`) ? 'active' : ''}
          >
            {p.title}
          </Link>
        ))}
      </nav>
      <div className="topbar-right">
        <span
          className={`status ${status}`}
          data-testid="live-status"
          title="Live updates over WebSocket"
        >
          {STATUS_TEXT[status]}
        </span>
        <span className="user" title={user.email}>
          {user.displayName || user.email} <span className="muted">· {user.role}</span>
        </span>
        <button className="small" onClick={() => void auth.logout()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
