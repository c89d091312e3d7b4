import { useEffect, useState } from 'react';
import type { Auth } from '../lib/auth';
import { AuthContext, RealtimeContext, useAuth, useAuthState } from '../lib/hooks';
import { Realtime, realtimeUrl } from '../lib/realtime';
import type { User } from '../lib/types';
import { SignInPage } from '../pages/SignInPage';
import { AccountProvider } from '../state/account';
import { MarketProvider } from '../state/market';
import { Shell } from './Shell';

export function App({ auth }: { auth: Auth }) {
  return (
    <AuthContext.Provider value={auth}>
      <Root />
    </AuthContext.Provider>
  );
}

function Root() {
  const auth = useAuth();
  const state = useAuthState();
  useEffect(() => void auth.restore(), [auth]);
  if (state.status === 'restoring') return <p className="splash">Restoring your session…</p>;
  if (state.status === 'signed-out') return <SignInPage />;
  return <SignedIn key={state.user.id} user={state.user} />;
}

/** One live connection and one copy of market and account state per signed-in user. */
function SignedIn({ user }: { user: User }) {
  const auth = useAuth();
  const [rt] = useState(
    () =>
      new Realtime(
        realtimeUrl(),
        () => auth.freshToken(),
        () => auth.refresh(),
      ),
  );
  useEffect(() => {
    rt.start();
    const off = auth.onToken((token) => rt.reauthenticate(token));
    return () => {
      off();
      rt.stop();
    };
  }, [rt, auth]);
  return (
    <RealtimeContext.Provider value={rt}>
      <MarketProvider>
        <AccountProvider>
          <Shell user={user} />
        </AccountProvider>
      </MarketProvider>
    </RealtimeContext.Provider>
  );
}
