import { useState, type FormEvent } from 'react';
import { FieldError, Notice } from '../components/ui';
import { ApiError, messageOf } from '../lib/api';
import { useAuth, useAuthState } from '../lib/hooks';
import { settings } from '../lib/settings';

/** Sign in or create an account; the demo trader is one click away when the server has one. */
export function SignInPage() {
  const auth = useAuth();
  const state = useAuthState();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const demo = settings.demo;

  async function run(fn: () => Promise<void>) {
    setBusy(true);
    setErrors({});
    setProblem(undefined);
    try {
      await fn();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setProblem(messageOf(err));
      setBusy(false);
    }
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(() =>
      mode === 'login'
        ? auth.login(email.trim(), password)
        : auth.register(
            email.trim(),
            password,
            displayName.trim() || email.trim().split('@')[0] || 'Trader',
          ),
    );
  };
  const useDemo = () => {
    if (!demo) return;
    setMode('login');
    setEmail(demo.email);
    setPassword(demo.password);
    void run(() => auth.login(demo.email, demo.password));
  };

  return (
    <div className="signin">
      <div className="signin-card">
        <div className="brand big">
          <Logo /> Obscura
        </div>
        <p className="muted tagline">
          Self-hosted crypto trading: paper trading on a simulated market, live venues next.
        </p>
        {state.status === 'signed-out' && state.reason && (
          <Notice kind="info">{state.reason}</Notice>
        )}
        {demo && (
          <div className="demo-hint" data-testid="demo-hint">
            <p>
              This server runs with demo data. Demo trader: <code>{demo.email}</code> /{' '}
              <code>{demo.password}</code>
            </p>
            <button className="primary wide" onClick={useDemo} disabled={busy}>
              Use demo account
            </button>
          </div>
        )}
        <div className="tabs" role="tablist">
          <button
            role="tab"
            aria-selected={mode === 'login'}
            className={mode === 'login' ? 'on' : ''}
            onClick={() => setMode('login')}
          >
            Sign in
          </button>
          <button
            role="tab"
            aria-selected={mode === 'register'}
            className={mode === 'register' ? 'on' : ''}
            onClick={() => setMode('register')}
          >
            Create account
          </button>
        </div>
        <form onSubmit={submit} className="stack" noValidate>
          <label htmlFor="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <FieldError name="email" message={errors.email} />
          {mode === 'register' && (
            <>
              <label htmlFor="display-name">Display name</label>
              <input
                id="display-name"
                autoComplete="nickname"
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
              />
              <FieldError name="displayName" message={errors.displayName} />
            </>
          )}
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <FieldError name="password" message={errors.password} />
          {problem && !Object.keys(errors).length && (
            <Notice kind="error" testId="signin-error">
              {problem}
            </Notice>
          )}
          <button type="submit" className="primary wide" disabled={busy}>
            {busy ? 'Please wait…' : mode === 'login' ? 'Sign in' : 'Create account'}
          </button>
        </form>
      </div>
    </div>
  );
}

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" aria-hidden="true">
      <path d="M16 5 27 16 16 27 5 16Z" fill="none" stroke="currentColor" strokeWidth="3" />
      <circle cx="16" cy="16" r="3.5" className="logo-dot" />
    </svg>
  );
}
