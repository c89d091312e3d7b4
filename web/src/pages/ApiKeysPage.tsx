import { useState, type FormEvent } from 'react';
import { Empty, FieldError, Notice, Panel } from '../components/ui';
import { ApiError, messageOf } from '../lib/api';
import { fmtDateTime } from '../lib/format';
import { useApi, useAuthState, useResource } from '../lib/hooks';
import type { ApiKey, CreatedKey, Scope } from '../lib/types';

const SCOPES: Array<[Scope, string]> = [
  ['read', 'read: market data, orders, balances'],
  ['trade', 'trade: place and cancel orders'],
  ['signals', 'signals: send trading signals'],
  ['admin', 'admin: administration'],
];

/** API keys for programs (X-API-Key). The secret is shown once, right after creation. */
export function ApiKeysPage() {
  const api = useApi();
  const auth = useAuthState();
  const isAdmin = auth.status === 'signed-in' && auth.user.role === 'admin';
  const keys = useResource<ApiKey[]>('/api/v1/keys');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [expires, setExpires] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [created, setCreated] = useState<CreatedKey>();
  const [copied, setCopied] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setProblem(undefined);
    try {
      const body: Record<string, unknown> = { name: name.trim(), scopes };
      if (expires) body.expiresAt = new Date(`${expires}T23:59:59`).toISOString();
      setCreated(await api.post<CreatedKey>('/api/v1/keys', body));
      setCopied(false);
      setName('');
      void keys.reload();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setProblem(messageOf(err));
    }
  }

  const toggle = (s: Scope) =>
    setScopes((list) => (list.includes(s) ? list.filter((x) => x !== s) : [...list, s]));

  return (
    <div className="page">
      <h1>API keys</h1>
      <p className="lead muted">
        Programs authenticate with <code>X-API-Key: obs_…</code>. A key never grants more than your
        own role allows, and keys are created and revoked only from a signed-in session.
      </p>
      {created && (
        <Notice kind="ok" testId="created-key">
          <strong>Key “{created.name}” created.</strong> Copy it now: it is not shown again.
          <div className="secret">
            <code>{created.key}</code>
            <button
              className="small"
              onClick={() =>
                void navigator.clipboard?.writeText(created.key).then(() => setCopied(true))
              }
            >
              {copied ? 'Copied' : 'Copy'}
            </button>
            <button className="small" onClick={() => setCreated(undefined)}>
              Done
            </button>
          </div>
        </Notice>
      )}
      <div className="two-col wide-left">
        <Panel title="Your keys">
          {keys.error && <Notice kind="error">{keys.error}</Notice>}
          {keys.data?.length === 0 && <Empty>No API keys yet.</Empty>}
          {keys.data && keys.data.length > 0 && (
            <table className="grid">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Key</th>
                  <th>Scopes</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {keys.data.map((k) => (
                  <KeyRow key={k.id} apiKey={k} onChange={() => void keys.reload()} />
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title="New key">
          <form onSubmit={create} className="stack" noValidate>
            <label htmlFor="key-name">Name</label>
            <input
              id="key-name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. trading bot"
            />
            <FieldError name="name" message={errors.name} />
            <fieldset>
              <legend>Scopes</legend>
              {SCOPES.filter(([s]) => s !== 'admin' || isAdmin).map(([s, label]) => (
                <label key={s} className="check">
                  <input type="checkbox" checked={scopes.includes(s)} onChange={() => toggle(s)} />
                  {label}
                </label>
              ))}
            </fieldset>
            <FieldError name="scopes" message={errors.scopes} />
            <label htmlFor="key-expires">Expires (optional)</label>
            <input
              id="key-expires"
              type="date"
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
            />
            <FieldError name="expiresAt" message={errors.expiresAt} />
            {problem && !Object.keys(errors).length && <Notice kind="error">{problem}</Notice>}
            <button type="submit" className="primary">
              Create key
            </button>
          </form>
        </Panel>
      </div>
    </div>
  );
}

function KeyRow({ apiKey: k, onChange }: { apiKey: ApiKey; onChange: () => void }) {
  const api = useApi();
  const [confirm, setConfirm] = useState(false);
  const [problem, setProblem] = useState<string>();
  const revoked = k.revokedAt !== null;
  const expired = k.expiresAt !== null && new Date(k.expiresAt).getTime() < Date.now();
  const revoke = async () => {
    try {
      await api.del(`/api/v1/keys/${k.id}`);
      onChange();
    } catch (err) {
      setProblem(messageOf(err));
    }
  };
  return (
    <tr className={revoked || expired ? 'dim' : ''}>
      <td>{k.name}</td>
      <td>
        <code>obs_{k.prefix}_…</code>
      </td>
      <td>{k.scopes.join(', ')}</td>
      <td className="num muted">{fmtDateTime(k.createdAt)}</td>
      <td className="num muted">{k.lastUsedAt ? fmtDateTime(k.lastUsedAt) : 'never'}</td>
      <td className="num muted">{k.expiresAt ? fmtDateTime(k.expiresAt) : 'never'}</td>
      <td className="actions">
        {revoked ? (
          <span className="badge">revoked</span>
        ) : expired ? (
          <span className="badge">expired</span>
        ) : confirm ? (
          <>
            <button className="small danger" onClick={() => void revoke()}>
              Revoke now
            </button>
            <button className="small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </>
        ) : (
          <button className="small" onClick={() => setConfirm(true)}>
            Revoke
          </button>
        )}
        {problem && <div className="field-error">{problem}</div>}
      </td>
    </tr>
  );
}
