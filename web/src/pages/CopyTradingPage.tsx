import { Link } from '../app/router';
import { FollowForm } from './copy/FollowForm';
import { LeaderboardView } from './copy/LeaderboardView';
import { LeadView } from './copy/LeadView';
import { MyFollowsView } from './copy/MyFollowsView';

const TABS: Array<[string, string]> = [
  ['', 'Leaderboard'],
  ['follow', 'Follow'],
  ['follows', 'My follows'],
  ['lead', 'Become a leader'],
];

/**
 * Copy trading: `/copy` (leaderboard), `/copy/follow/:leaderId?`, `/copy/follows`, `/copy/lead`.
 * The tabs are paths, so a link to a leader's follow form or to one's follows can be shared.
 */
export function CopyTradingPage({ params }: { params: Record<string, string> }) {
  const tab = params.tab ?? '';
  const known = TABS.some(([t]) => t === tab);
  return (
    <div className="page copy">
      <h1>Copy trading</h1>
      <nav className="tabs subtabs" aria-label="Copy trading">
        {TABS.map(([t, label]) => (
          <Link key={t} to={t ? `/copy/${t}` : '/copy'} className={t === tab ? 'on' : ''}>
            {label}
          </Link>
        ))}
      </nav>
      {tab === '' && <LeaderboardView />}
      {tab === 'follow' && <FollowForm leaderId={params.id} />}
      {tab === 'follows' && <MyFollowsView />}
      {tab === 'lead' && <LeadView />}
      {!known && <p className="muted">There is no such copy trading page.</p>}
    </div>
  );
}
