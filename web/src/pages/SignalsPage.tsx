import { Link } from '../app/router';
import { AutoTradeView } from './signals/AutoTradeView';
import { SignalDetailView } from './signals/SignalDetailView';
import { SignalFeed } from './signals/SignalFeed';
import { SourcesView } from './signals/SourcesView';

const TABS: Array<[string, string]> = [
  ['', 'Signals'],
  ['sources', 'Sources & webhooks'],
  ['auto', 'Auto-trading'],
];

/**
 * Signals: `/signals` (send one, watch every model judge it live), `/signals/view/:eventId`
 * (one signal's timeline, features and decisions), `/signals/sources` (staleness limits and
 * TradingView webhooks), `/signals/auto` (rules that let decisions trade).
 */
export function SignalsPage({ params }: { params: Record<string, string> }) {
  const tab = params.tab ?? '';
  const known = tab === 'view' || TABS.some(([t]) => t === tab);
  return (
    <div className="page signals">
      <h1>Signals</h1>
      <nav className="tabs subtabs" aria-label="Signals">
        {TABS.map(([t, label]) => (
          <Link key={t} to={t ? `/signals/${t}` : '/signals'} className={t === tab ? 'on' : ''}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === '' && <SignalFeed />}
      {tab === 'view' && params.id && <SignalDetailView eventId={params.id} />}
      {tab === 'sources' && <SourcesView />}
      {tab === 'auto' && <AutoTradeView />}
      {!known && <p className="muted">There is no such signals page.</p>}
    </div>
  );
}
