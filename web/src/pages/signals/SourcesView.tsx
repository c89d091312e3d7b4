import { useState, type FormEvent } from 'react';
import { Empty, FieldError, Notice, Panel } from '../../components/ui';
import { ApiError, messageOf } from '../../lib/api';
import { fmtDateTime } from '../../lib/format';
import { useApi, useResource } from '../../lib/hooks';
import type { Source } from './types';

/** The alert message to paste into TradingView: its placeholders are TradingView's own. */
const template = (secret: string) =>
  JSON.stringify(
    {
      secret,
      ticker: '{{ticker}}',
      action: '{{strategy.order.action}}',
      price: '{{close}}',
      interval: '{{interval}}',
      timenow: '{{timenow}}',
    },
    null,
    2,
  );

/**
 * Sources: each may have its own staleness limit and a TradingView webhook. A webhook's secret
 * is shown once, inside the alert message to paste into TradingView.
 */
export function SourcesView() {
  const api = useApi();
  const list = useResource<Source[]>('/api/v1/signals/sources');
  const [name, setName] = useState('tradingview');
  const [maxLag, setMaxLag] = useState('');
  const [webhook, setWebhook] = useState(true);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [made, setMade] = useState<Source>();
  const [busy, setBusy] = useState(false);

  async function put(sourceName: string, body: Record<string, unknown>) {
    setBusy(true);
    setErrors({});
    setProblem(undefined);
    try {
      const s = await api.put<Source>(
        `/api/v1/signals/sources/${encodeURIComponent(sourceName)}`,
        body,
      );
      if (s.secret) setMade(s);
      await list.reload();
      return true;
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) setErrors(err.fields);
      else setProblem(messageOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const seconds = maxLag.trim();
    const body: Record<string, unknown> = { webhook };
    if (seconds) body.maxLagMs = /^\d+$/.test(seconds) ? Number(seconds) * 1000 : seconds;
    await put(name.trim(), body);
  }

  async function remove(s: Source) {
    setProblem(undefined);
    try {
      await api.del(`/api/v1/signals/sources/${encodeURIComponent(s.name)}`);
      await list.reload();
    } catch (err) {
      setProblem(messageOf(err));
    }
  }

  const webhookUrl = (path: string) => new URL(path, window.location.origin).toString();

  return (
    <div className="two-col">
      <Panel title="Add or change a source" testId="source-form">
        <form className="stack" onSubmit={submit} noValidate>
          <label htmlFor="src-name">Name</label>
          <input
            id="src-name"
            value={name}
            autoComplete="off"
            onChange={(e) => setName(e.target.value)}
            aria-invalid={Boolean(errors.name || errors.source)}
          />
          <FieldError name="name" message={errors.name ?? errors.source} />
          <label htmlFor="src-lag">
            Refuse signals older than (seconds, empty: the server default)
          </label>
          <input
            id="src-lag"
            inputMode="numeric"
            autoComplete="off"
            value={maxLag}
            onChange={(e) => setMaxLag(e.target.value)}
            aria-invalid={Boolean(errors.maxLagMs)}
          />
          <FieldError name="maxLagMs" message={errors.maxLagMs} />
          <label className="check">
            <input
              type="checkbox"
              checked={webhook}
              onChange={(e) => setWebhook(e.target.checked)}
            />{' '}
            TradingView webhook
          </label>
          {problem && <Notice kind="error">{problem}</Notice>}
          <button type="submit" className="primary" disabled={busy}>
            Save source
          </button>
        </form>
        {made?.secret && made.webhookUrl && (
          <Notice kind="ok" testId="webhook-secret">
            <p>
              TradingView webhook of <b>{made.name}</b>. The secret is shown this once.
            </p>
            <p>
              Webhook URL: <code data-testid="webhook-url">{webhookUrl(made.webhookUrl)}</code>
            </p>
            <p>Alert message:</p>
            <pre className="code" data-testid="webhook-template">
              {template(made.secret)}
            </pre>
          </Notice>
        )}
      </Panel>
      <Panel title="Your sources" testId="source-list">
        {list.error && <Notice kind="error">{list.error}</Notice>}
        {!list.data?.length ? (
          <Empty>
            No source has settings of its own yet; signals from any source name are accepted.
          </Empty>
        ) : (
          <table className="grid">
            <thead>
              <tr>
                <th>source</th>
                <th>max lag</th>
                <th>webhook</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <tr key={s.name}>
                  <td>{s.name}</td>
                  <td className="num">
                    {s.maxLagMs === null ? 'default' : `${s.maxLagMs / 1000} s`}
                  </td>
                  <td>
                    {s.webhookUrl ? (
                      <span title={webhookUrl(s.webhookUrl)}>
                        secret set {fmtDateTime(s.secretSetAt)}
                      </span>
                    ) : (
                      <span className="muted">none</span>
                    )}
                  </td>
                  <td className="actions">
                    {s.webhookUrl && (
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => void put(s.name, { rotateSecret: true })}
                      >
                        New secret
                      </button>
                    )}
                    <button type="button" className="danger" onClick={() => void remove(s)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </div>
  );
}
