import { useState, type FormEvent } from 'react';
import { Empty, FieldError, Notice, Panel } from '../components/ui';
import { ApiError, messageOf } from '../lib/api';
import { fmtDateTime } from '../lib/format';
import { useApi, useResource } from '../lib/hooks';
import type { Credential } from '../lib/types';

/** Suggestions only: the server holds the list it accepts and names it when it refuses one. */
const EXCHANGES = [
  'binance',
  'binanceusdm',
  'binancecoinm',
  'bingx',
  'bitfinex',
  'bitget',
  'bitmex',
  'bitstamp',
  'bybit',
  'coinbase',
  'coinbaseexchange',
  'cryptocom',
  'deribit',
  'gate',
  'gemini',
  'htx',
  'hyperliquid',
  'kraken',
  'krakenfutures',
  'kucoin',
  'kucoinfutures',
  'mexc',
  'okx',
  'phemex',
];

/**
 * Exchange credentials, stored encrypted in the vault. Secrets go to the server once and never
 * come back: the list shows the exchange, a label and the last four characters of the key.
 */
export function CredentialsPage() {
  const api = useApi();
  const list = useResource<Credential[]>('/api/v1/credentials');
  const [exchange, setExchange] = useState('');
  const [label, setLabel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [secret, setSecret] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [saved, setSaved] = useState<string>();

  async function add(e: FormEvent) {
    e.preventDefault();
    setErrors({});
    setProblem(undefined);
    setSaved(undefined);
    const body: Record<string, string> = { exchange: exchange.trim(), apiKey, secret };
    if (label.trim()) body.label = label.trim();
    if (passphrase) body.passphrase = passphrase;
    try {
      const c = await api.post<Credential>('/api/v1/credentials', body);
      setSaved(`${c.label} (${c.exchange}) stored.`);
      setApiKey('');
      setSecret('');
      setPassphrase('');
      setLabel('');
      void list.reload();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setProblem(messageOf(err));
    }
  }

  return (
    <div className="page">
      <h1>Exchange keys</h1>
      <p className="lead muted">
        API keys of your exchange accounts, for live trading. They are encrypted at rest
        (AES-256-GCM under the vault&apos;s master key) and never shown again, here or by the API.
      </p>
      <div className="two-col wide-left">
        <Panel title="Stored credentials">
          {list.error && <Notice kind="error">{list.error}</Notice>}
          {list.data?.length === 0 && <Empty>No credentials stored.</Empty>}
          {list.data && list.data.length > 0 && (
            <table className="grid">
              <thead>
                <tr>
                  <th>Label</th>
                  <th>Exchange</th>
                  <th>API key</th>
                  <th>Added</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.map((c) => (
                  <CredentialRow key={c.id} credential={c} onChange={() => void list.reload()} />
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <Panel title="Add credentials">
          <form onSubmit={add} className="stack" noValidate autoComplete="off">
            <label htmlFor="cred-exchange">Exchange</label>
            <input
              id="cred-exchange"
              list="exchanges"
              value={exchange}
              onChange={(e) => setExchange(e.target.value)}
              placeholder="e.g. binance"
            />
            <datalist id="exchanges">
              {EXCHANGES.map((x) => (
                <option key={x} value={x} />
              ))}
            </datalist>
            <FieldError name="exchange" message={errors.exchange} />
            <label htmlFor="cred-label">Label (optional)</label>
            <input id="cred-label" value={label} onChange={(e) => setLabel(e.target.value)} />
            <FieldError name="label" message={errors.label} />
            <label htmlFor="cred-key">API key</label>
            <input
              id="cred-key"
              type="password"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
            <FieldError name="apiKey" message={errors.apiKey} />
            <label htmlFor="cred-secret">Secret</label>
            <input
              id="cred-secret"
              type="password"
              value={secret}
              onChange={(e) => setSecret(e.target.value)}
            />
            <FieldError name="secret" message={errors.secret} />
            <label htmlFor="cred-passphrase">
              Passphrase (okx, kucoin, bitget, coinbaseexchange)
            </label>
            <input
              id="cred-passphrase"
              type="password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
            />
            <FieldError name="passphrase" message={errors.passphrase} />
            {problem && !Object.keys(errors).length && <Notice kind="error">{problem}</Notice>}
            {saved && <Notice kind="ok">{saved}</Notice>}
            <button type="submit" className="primary">
              Store encrypted
            </button>
          </form>
        </Panel>
      </div>
    </div>
  );
}

function CredentialRow({
  credential: c,
  onChange,
}: {
  credential: Credential;
  onChange: () => void;
}) {
  const api = useApi();
  const [confirm, setConfirm] = useState(false);
  const [problem, setProblem] = useState<string>();
  const remove = async () => {
    try {
      await api.del(`/api/v1/credentials/${c.id}`);
      onChange();
    } catch (err) {
      setProblem(messageOf(err));
    }
  };
  return (
    <tr>
      <td>{c.label}</td>
      <td>{c.exchange}</td>
      <td>
        <code>{c.keyLast4 ? `••••${c.keyLast4}` : '••••'}</code>
      </td>
      <td className="num muted">{fmtDateTime(c.createdAt)}</td>
      <td className="actions">
        {confirm ? (
          <>
            <button className="small danger" onClick={() => void remove()}>
              Delete now
            </button>
            <button className="small" onClick={() => setConfirm(false)}>
              Keep
            </button>
          </>
        ) : (
          <button className="small" onClick={() => setConfirm(true)}>
            Delete
          </button>
        )}
        {problem && <div className="field-error">{problem}</div>}
      </td>
    </tr>
  );
}
